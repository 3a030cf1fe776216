"""Recording the call (SFU mode with MEDIA_SFU_RECORD_DIR): the chair starts and stops it, Janus writes each
publisher's tracks (.mjr) into the meeting's folder, and when it stops the app converts them with
``janus-pp-rec`` (sound to .opus, picture to .webm) into <instance>/recordings and lists them on the meeting.
Only participants may download them. Everyone in the room sees that the call is being recorded.

The only writer of CallRecording and of CallRoom.recording.
"""
import logging
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from core import audit
from core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from core.extensions import db, socketio
from core.realtime import after_commit, publish
from core.validation import payload_id
from meetings import permissions, sfu
from meetings.models import MeetingStatus
from meetings.models_call import CallFeed, CallRecording, CallRoom, TrackKind
from meetings.queries import load, room

log = logging.getLogger(__name__)

#: Janus's own names: videoroom-<room>-user-<feed>-<microseconds>-<audio|video>-<mindex>.mjr
JANUS_FILE = re.compile(r"^videoroom-(?P<room>\d+)-user-(?P<feed>\d+)-(?P<us>\d+)-(?P<kind>audio|video)-\d+\.mjr$")
EXTENSION = {TrackKind.AUDIO: "opus", TrackKind.VIDEO: "webm"}


def recordings_folder():
    folder = Path(current_app.instance_path) / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def available():
    return sfu.enabled() and bool(current_app.config["MEDIA_SFU_RECORD_DIR"])


def is_recording(meeting):
    call_room = db.session.get(CallRoom, meeting.id) if sfu.enabled() else None
    return bool(call_room and call_room.recording)


# -- the chair starts and stops --------------------------------------------------------------------

def set_recording(user, data):
    """media:record {meeting_id, on}: the chair turns recording on or off. Returns the new state."""
    meeting = load(payload_id(data, "meeting_id"))
    if meeting is None or not permissions.is_participant(user, meeting):
        raise NotFound(_("Meeting not found."))
    if not permissions.can_moderate_call(user, meeting):
        raise Forbidden(_("Only the chair can record the call."))
    on = data.get("on")
    if not isinstance(on, bool):
        message = _("Must be true or false.")
        raise Invalid({"on": message}, message)
    if not available():
        raise Conflict(_("Recording needs the call server (Janus) with a recordings folder."))
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict(_("Only a live meeting's call can be recorded."))
    call_room = sfu.room_for(meeting)
    if call_room.recording == on:
        return on  # already so: nothing to tell anyone
    try:
        sfu.record(call_room, on)
    except sfu.JanusError as exc:
        log.error("Janus refused recording meeting %s: %s", meeting.id, exc)
        raise ServiceUnavailable(_("The call server cannot be reached. Try again in a moment.")) from exc
    call_room.recording = on
    audit.record(user, "call.record_start" if on else "call.record_stop", meeting)
    publish("media:recording", {"meeting_id": meeting.id, "on": on, "by": user.id}, to=room(meeting.id))
    if not on:
        convert_after_commit(meeting.id)
    db.session.commit()
    return on


def stopped_with_meeting(meeting_id):
    """The meeting ended (its Janus room is destroyed, which closes the files): convert what was recorded."""
    call_room = db.session.get(CallRoom, meeting_id)
    if call_room is not None and call_room.recording:
        call_room.recording = False
        convert_after_commit(meeting_id)


def convert_after_commit(meeting_id):
    app = current_app._get_current_object()
    after_commit(lambda: socketio.start_background_task(_convert_in_background, app, meeting_id))


# -- converting Janus's files -----------------------------------------------------------------------

def _convert_in_background(app, meeting_id):
    with app.app_context():
        try:
            made = convert(meeting_id)
            if made:
                publish("media:recordings", {"meeting_id": meeting_id, "count": len(made)}, to=room(meeting_id))
                db.session.commit()
        except Exception:  # a background task has nobody to answer: log it, the .mjr files stay for a retry
            log.exception("converting the recording of meeting %s", meeting_id)
            db.session.rollback()
        finally:
            db.session.remove()


def convert(meeting_id):
    """Convert every track of the meeting not converted yet; returns the new CallRecording rows."""
    folder = Path(sfu.record_folder(meeting_id))
    if not folder.is_dir():
        return []
    tool = shutil.which("janus-pp-rec")
    if tool is None:
        log.error("janus-pp-rec is missing (Debian package janus-tools): meeting %s stays unconverted", meeting_id)
        return []
    feeds = dict(db.session.execute(db.select(CallFeed.id, CallFeed.user_id).where(
        CallFeed.meeting_id == meeting_id)).all())
    done = set(db.session.scalars(db.select(CallRecording.stored_name).where(CallRecording.meeting_id == meeting_id)))
    made = []
    for source in sorted(folder.glob("*.mjr")):
        match = JANUS_FILE.match(source.name)
        if not match:
            continue
        kind = TrackKind(match["kind"])
        stored_name = f"meeting-{meeting_id}-{source.stem}.{EXTENSION[kind]}"
        if stored_name in done:
            continue
        target = recordings_folder() / stored_name
        result = subprocess.run([tool, str(source), str(target)], capture_output=True, text=True, timeout=600)
        if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            log.warning("janus-pp-rec %s: %s", source.name, result.stdout[-500:] + result.stderr[-500:])
            target.unlink(missing_ok=True)
            continue
        row = CallRecording(meeting_id=meeting_id, user_id=feeds.get(int(match["feed"])), kind=kind,
                            stored_name=stored_name, size=target.stat().st_size,
                            started_at=datetime.fromtimestamp(int(match["us"]) / 1e6, UTC))
        db.session.add(row)
        made.append(row)
    db.session.flush()
    return made


# -- reading ----------------------------------------------------------------------------------------

def _recording_json(row):
    return {"id": row.id, "kind": row.kind, "user_id": row.user_id,
            "full_name": row.user.full_name if row.user else None, "size": row.size,
            "started_at": row.started_at.isoformat(), "url": f"/api/v1/recordings/{row.id}/download"}


def list_recordings(user, meeting, as_objects=False):
    """{recording, items} for the API; with ``as_objects`` the items only, as dicts with the times as datetimes
    (the meeting page)."""
    if not permissions.is_participant(user, meeting):
        raise NotFound(_("Meeting not found."))
    rows = db.session.scalars(db.select(CallRecording).where(CallRecording.meeting_id == meeting.id)
                              .order_by(CallRecording.started_at, CallRecording.id)).all()
    if as_objects:
        return [dict(_recording_json(r), started_at=r.started_at) for r in rows]
    return {"recording": is_recording(meeting), "items": [_recording_json(r) for r in rows]}


def open_recording(user, recording_id):
    """The download for a participant of the recording's meeting; NotFound for anyone else."""
    row = db.session.get(CallRecording, recording_id)
    meeting = load(row.meeting_id) if row else None
    if meeting is None or not permissions.is_participant(user, meeting):
        raise NotFound(_("File not found."))
    path = recordings_folder() / row.stored_name
    if not path.is_file():
        raise NotFound(_("File not found."))
    mimetype = "audio/ogg" if row.kind == TrackKind.AUDIO else "video/webm"
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=row.stored_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
