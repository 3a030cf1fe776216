"""Meeting pages: the list, the form, the meeting's page, the live room, .ics and attendance exports."""
import csv
import io
from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from auth import queries as auth_queries
from auth.models import AgencyKind
from core import ui, xlsx
from core.errors import Forbidden
from core.forms import call_service
from core.i18n import register_js_strings
from core.validation import display_zone, parse_id
from meetings import (
    agenda,
    agenda_form,
    attendance,
    bp,
    chat,
    connection_points,
    labels,
    permissions,
    presence,
    queries,
    recordings,
    replies,
    series,
    services,
    sfu,
)
from meetings.models import MeetingStatus

STATUS_LABELS = {
    MeetingStatus.SCHEDULED: _l("Upcoming"),
    MeetingStatus.LIVE: _l("Live now"),
    MeetingStatus.ENDED: _l("Ended"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}
ROLE_LABELS = labels.ROLE_LABELS  # one table with the Word minutes: meetings/labels.py

ui.add_nav(ui.NavItem("meetings.index", _l("Meetings"), "camera-video", lambda u: u.is_authenticated, order=30))


def _home_context(user):
    if not user.is_authenticated:
        return None
    return {"meetings": queries.today_for(user), "can_create": permissions.can_create(user)}


ui.add_home_section(ui.HomeSection("meetings/_home.html", _home_context, order=30))

register_js_strings({
    "meeting_sending": _l("Sending…"),
    "meeting_sent": _l("Sent"),
    "meeting_failed": _l("Not sent yet: will retry"),
    "meeting_retry": _l("Retry"),
    "meeting_online": _l("online"),
    "meeting_offline": _l("offline"),
    "meeting_present": _l("present"),
    "meeting_load_older": _l("Load earlier messages"),
    "meeting_no_messages": _l("No messages yet. Say hello!"),
    "meeting_ended_notice": _l("The meeting has ended. The chat is closed."),
    "meeting_started_notice": _l("The meeting has started."),
    "meeting_error_empty": _l("The message is empty."),
    "meeting_error_too_long": _l("The message is too long."),
    "meeting_error_rate_limited": _l("Too many messages. Wait a few seconds."),
    "meeting_error_forbidden": _l("You are not invited to this meeting."),
    "meeting_error_meeting_ended": _l("The meeting has ended; the chat is closed."),
    "meeting_you": _l("You"),
    "meeting_guest": _l("Guest"),
    "meeting_updated": _l("The chair changed the meeting details. Click to reload."),
    "meeting_removed": _l("You are no longer invited to this meeting. Click to see your meetings."),
    "meeting_removed_notice": _l("The chair has taken you off this meeting's invitation list: its chat, minutes and "
                                 "votes are no longer open to you."),
    "meeting_removed_back": _l("My meetings"),
    "meeting_error_not_found": _l("This meeting does not exist or is no longer open to you."),
    "meeting_chars_left": _l("characters left"),
    "meeting_filter_none": _l("No one matches."),
    "meeting_status_scheduled": _l("Upcoming"),
    "meeting_status_live": _l("Live now"),
    "meeting_status_ended": _l("Ended"),
    "meeting_status_cancelled": _l("Cancelled"),
    "meeting_conn_connecting": _l("Connecting…"),
    "meeting_conn_connected": _l("Connected"),
    "meeting_conn_disconnected": _l("Offline: messages wait and are sent on return"),
    "meeting_conn_offline": _l("Offline"),
    # the call (static/js/meeting/call.js)
    "call_mic_off": _l("Mute"),
    "call_mic_on": _l("Unmute"),
    "call_camera_off": _l("Stop video"),
    "call_camera_on": _l("Start video"),
    "call_connecting": _l("Connecting…"),
    "call_in_call": _l("in the call"),
    "call_reconnecting": _l("reconnecting to the call…"),
    "call_not_live": _l("The call opens when the chair starts the meeting."),
    "call_not_participant": _l("Only the meeting's participants take part in the call."),
    "call_audio_only": _l("Video is shared among the first %(n)s people in the call: you are in it with sound only."),
    "call_record_start": _l("Record"),
    "call_record_stop": _l("Stop recording"),
    "call_recordings_ready": _l("The call's recording is ready: it is listed on the meeting's page."),
    "call_listening_only": _l("The call already has as many speakers as it can carry: you can see and hear "
                              "everyone, and others cannot hear you."),
    "call_server_lost": _l("The connection to the call server was lost. Join again."),
    "call_no_devices": _l("No microphone or camera could be opened: you see and hear the others, they do not hear "
                          "you."),
    "call_no_mic": _l("No microphone could be opened: the others do not hear you."),
    "call_no_camera": _l("No camera could be opened: you are in the call with sound only."),
    "call_device_failed": _l("That device could not be opened."),
    "call_mic_n": _l("Microphone %(n)s"),
    "call_camera_n": _l("Camera %(n)s"),
    "call_mute_one": _l("Turn their microphone off"),
    "call_muted": _l("Microphone off"),
    "call_muted_all": _l("Everyone else's microphone is off."),
    "call_muted_one": _l("%(name)s's microphone is off."),
    "call_stop_video_one": _l("Turn their camera off"),
    "call_stopped_video_one": _l("%(name)s's camera is off."),
    "call_chair_muted_you": _l("The chair turned your microphone off. Press Unmute when you speak."),
    "call_chair_stopped_video": _l("The chair turned your camera off."),
    "call_ended_meeting_over": _l("The meeting is over: the call has ended."),
    "call_ended_removed": _l("You are no longer in this meeting: the call has ended for you."),
    "call_ended_replaced": _l("You joined the call from another tab or device: this one has left it."),
    "call_unsupported": _l("This browser cannot take part in the call: use a current Chrome, Edge, Firefox or Safari."),
    "call_you": _l("%(name)s (you)"),
    "call_screen_start": _l("Present your screen"),
    "call_screen_stop": _l("Stop presenting"),
    "call_screen_failed": _l("The screen could not be shared."),
    "call_floor_prompt": _l("The chair gives you the floor."),
    "call_floor_label": _l("Has the floor"),
    "call_presenting_label": _l("Presenting"),
    "call_chair_label": _l("Chair"),
    # the connection points (static/js/meeting/points.js)
    "cp_people": _l("%(n)s people"),
    "cp_total": _l("%(people)s people at %(points)s connection points"),
    "cp_operated_by": _l("Operated by %(name)s"),
    "cp_declare_title": _l("I am the connection point of"),
    "cp_mine_title": _l("My connection point"),
    "cp_declare": _l("Declare"),
    "cp_update": _l("Update"),
    "cp_declared": _l("Your connection point is on the list."),
    "cp_save": _l("Save"),
    "cp_cancel": _l("Cancel"),
    "cp_correct_label": _l("Correct the number of people at %(agency)s"),
    "cp_remove_label": _l("Remove the connection point of %(agency)s"),
    "cp_remove_confirm": _l("Remove the connection point of %(agency)s from the meeting?"),
})


@bp.app_context_processor
def meeting_labels():
    return {"MEETING_STATUS_LABELS": STATUS_LABELS, "MEETING_ROLE_LABELS": ROLE_LABELS,
            "meeting_permissions": permissions}


def _get(meeting_id, full=False):
    return queries.get_meeting(current_user, meeting_id, full=full)


# -- list -----------------------------------------------------------------------

@bp.route("/meetings")
@login_required
def index():
    scope = request.args.get("scope", "mine")
    if scope != "all" or not permissions.is_staff(current_user):
        scope = "mine"
    groups = queries.list_for(current_user, scope)
    return render_template("meetings/index.html", groups=groups, scope=scope,
                           can_create=permissions.can_create(current_user))


# -- form -----------------------------------------------------------------------

def _local_input(value):
    """An aware UTC datetime as the value of a datetime-local input, in the display zone."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M")
    return value


def _form_from_request():
    form = request.form
    return {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "starts_at": form.get("starts_at", ""),
        "ends_at": form.get("ends_at", ""),
        "place": form.get("place", ""),
        "online": bool(form.get("online")),
        "bridge_url": form.get("bridge_url", ""),
        "secretary_id": form.get("secretary_id") or None,
        "chair_id": form.get("chair_id") or None,
        "participant_ids": form.getlist("participant_ids"),
        "agency_ids": form.getlist("agency_ids"),
        "agenda": agenda_form.from_form(form),
        "recurrence": series.form_recurrence(form),
        "scope": form.get("scope") or None,
        "repeat": form.get("repeat", ""), "repeat_end": form.get("repeat_end", ""),
        "repeat_count": form.get("repeat_count", ""), "repeat_until": form.get("repeat_until", ""),
    }


def _secretary_groups(users):
    """The secretary picker: the provincial office's staff first (they keep the minutes), then
    everyone else by agency, so the usual choice is at the top of a province-wide list."""
    office = [u for u in users if u.agency is not None and u.agency.kind == AgencyKind.PROVINCIAL_OFFICE
              and permissions.may_be_secretary(u)]
    others = {}
    for user in users:
        if user not in office and permissions.may_be_secretary(user):
            others.setdefault(user.agency.name if user.agency else _("No agency"), []).append(user)
    groups = [(_("Provincial office staff"), office)] if office else []
    return groups + list(others.items())


def _form_context(form, errors, meeting=None):
    users = queries.invitable_users()
    tree = auth_queries.agency_tree(include_inactive=False)
    rank = {agency.id: n for n, (agency, _depth) in enumerate(tree)}
    groups = {}
    for user in users:
        key = (rank.get(user.agency_id, len(rank)), user.agency.name if user.agency else _("No agency"))
        groups.setdefault(key, []).append(user)

    def as_ints(values):
        return {parse_id(v) for v in values or ()} - {None}

    shown = dict(form)
    shown["starts_at"] = _local_input(form.get("starts_at"))
    shown["ends_at"] = _local_input(form.get("ends_at"))
    return {
        "form": shown,
        "errors": errors,
        "meeting": meeting,
        "user_groups": [(name, members) for (_rank, name), members in sorted(groups.items())],
        "secretary_groups": _secretary_groups(users),
        "chair_choices": [(u.id, f"{u.full_name}{' — ' + u.title if u.title else ''}")
                          for u in users if permissions.may_chair(u)],
        "agencies": tree,
        "selected_users": as_ints(form.get("participant_ids")),
        "selected_agencies": as_ints(form.get("agency_ids")),
        **agenda_form.context(form, errors, users, meeting.chair_id if meeting else form.get("chair_id")),
    }


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create(current_user):
        abort(403)
    errors = {}
    if request.method == "POST":
        form = _form_from_request()
        meeting, errors = call_service(services.create_meeting, current_user, form, field="title")
        if not errors:
            flash(_("The meeting was scheduled and the invitations were sent."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    else:
        form = {"online": True, "participant_ids": [], "agency_ids": [], "agenda": "", "secretary_id": None,
                "chair_id": current_user.id if permissions.is_staff(current_user) else None}
    return render_template("meetings/form.html", **_form_context(form, errors))


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id):
    meeting = _get(meeting_id)
    if not permissions.can_edit(current_user, meeting):
        abort(403)
    errors = {}
    if request.method == "POST":
        form = _form_from_request()
        _meeting, errors = call_service(services.update_meeting, current_user, meeting, form, field="title")
        if not errors:
            flash(_("The meeting was saved."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    else:
        form = services.current_values(meeting)
    return render_template("meetings/form.html", **_form_context(form, errors, meeting))


# -- the meeting's page ---------------------------------------------------------

@bp.route("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id):
    meeting = _get(meeting_id, full=True)
    participants = queries.participants_of(meeting)
    rows = summary = None
    if permissions.can_see_attendance(current_user, meeting) and meeting.status != MeetingStatus.SCHEDULED:
        rows = attendance.table(current_user, meeting)
        summary = attendance.summary(meeting, rows)
    present = set(presence.present_user_ids(meeting.id)) if meeting.status == MeetingStatus.LIVE else set()
    message_count = chat.count(meeting)
    call_recordings = (recordings.list_recordings(current_user, meeting, as_objects=True)
                       if permissions.is_participant(current_user, meeting) else [])
    reply_context = replies.page_context(current_user, meeting)
    return render_template(
        "meetings/detail.html", meeting=meeting, participants=participants, attendance=rows, present=present,
        attendance_summary=summary, call_recordings=call_recordings, **reply_context,
        me=permissions.participant(current_user, meeting), perms=permissions.room_perms(current_user, meeting),
        message_count=message_count, fmt_duration=attendance.format_duration,
    )


@bp.route("/meetings/<int:meeting_id>/room")
@login_required
def room(meeting_id):
    meeting = _get(meeting_id, full=True)
    if not permissions.can_join(current_user, meeting):
        abort(404)
    participants = queries.participants_of(meeting)
    perms = permissions.room_perms(current_user, meeting)
    data = {
        "meeting_id": meeting.id,
        "user_id": current_user.id,
        "status": meeting.status,
        "max_length": current_app.config["CHAT_MAX_LENGTH"],
        "timezone": current_app.config["BABEL_DEFAULT_TIMEZONE"],
        "messages_url": url_for("meetings_api.messages", meeting_id=meeting.id),
        "participants": [
            {"id": p.user_id, "full_name": p.user.full_name, "role": p.role,
             "agency": p.user.agency.name if p.user.agency else ""}
            for p in participants
        ],
        "perms": perms,
        "connection_points": {
            "state": connection_points.state(meeting),
            "agencies": [{"id": a.id, "name": a.name} for a in connection_points.agency_choices(current_user, meeting)],
            "url": url_for("meetings_api.list_connection_points", meeting_id=meeting.id),
        },
        "agenda": agenda.agenda_state(meeting),
        "call": {"mode": "sfu" if sfu.enabled() else "mesh", "recording_available": recordings.available(),
                 "recording": recordings.is_recording(meeting)},
    }
    return render_template("meetings/room.html", meeting=meeting, participants=participants,
                           me=permissions.participant(current_user, meeting), perms=perms, room_data=data)


@bp.route("/meetings/<int:meeting_id>/<any(start, end, cancel):action>", methods=["POST"])
@login_required
def change_status(meeting_id, action):
    meeting = _get(meeting_id)
    if not permissions.can_manage(current_user, meeting):
        abort(403)
    if action == "start":
        _meeting, errors = call_service(services.start_meeting, current_user, meeting)
        done = _("The meeting has started.")
    elif action == "end":
        _meeting, errors = call_service(services.end_meeting, current_user, meeting)
        done = _("The meeting has ended.")
    else:
        _meeting, errors = call_service(services.cancel_meeting, current_user, meeting, request.form.get("reason", ""))
        done = _("The meeting was cancelled and the invitees were told.")
    if errors:
        flash("; ".join(errors.values()), "error")
    elif action == "start":
        flash(done, "success")
        return redirect(url_for("meetings.room", meeting_id=meeting.id))
    else:
        flash(done, "info")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/invite.ics")
@login_required
def ics_download(meeting_id):
    meeting = _get(meeting_id, full=True)
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    body = services.invitation_ics(meeting, method=method)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="cuoc-hop-{meeting.id}.ics"'})


# -- attendance exports ---------------------------------------------------------

#: columns of the attendance exports holding a time (UTC) and a number of seconds
_FIRST_JOINED, _LAST_LEFT, _TIME_PRESENT, _LATE_MINUTES, _JOINED_CALL = 4, 5, 6, 8, 9


def _export_rows(meeting):
    """The header and one row per person; times stay datetimes and durations seconds, for each
    export to write in its own way (text in the CSV, date and duration cells in the XLSX)."""
    try:
        rows = attendance.table(current_user, meeting)
    except Forbidden:
        abort(403)
    header = [_("Full name"), _("Agency"), _("Role"), _("Status"), _("First joined"), _("Last left"),
              _("Time present"), _("Seconds present"), _("Late (minutes)"), _("Joined the call")]
    out = []
    for row in rows:
        out.append([
            row["full_name"], row["agency"], str(ROLE_LABELS.get(row["role"], row["role"])),
            _("Present") if row["status"] == "present" else _("Absent"),
            row["first_joined_at"], row["last_left_at"], row["present_seconds"], row["present_seconds"],
            None if row["late_seconds"] is None else round(row["late_seconds"] / 60, 1), row["joined_call_at"],
        ])
    return header, out, _export_points(attendance.summary(meeting, rows))


def _export_points(summary):
    """The rows below the people: each connection point and the total number of people attending."""
    out = [[]]
    if summary["connection_points"]:
        out += [[_("Connection points")], [_("Agency"), _("Operated by"), _("People present")]]
        out += [[p["agency"]["name"], p["operator"]["full_name"], p["people_present"]]
                for p in summary["connection_points"]]
    out.append([_("People attending in all"), "", summary["people_total"]])
    return out


@bp.route("/meetings/<int:meeting_id>/attendance.csv")
@login_required
def attendance_csv(meeting_id):
    from core.i18n import datetime_filter

    meeting = _get(meeting_id)
    header, rows, points = _export_rows(meeting)
    buf = io.StringIO()
    buf.write("\ufeff")  # so spreadsheet programs read UTF-8 Vietnamese correctly
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        row[_FIRST_JOINED] = datetime_filter(row[_FIRST_JOINED], "dd/MM/yyyy HH:mm:ss")
        row[_LAST_LEFT] = datetime_filter(row[_LAST_LEFT], "dd/MM/yyyy HH:mm:ss")
        row[_TIME_PRESENT] = attendance.format_duration(row[_TIME_PRESENT])
        row[_LATE_MINUTES] = "" if row[_LATE_MINUTES] is None else row[_LATE_MINUTES]
        row[_JOINED_CALL] = datetime_filter(row[_JOINED_CALL], "dd/MM/yyyy HH:mm:ss")
        writer.writerow(row)
    writer.writerows(points)
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="diem-danh-hop-{meeting.id}.csv"'})


@bp.route("/meetings/<int:meeting_id>/attendance.xlsx")
@login_required
def attendance_xlsx(meeting_id):
    """Times as date cells (naive, in the display zone) and the time present as a duration cell, so
    Excel sorts by arrival and sums the time present."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    meeting = _get(meeting_id)
    header, rows, points = _export_rows(meeting)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Attendance")[:31]
    ws.append([meeting.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        row[_FIRST_JOINED] = xlsx.local_naive(row[_FIRST_JOINED])
        row[_LAST_LEFT] = xlsx.local_naive(row[_LAST_LEFT])
        row[_TIME_PRESENT] = timedelta(seconds=row[_TIME_PRESENT] or 0)
        row[_JOINED_CALL] = xlsx.local_naive(row[_JOINED_CALL])
        ws.append(row)
        cells = ws[ws.max_row]
        cells[_FIRST_JOINED].number_format = xlsx.DATETIME_SECONDS_FORMAT
        cells[_LAST_LEFT].number_format = xlsx.DATETIME_SECONDS_FORMAT
        cells[_TIME_PRESENT].number_format = xlsx.DURATION_FORMAT
        cells[_JOINED_CALL].number_format = xlsx.DATETIME_SECONDS_FORMAT
    for row in points:
        ws.append(row)
        if len(row) == 1 or row[:1] == [_("People attending in all")]:
            ws[ws.max_row][0].font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJ", (28, 30, 12, 12, 20, 20, 12, 12, 12, 20), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return xlsx.xlsx_response(buf.getvalue(), f"diem-danh-hop-{meeting.id}.xlsx")
