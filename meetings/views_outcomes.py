"""Pages of the meeting outcomes: the outcomes page, minutes history with diff and restore,
"Giao nhiệm vụ" (a conclusion becomes a directive) and the Word documents."""
from urllib.parse import quote

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import json_error
from core.forms import call_service
from core.i18n import register_js_strings
from core.text import render_markdown
from core.validation import arg_int, display_zone
from directives import labels as directive_labels
from meetings import bp, conclusions, documents, minutes, pdf, speakers, votes
from meetings import permissions as perms
from meetings.models import MinutesStatus, VoteStatus
from meetings.queries import get_meeting

#: labels shown by the outcome pages and panels: the minutes' and votes' states, and for the directives
#: born from the meeting the words the directive pages use (directives/labels.py)
OUTCOME_LABELS = {
    MinutesStatus.DRAFT: _l("Draft"),
    MinutesStatus.FINAL: _l("Final"),
    VoteStatus.OPEN: _l("Open"),
    VoteStatus.CLOSED: _l("Closed"),
    **directive_labels.TRACKING_LABELS,
    **directive_labels.ROLE_LABELS,
}

PRIORITY_NAMES = directive_labels.PRIORITY_LABELS

register_js_strings({
    "oc_draft": OUTCOME_LABELS["draft"],
    "oc_final": OUTCOME_LABELS["final"],
    "oc_open": OUTCOME_LABELS["open"],
    "oc_closed": OUTCOME_LABELS["closed"],
    "oc_on_track": OUTCOME_LABELS["on_track"],
    "oc_due_soon": OUTCOME_LABELS["due_soon"],
    "oc_overdue": OUTCOME_LABELS["overdue"],
    "oc_completed_on_time": OUTCOME_LABELS["completed_on_time"],
    "oc_completed_late": OUTCOME_LABELS["completed_late"],
    "oc_cancelled": OUTCOME_LABELS["cancelled"],
    "oc_lead": OUTCOME_LABELS["lead"],
    "oc_support": OUTCOME_LABELS["support"],
    "oc_saving": _l("Saving…"),
    "oc_version": _l("Version %(v)s"),
    "oc_saved": _l("Saved · version %(v)s"),
    "oc_unsaved": _l("Unsaved changes"),
    "oc_save_failed": _l("Not saved. Will retry…"),
    "oc_conflict": _l("Someone else saved version %(v)s meanwhile. "
                      "Nothing was overwritten: merge the two texts below, then save."),
    "oc_final_locked": _l("The minutes are final and locked."),
    "oc_updated_by": _l("Updated by %(name)s · version %(v)s"),
    "oc_empty_minutes": _l("The secretary has not written anything yet."),
    "oc_anonymous": _l("Anonymous"),
    "oc_named": _l("Named"),
    "oc_ballots": _l("%(n)s ballots"),
    "oc_your_choice": _l("Your choice"),
    "oc_close_vote": _l("Close the vote"),
    "oc_no_votes": _l("No vote yet."),
    "oc_vote_opened": _l("New vote: %(q)s"),
    "oc_nobody_speaking": _l("Nobody has the floor."),
    "oc_queue_empty": _l("No one is waiting to speak."),
    "oc_give_floor": _l("Give the floor"),
    "oc_remove": _l("Remove"),
    "oc_end_turn": _l("End the turn"),
    "oc_raise_hand": _l("Raise hand"),
    "oc_lower_hand": _l("Lower hand"),
    "oc_speaking": _l("Speaking"),
    "oc_no_conclusions": _l("No conclusion recorded yet."),
    "oc_assign": _l("Assign tasks"),
    "oc_directive_count": _l("%(n)s directive(s)"),
    "oc_no_directives": _l("No directive was issued from this meeting yet."),
    "oc_progress": _l("progress"),
    "oc_finalize_confirm": _l("Finalize the minutes? Nobody can edit them afterwards."),
    "oc_delete_confirm": _l("Delete this conclusion?"),
    "oc_delete": _l("Delete"),
})


def _meeting(meeting_id):
    return get_meeting(current_user, meeting_id)


def documents_lock(meeting):
    """Why the Word documents cannot be downloaded yet, said to the current user and naming who can
    unlock them; None once the minutes are final."""
    state = minutes.minutes_state(meeting)
    if state["status"] == MinutesStatus.FINAL:
        return None
    if perms.can_finalize_minutes(current_user, meeting):
        if not state["version"]:
            return _("The Word documents are made from the final minutes. The minutes are still empty: "
                     "the secretary writes them in the live room, then you finalize them here.")
        return _("The Word documents are made from the final minutes. You chair this meeting: "
                 "finalize the minutes to unlock them.")
    return _("The Word documents are made from the final minutes. They unlock once the chair, %(name)s, "
             "finalizes the minutes; only the chair can do it.", name=meeting.chair.full_name)


@bp.route("/meetings/<int:meeting_id>/outcomes")
@login_required
def outcomes(meeting_id):
    """Everything the meeting produced: minutes, votes, conclusions, directives, follow-up, documents."""
    meeting = _meeting(meeting_id)
    state = minutes.minutes_state(meeting)
    return render_template(
        "meetings/outcomes/summary.html", meeting=meeting, minutes=state, minutes_row=minutes.minutes_row(meeting),
        minutes_html=render_markdown(state["body"]), votes=votes.meeting_votes(meeting, current_user),
        conclusions=conclusions.conclusions_payload(meeting)["items"],
        directives=conclusions.meeting_directives(meeting),
        follow_up=conclusions.follow_up_directives(meeting), operms=perms.outcome_perms(current_user, meeting),
        can_set_follow_up=perms.can_manage(current_user, meeting),
        follow_up_candidates=(conclusions.follow_up_candidates(current_user, meeting)
                              if perms.can_manage(current_user, meeting) else []),
        documents_lock=documents_lock(meeting),
    )


@bp.route("/meetings/<int:meeting_id>/minutes/finalize", methods=["POST"])
@login_required
def finalize_minutes(meeting_id):
    """"Chốt biên bản" from the outcomes page (the room's panel uses the API)."""
    meeting = _meeting(meeting_id)
    _state, errors = call_service(minutes.finalize_minutes, current_user, meeting)
    if errors:
        flash("; ".join(errors.values()), "error")
    else:
        flash(_("The minutes are final. The Word documents can be downloaded now."), "success")
    return redirect(url_for("meetings.outcomes", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/follow-up", methods=["POST"])
@login_required
def set_follow_up(meeting_id):
    meeting = _meeting(meeting_id)
    _saved, errors = call_service(conclusions.set_follow_up, current_user, meeting,
                                  {"follow_up_of_id": request.form.get("follow_up_of_id")})
    if errors:
        flash("; ".join(errors.values()), "error")
    else:
        flash(_("The follow-up was saved."), "success")
    return redirect(url_for("meetings.outcomes", meeting_id=meeting.id) + "#follow-up")


# -- minutes history -------------------------------------------------------------------

@bp.route("/meetings/<int:meeting_id>/minutes/history")
@login_required
def minutes_history(meeting_id):
    meeting = _meeting(meeting_id)
    return render_template(
        "meetings/outcomes/history.html", meeting=meeting, revisions=minutes.revisions(meeting),
        minutes=minutes.minutes_state(meeting), operms=perms.outcome_perms(current_user, meeting),
    )


@bp.route("/meetings/<int:meeting_id>/minutes/history/<int:version>")
@login_required
def minutes_revision(meeting_id, version):
    meeting = _meeting(meeting_id)
    revision = minutes.get_revision(meeting, version)
    against = arg_int("against")
    if against is None:
        against = version - 1
    base = minutes.get_revision(meeting, against) if against and against >= 1 else None
    rows = minutes.diff_rows(base.body if base else "", revision.body)
    return render_template(
        "meetings/outcomes/revision.html", meeting=meeting, revision=revision, base=base, rows=rows,
        html=render_markdown(revision.body), minutes=minutes.minutes_state(meeting),
        versions=[r.version for r in minutes.revisions(meeting)], operms=perms.outcome_perms(current_user, meeting),
        changed=sum(1 for r in rows if r[0] not in ("equal", "skip")),
    )


@bp.route("/meetings/<int:meeting_id>/minutes/history/<int:version>/restore", methods=["POST"])
@login_required
def minutes_restore(meeting_id, version):
    meeting = _meeting(meeting_id)
    revision, errors = call_service(minutes.restore_revision, current_user, meeting, version)
    if errors:
        flash("; ".join(errors.values()), "error")
        return redirect(url_for("meetings.minutes_revision", meeting_id=meeting.id, version=version))
    flash(_("Version %(old)s was restored as version %(new)s.", old=version, new=revision.version), "success")
    return redirect(url_for("meetings.minutes_history", meeting_id=meeting.id))


# -- "Giao nhiệm vụ" --------------------------------------------------------------------

@bp.route("/conclusions/<int:conclusion_id>/assign", methods=["GET", "POST"])
@login_required
def assign_conclusion(conclusion_id):
    conclusion, meeting = conclusions.get_conclusion(current_user, conclusion_id)
    if not perms.can_issue_from_conclusion(current_user, meeting):
        abort(403)
    from auth import queries as auth_queries

    errors = {}
    form = dict(conclusions.directive_defaults(conclusion, meeting))
    if request.method == "POST":
        form = {
            "title": request.form.get("title", ""),
            "body": request.form.get("body", ""),
            "priority": request.form.get("priority", "normal"),
            "deadline": request.form.get("deadline", ""),
            "lead_agency_id": request.form.get("lead_agency_id", ""),
            "support_agency_ids": request.form.getlist("support_agency_ids"),
        }
        directive, errors = call_service(conclusions.issue_directive_from_conclusion, current_user, conclusion,
                                         meeting, form)
        if not errors:
            flash(_("Directive %(number)s was issued from the conclusion.", number=directive.number), "success")
            return redirect(url_for("meetings.outcomes", meeting_id=meeting.id) + "#directives")
    from directives.models import Priority

    return render_template(
        "meetings/outcomes/assign.html", meeting=meeting, conclusion=conclusion, form=form, errors=errors,
        agencies=auth_queries.agency_tree(include_inactive=False), priorities=tuple(Priority),
        support_ids={str(i) for i in form.get("support_agency_ids", [])},
    ), (422 if errors else 200)


# -- Word documents -------------------------------------------------------------------------

def _docx(meeting, builder, stem):
    if not perms.can_download_documents(current_user, meeting):
        abort(403)
    row = minutes.minutes_row(meeting)
    if row is None or row.status != MinutesStatus.FINAL:
        message = documents_lock(meeting)
        if g.get("api_token") is not None or request.accept_mimetypes.best == "application/json":
            return json_error(409, "minutes_not_final", message)  # a program: the API's JSON error
        # a browser: back to the outcomes page, whose notice says why and who unlocks them
        flash(_("The Word documents cannot be downloaded yet: the minutes are not final."), "warning")
        return redirect(url_for("meetings.outcomes", meeting_id=meeting.id) + "#documents-locked")
    data = builder(meeting)
    day = (meeting.started_at or meeting.starts_at).astimezone(display_zone()).strftime("%Y%m%d")
    filename = f"{stem}-{meeting.id}-{day}.docx"
    return Response(data, mimetype=documents.DOCX_MIME, headers={
        "Content-Disposition": f"attachment; filename={filename}; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })


@bp.route("/meetings/<int:meeting_id>/documents/bien-ban.docx")
@login_required
def minutes_document(meeting_id):
    return _docx(_meeting(meeting_id), documents.minutes_docx, "bien-ban")


@bp.route("/meetings/<int:meeting_id>/documents/thong-bao-ket-luan.docx")
@login_required
def conclusions_document(meeting_id):
    return _docx(_meeting(meeting_id), documents.conclusions_docx, "thong-bao-ket-luan")


# -- the same documents as PDF, when LibreOffice is installed (meetings/pdf.py) -------------

@bp.app_template_global()
def documents_pdf_available():
    """Whether to show the PDF buttons next to the Word ones."""
    return pdf.available()


def _pdf(meeting, builder, stem):
    """The Word document as PDF: the same checks and answers as the Word download (403, minutes not
    final yet), and 404 saying why when LibreOffice is not installed."""
    pdf.require()
    word = _docx(meeting, builder, stem)
    if word.mimetype != documents.DOCX_MIME:  # not final yet: the Word route's own answer
        return word
    return pdf.as_pdf(word)


@bp.route("/meetings/<int:meeting_id>/documents/bien-ban.pdf")
@login_required
def minutes_document_pdf(meeting_id):
    return _pdf(_meeting(meeting_id), documents.minutes_docx, "bien-ban")


@bp.route("/meetings/<int:meeting_id>/documents/thong-bao-ket-luan.pdf")
@login_required
def conclusions_document_pdf(meeting_id):
    return _pdf(_meeting(meeting_id), documents.conclusions_docx, "thong-bao-ket-luan")


# -- what the room's outcome panels need -------------------------------------------------

def panels_data(meeting):
    """The initial state of the outcome panels in the live room (JSON for static/js/meeting/room.js)."""
    operms = perms.outcome_perms(current_user, meeting)
    state = minutes.minutes_state(meeting)
    return {
        "meeting_id": meeting.id,
        "user_id": current_user.id,
        "meeting_status": meeting.status,
        "perms": operms,
        "minutes": dict(state, html=str(render_markdown(state["body"]))),
        "votes": votes.meeting_votes(meeting, current_user),
        "speakers": speakers.speakers_state(meeting),
        "conclusions": conclusions.conclusions_payload(meeting)["items"],
        "directives": conclusions.meeting_directives(meeting),
        "follow_up": conclusions.follow_up_directives(meeting) if meeting.follow_up_of_id else None,
        "urls": {
            "api": url_for("meetings_api.get_minutes", meeting_id=meeting.id).rsplit("/minutes", 1)[0],
            "history": url_for("meetings.minutes_history", meeting_id=meeting.id),
            "outcomes": url_for("meetings.outcomes", meeting_id=meeting.id),
            "assign": url_for("meetings.assign_conclusion", conclusion_id=0).replace("/0/", "/{id}/"),
            "directive": "/directives/{id}",
            "minutes_docx": url_for("meetings.minutes_document", meeting_id=meeting.id),
            "conclusions_docx": url_for("meetings.conclusions_document", meeting_id=meeting.id),
        },
        "default_options": votes.DEFAULT_VOTE_OPTIONS,
    }


def detail_data(meeting):
    """What the meeting page's outcomes card shows."""
    return {
        "perms": perms.outcome_perms(current_user, meeting),
        "minutes": minutes.minutes_state(meeting),
        "vote_count": votes.count(meeting),
        "conclusions": conclusions.for_meeting(meeting),
        "directives": conclusions.meeting_directives(meeting),
        "follow_up": conclusions.follow_up_directives(meeting) if meeting.follow_up_of_id else [],
        "documents_lock": documents_lock(meeting),
        "strings": {"deadline": _("Deadline"), "progress": _("Progress")},
    }


@bp.app_context_processor
def outcome_helpers():
    return {"outcomes_panels_data": panels_data, "outcomes_detail_data": detail_data,
            "OUTCOME_LABELS": OUTCOME_LABELS, "PRIORITY_NAMES": PRIORITY_NAMES}


@bp.app_template_filter("isodt")
def isodt_filter(value, fmt="dd/MM/yyyy HH:mm"):
    """An ISO 8601 text (as in the JSON rows) shown like |dt."""
    from core.i18n import datetime_filter
    from core.validation import parse_datetime

    parsed = parse_datetime(value) if value else None
    return datetime_filter(parsed, fmt) if parsed else ""
