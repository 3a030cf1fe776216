"""Who may do what with a meeting: the one place that says it.

Used by services (which enforce), views and templates (which hide buttons),
socket handlers and the outcomes part of the module (minutes, votes, ...).

- participants: invited users (Participant rows), including chair and secretary;
- the provincial leaders and admins see and may join every meeting; a district's leader its own;
- the chair (or an admin) manages it: edit, start, end, cancel;
- the chair and the secretary keep the minutes.
"""
from auth import permissions as auth_permissions
from auth.models import AgencyKind, Role
from core.extensions import db
from meetings.models import MeetingStatus, Participant


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def is_staff(user):
    """Admins and the provincial leaders see the whole province (a district's leader sees its own)."""
    return auth_permissions.province_wide(user)


def participant(user, meeting):
    """The user's Participant row in the meeting, or None."""
    if not _authenticated(user) or meeting is None:
        return None
    return db.session.scalar(
        db.select(Participant).where(Participant.meeting_id == meeting.id, Participant.user_id == user.id)
    )


def is_participant(user, meeting):
    return participant(user, meeting) is not None


def is_chair(user, meeting):
    return _authenticated(user) and meeting.chair_id == user.id


def is_secretary(user, meeting):
    return _authenticated(user) and meeting.secretary_id is not None and meeting.secretary_id == user.id


def can_view(user, meeting):
    """See the meeting's page, its API object and its chat history."""
    if not _authenticated(user):
        return False
    return is_staff(user) or is_chair(user, meeting) or is_secretary(user, meeting) or is_participant(user, meeting)


def can_join(user, meeting):
    """Enter the live room (presence, chat): participants, leaders and admins."""
    return can_view(user, meeting)


def can_chat(user, meeting):
    """Write in the chat: whoever may join, while the meeting is not over."""
    return can_join(user, meeting) and not meeting.is_over


def can_keep_minutes(user, meeting):
    return is_chair(user, meeting) or is_secretary(user, meeting)


def is_office_staff(user):
    """Staff of the provincial office: they prepare meetings for the leaders they serve."""
    return (_authenticated(user) and user.role == Role.OFFICER and user.agency is not None
            and user.agency.kind == AgencyKind.PROVINCIAL_OFFICE)


def is_organiser(user, meeting):
    """The office staff member who scheduled the meeting for its chair."""
    return is_office_staff(user) and meeting.created_by_id == user.id


def can_manage(user, meeting):
    """Start, end, cancel: the chair, whoever organised it for the chair, or an admin."""
    return (is_chair(user, meeting) or is_organiser(user, meeting)
            or (_authenticated(user) and user.role == Role.ADMIN))


def can_change(user, meeting):
    """Change the details and the invitation list: as for managing, and leaders (API.md)."""
    return can_manage(user, meeting) or is_staff(user)


def can_edit(user, meeting):
    return can_change(user, meeting) and not meeting.is_over


def can_start(user, meeting):
    return can_manage(user, meeting) and meeting.status == MeetingStatus.SCHEDULED


def can_end(user, meeting):
    return can_manage(user, meeting) and meeting.status == MeetingStatus.LIVE


def can_cancel(user, meeting):
    return can_manage(user, meeting) and meeting.status == MeetingStatus.SCHEDULED


def may_chair(user):
    """Chair a meeting: the province's leaders."""
    return user is not None and user.role == Role.LEADER


def may_be_secretary(user):
    """Offered as a meeting's secretary: anyone but a leader (leaders chair)."""
    return not may_chair(user)


def can_create(user):
    """Schedule meetings: leaders (a district's leader for its own meetings) and admins, and the provincial
    office's staff for a leader."""
    return is_staff(user) or is_office_staff(user) or auth_permissions.is_agency_leader(user)


def can_see_attendance(user, meeting):
    """The attendance table and its exports: chair, secretary, leaders (and admins)."""
    return is_staff(user) or is_chair(user, meeting) or is_secretary(user, meeting)


def room_perms(user, meeting):
    """The booleans the room page and its included panels use."""
    return {
        "is_chair": is_chair(user, meeting),
        "is_secretary": is_secretary(user, meeting),
        "can_keep_minutes": can_keep_minutes(user, meeting),
        "can_manage": can_manage(user, meeting),
        "can_chat": can_chat(user, meeting),
        "can_start": can_start(user, meeting),
        "can_end": can_end(user, meeting),
        "can_see_attendance": can_see_attendance(user, meeting),
        "can_declare_connection_point": can_declare_connection_point(user, meeting),
        "can_correct_connection_points": can_correct_connection_points(user, meeting),
        "can_run_agenda": can_run_agenda(user, meeting),
    }


# -- the outcomes: minutes, votes, speaker queue, conclusions, documents ------------


def can_finalize_minutes(user, meeting):
    return is_chair(user, meeting)


def can_run_votes(user, meeting):
    """Open and close votes: the chair."""
    return is_chair(user, meeting)


def can_cast_ballot(user, meeting):
    """Vote: the invited participants (the chair and the secretary included)."""
    return is_chair(user, meeting) or is_secretary(user, meeting) or is_participant(user, meeting)


def can_request_floor(user, meeting):
    """Raise a hand: the invited participants."""
    return can_cast_ballot(user, meeting)


def can_run_speakers(user, meeting):
    """Give the floor and remove requests: the chair."""
    return is_chair(user, meeting)


def can_run_agenda(user, meeting):
    """Mark the agenda item under discussion in the live room: the chair and the secretary."""
    return is_chair(user, meeting) or is_secretary(user, meeting)


def can_record_conclusions(user, meeting):
    return can_keep_minutes(user, meeting)


def can_issue_from_conclusion(user, meeting):
    """"Giao nhiệm vụ": leaders who can see the meeting turn its conclusions into directives."""
    return _authenticated(user) and may_chair(user) and can_view(user, meeting)


def can_download_documents(user, meeting):
    """The Word minutes and conclusions notice: chair, secretary, leaders (and admins)."""
    return is_staff(user) or is_chair(user, meeting) or is_secretary(user, meeting)


def can_moderate_call(user, meeting):
    """Mute others in the call: the chair."""
    return is_chair(user, meeting)


def can_declare_connection_point(user, meeting):
    """Declare (or update) one's own connection point: the invited participants."""
    return can_cast_ballot(user, meeting)


def can_correct_connection_points(user, meeting):
    """Correct or remove anyone's connection point: the chair and the secretary."""
    return is_chair(user, meeting) or is_secretary(user, meeting)


def can_remove_connection_point(user, meeting, point):
    """Remove a connection point: the chair, the secretary, or the participant who operates it."""
    return can_correct_connection_points(user, meeting) or (_authenticated(user) and point.operator_id == user.id)


def outcome_perms(user, meeting):
    """The booleans the outcome panels use."""
    return {
        "can_keep_minutes": can_keep_minutes(user, meeting),
        "can_finalize_minutes": can_finalize_minutes(user, meeting),
        "can_run_votes": can_run_votes(user, meeting),
        "can_cast_ballot": can_cast_ballot(user, meeting),
        "can_request_floor": can_request_floor(user, meeting),
        "can_run_speakers": can_run_speakers(user, meeting),
        "can_record_conclusions": can_record_conclusions(user, meeting),
        "can_issue_from_conclusion": can_issue_from_conclusion(user, meeting),
        "can_download_documents": can_download_documents(user, meeting),
    }


# -- the meeting's papers and presenting them (meetings.meeting_documents, meetings.presenting) ----------


def is_presenter(user, meeting, agenda_item=None):
    """Presents ``agenda_item`` (or, without one, any item of the meeting's agenda)."""
    if not _authenticated(user):
        return False
    if agenda_item is not None:
        return agenda_item.presenter_id == user.id
    return any(item.presenter_id == user.id for item in meeting.agenda_items)


def can_see_documents(user, meeting):
    """The papers: the invited participants only (leaders and admins who are not invited get 404)."""
    return can_cast_ballot(user, meeting)


def can_upload_document(user, meeting, agenda_item=None):
    """Add papers: the chair and the secretary anywhere, an item's presenter to that item."""
    return can_see_documents(user, meeting) and (
        can_keep_minutes(user, meeting) or (agenda_item is not None and is_presenter(user, meeting, agenda_item)))


def can_read_document(user, meeting, document, reader_ids=()):
    """A paper: every participant, or for a restricted one its named readers, the chair, the secretary and
    whoever uploaded it (``reader_ids``: the named readers' ids)."""
    if not can_see_documents(user, meeting):
        return False
    return (not document.restricted or can_keep_minutes(user, meeting) or document.uploaded_by_id == user.id
            or user.id in reader_ids)


def can_present(user, meeting):
    """Present a paper in the live room: the chair, the secretary and the agenda's presenters."""
    return can_see_documents(user, meeting) and (can_keep_minutes(user, meeting) or is_presenter(user, meeting))
