"""JSON endpoints of meetings (API.md): create, read, change status, chat history, attendance, and the
outcomes: minutes, votes, speaker queue, conclusions and the directives born from them.

Thin: parse, call the service, serialize. Objects the caller may not see are 404.
"""
from flask import jsonify, request
from flask_login import current_user

from core.api import json_body
from core.errors import Forbidden, NotFound
from core.text import render_markdown
from core.validation import Fields
from meetings import api_bp as api
from meetings import (
    call,
    chat,
    conclusions,
    connection_points,
    minutes,
    permissions,
    queries,
    recordings,
    schemas,
    services,
    speakers,
    votes,
)
from meetings.attendance import summary as attendance_summary
from meetings.attendance import table as attendance_table
from meetings.presence import present_user_ids


@api.get("/meetings")
def list_meetings():
    """The caller's meetings (``scope=all``: every meeting, for leaders and admins)."""
    groups = queries.list_for(current_user, request.args.get("scope", "mine"))
    items = [schemas.meeting_summary(m, groups["counts"]) for key in ("live", "upcoming", "past") for m in groups[key]]
    return jsonify(items=items)


@api.post("/meetings")
def create_meeting():
    meeting = services.create_meeting(current_user, json_body())
    return jsonify(schemas.meeting_to_dict(meeting, current_user)), 201


@api.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id, full=True)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.patch("/meetings/<int:meeting_id>")
def update_meeting(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    data = services.current_values(meeting)
    data.update(json_body())
    meeting = services.update_meeting(current_user, meeting, data)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/start")
def start_meeting(meeting_id):
    meeting = services.start_meeting(current_user, queries.get_meeting(current_user, meeting_id))
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/end")
def end_meeting(meeting_id):
    meeting = services.end_meeting(current_user, queries.get_meeting(current_user, meeting_id))
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/cancel")
def cancel_meeting(meeting_id):
    data = request.get_json(silent=True) or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    meeting = services.cancel_meeting(current_user, queries.get_meeting(current_user, meeting_id), reason)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.get("/meetings/<int:meeting_id>/messages")
def messages(meeting_id):
    """``after=<id>`` (newer than), ``before=<id>`` (scroll-back page), ``limit`` (1..200); oldest first."""
    meeting = queries.get_meeting(current_user, meeting_id)
    if not permissions.can_join(current_user, meeting):
        raise NotFound()
    f = Fields(request.args.to_dict())
    after = f.int("after", required=False, min_value=0)
    before = f.int("before", required=False, min_value=1)
    limit = f.int("limit", required=False, min_value=1, max_value=chat.MAX_PAGE, default=chat.HISTORY_PAGE)
    f.check()
    rows = chat.list_messages(current_user, meeting, after=after, before=before, limit=limit)
    return jsonify(items=[schemas.message_to_dict(m) for m in rows])


@api.get("/meetings/<int:meeting_id>/recordings")
def call_recordings(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(recordings.list_recordings(current_user, meeting))


@api.get("/recordings/<int:recording_id>/download")
def download_recording(recording_id):
    return recordings.open_recording(current_user, recording_id)


@api.get("/meetings/<int:meeting_id>/presence")
def presence(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(meeting_id=meeting.id, present=present_user_ids(meeting.id))


@api.get("/meetings/<int:meeting_id>/media")
def media(meeting_id):
    """The call: {mode, ice_servers, video_limit, live}; participants only (others: 404)."""
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(call.media_info(current_user, meeting))


@api.get("/meetings/<int:meeting_id>/attendance")
def attendance(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    if not permissions.can_see_attendance(current_user, meeting):
        raise Forbidden()
    rows = attendance_table(current_user, meeting)
    return jsonify(meeting_id=meeting.id, items=schemas.attendance_to_json(rows), **attendance_summary(meeting, rows))


# -- connection points (điểm cầu) -----------------------------------------------------

@api.get("/meetings/<int:meeting_id>/connection-points")
def list_connection_points(meeting_id):
    return jsonify(connection_points.state(queries.get_meeting(current_user, meeting_id)))


@api.post("/meetings/<int:meeting_id>/connection-points")
def declare_connection_point(meeting_id):
    """Declare my connection point, or update it: {agency_id?, people_present}."""
    meeting = queries.get_meeting(current_user, meeting_id)
    point = connection_points.declare(current_user, meeting, json_body())
    return jsonify(dict(connection_points.state(meeting), mine=connection_points.point_dict(point)))


@api.patch("/meetings/<int:meeting_id>/connection-points/<int:point_id>")
def correct_connection_point(meeting_id, point_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    point = connection_points.get_point(current_user, meeting, point_id)
    connection_points.correct(current_user, meeting, point, json_body())
    return jsonify(connection_points.state(meeting))


@api.delete("/meetings/<int:meeting_id>/connection-points/<int:point_id>")
def remove_connection_point(meeting_id, point_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    connection_points.remove(current_user, meeting, connection_points.get_point(current_user, meeting, point_id))
    return jsonify(connection_points.state(meeting))


# -- minutes ------------------------------------------------------------------

@api.get("/meetings/<int:meeting_id>/minutes")
def get_minutes(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    state = minutes.minutes_state(meeting)
    if request.args.get("render") == "1":  # the room's reconnect: the sanitised HTML too
        state["html"] = str(render_markdown(state["body"]))
    return jsonify(state)


@api.put("/meetings/<int:meeting_id>/minutes")
def put_minutes(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    result = minutes.save_minutes(current_user, meeting, json_body())
    return jsonify(version=result["version"])


@api.post("/meetings/<int:meeting_id>/minutes/finalize")
def finalize_minutes(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(minutes.finalize_minutes(current_user, meeting))


@api.get("/meetings/<int:meeting_id>/minutes/revisions")
def list_revisions(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(items=[minutes.revision_dict(r) for r in minutes.revisions(meeting)])


@api.get("/meetings/<int:meeting_id>/minutes/revisions/<int:version>")
def get_revision(meeting_id, version):
    meeting = queries.get_meeting(current_user, meeting_id)
    revision = minutes.get_revision(meeting, version)
    return jsonify(dict(minutes.revision_dict(revision), body=revision.body))


@api.post("/meetings/<int:meeting_id>/minutes/revisions/<int:version>/restore")
def restore_revision(meeting_id, version):
    meeting = queries.get_meeting(current_user, meeting_id)
    revision = minutes.restore_revision(current_user, meeting, version)
    return jsonify(version=revision.version, restored_from=revision.restored_from)


# -- votes --------------------------------------------------------------------------

@api.get("/meetings/<int:meeting_id>/votes")
def list_votes(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(items=votes.meeting_votes(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/votes")
def open_vote(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    vote = votes.open_vote(current_user, meeting, json_body())
    return jsonify(votes.vote_dict(vote, current_user)), 201


@api.get("/votes/<int:vote_id>")
def get_vote(vote_id):
    return jsonify(votes.vote_dict(votes.get_vote(current_user, vote_id), current_user))


@api.route("/votes/<int:vote_id>/ballot", methods=["PUT", "POST"])
def cast_ballot(vote_id):
    vote = votes.get_vote(current_user, vote_id)
    votes.cast_ballot(current_user, vote, json_body())
    return jsonify(votes.vote_dict(vote, current_user))


@api.post("/votes/<int:vote_id>/close")
def close_vote(vote_id):
    vote = votes.close_vote(current_user, votes.get_vote(current_user, vote_id))
    return jsonify(votes.vote_dict(vote, current_user))


# -- speaker queue -----------------------------------------------------------------

@api.get("/meetings/<int:meeting_id>/speakers")
def get_speakers(meeting_id):
    return jsonify(speakers.speakers_state(queries.get_meeting(current_user, meeting_id)))


@api.post("/meetings/<int:meeting_id>/speakers")
def raise_hand(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    speakers.raise_hand(current_user, meeting)
    return jsonify(speakers.speakers_state(meeting)), 201


@api.delete("/meetings/<int:meeting_id>/speakers/me")
def lower_hand(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    speakers.lower_hand(current_user, meeting)
    return jsonify(speakers.speakers_state(meeting))


@api.post("/speaker-requests/<int:request_id>/grant")
def grant_floor(request_id):
    req, meeting = speakers.get_speaker_request(current_user, request_id)
    speakers.grant_floor(current_user, req, meeting)
    return jsonify(speakers.speakers_state(meeting))


@api.post("/speaker-requests/<int:request_id>/remove")
def remove_request(request_id):
    req, meeting = speakers.get_speaker_request(current_user, request_id)
    speakers.remove_request(current_user, req, meeting)
    return jsonify(speakers.speakers_state(meeting))


# -- conclusions and directives -----------------------------------------------------

@api.get("/meetings/<int:meeting_id>/conclusions")
def list_conclusions(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(items=conclusions.conclusions_payload(meeting)["items"])


@api.post("/meetings/<int:meeting_id>/conclusions")
def add_conclusion(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    conclusion = conclusions.add_conclusion(current_user, meeting, json_body())
    return jsonify(conclusions.conclusion_dict(conclusion)), 201


@api.patch("/conclusions/<int:conclusion_id>")
def update_conclusion(conclusion_id):
    conclusion, meeting = conclusions.get_conclusion(current_user, conclusion_id)
    conclusions.update_conclusion(current_user, conclusion, meeting, json_body())
    return jsonify(conclusions.conclusion_dict(conclusion, conclusions.conclusion_links(meeting)))


@api.delete("/conclusions/<int:conclusion_id>")
def delete_conclusion(conclusion_id):
    conclusion, meeting = conclusions.get_conclusion(current_user, conclusion_id)
    conclusions.delete_conclusion(current_user, conclusion, meeting)
    return "", 204


@api.post("/conclusions/<int:conclusion_id>/directive")
def directive_from_conclusion(conclusion_id):
    from directives.schemas import serialize_directive

    conclusion, meeting = conclusions.get_conclusion(current_user, conclusion_id)
    directive = conclusions.issue_directive_from_conclusion(current_user, conclusion, meeting, json_body())
    return jsonify(serialize_directive(directive, user=current_user)), 201


@api.get("/meetings/<int:meeting_id>/directives")
def meeting_directives(meeting_id):
    """Directives born from this meeting and, for a follow-up, those of the earlier meeting."""
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(
        items=conclusions.meeting_directives(meeting),
        follow_up_of_id=meeting.follow_up_of_id,
        follow_up=conclusions.follow_up_directives(meeting),
    )


# -- the OpenAPI entries of the routes above that API.md does not already list -------------
def _document():
    from core import openapi as oa

    S, INT = oa.S, oa.I
    read = (401, 404)
    write = (400, 401, 403, 404, 409, 422)
    oa.path("/meetings/{meeting_id}/minutes/revisions",
            get=oa._op("Every saved version of the minutes, newest first: {items: [{version, author, created_at, "
                       "restored_from, length}]}", "participants, leaders, admins", errors=read))
    oa.path("/meetings/{meeting_id}/minutes/revisions/{version}",
            get=oa._op("One version with its body", "participants, leaders, admins", errors=read))
    oa.path("/meetings/{meeting_id}/minutes/revisions/{version}/restore",
            post=oa._op("Make an old version current again, as a new version: {version, restored_from}",
                        "chair or secretary", errors=(401, 403, 404, 409)))
    oa.path("/meetings/{meeting_id}/votes",
            get=oa._op("The meeting's votes with counts; named votes list who chose what, anonymous never",
                       "participants, leaders, admins", errors=read),
            post=oa._op("Open a vote (options default to Đồng ý / Không đồng ý / Ý kiến khác)", "chair", 201,
                        oa._obj(["question"], question=S, options={"type": "array", "items": S},
                                anonymous={"type": "boolean"}), errors=write))
    oa.path("/votes/{vote_id}", get=oa._op("One vote: counts, total, my_choice", "participants, leaders, admins",
                                           errors=read))
    ballot = oa._op("Cast or change my ballot while the vote is open (409 once closed)", "participants", 200,
                    oa._obj(["choice"], choice={"type": "integer", "minimum": 0}), errors=write)
    oa.path("/votes/{vote_id}/ballot", put=ballot, post=ballot)
    oa.path("/votes/{vote_id}/close", post=oa._op("Close the vote; its counts become the result", "chair",
                                                  errors=(401, 403, 404)))
    oa.path("/meetings/{meeting_id}/speakers",
            get=oa._op("The speaker queue: {current, queue: [...]} in order of raised hands",
                       "participants, leaders, admins", errors=read),
            post=oa._op("Raise my hand (again: keeps my place)", "participants", 201, errors=(401, 403, 404, 409)))
    oa.path("/meetings/{meeting_id}/speakers/me",
            delete=oa._op("Lower my hand", "participants", errors=(401, 403, 404)))
    oa.path("/speaker-requests/{request_id}/grant", post=oa._op("Give the floor", "chair", errors=(401, 403, 404, 409)))
    oa.path("/speaker-requests/{request_id}/remove", post=oa._op("Remove a request or end a turn", "chair",
                                                                 errors=(401, 403, 404)))
    oa.path("/meetings/{meeting_id}/conclusions",
            get=oa._op("The meeting's conclusions with the directive ids issued from each",
                       "participants, leaders, admins", errors=read))
    oa.path("/conclusions/{conclusion_id}",
            patch=oa._op("Edit a conclusion", "chair or secretary", body=oa._obj(["text"], text=S), errors=write),
            delete=oa._op("Delete a conclusion that has no directive", "chair or secretary", 204,
                          errors=(401, 403, 404, 409)))
    oa.path("/meetings/{meeting_id}/directives",
            get=oa._op("Directives born from the meeting, with each assignment's status and tracking; for a "
                       "follow-up meeting also those of the earlier meeting (follow_up)",
                       "participants, leaders, admins",
                       errors=read))
    oa.path("/meetings/{meeting_id}/media",
            get=oa._op("The call: {mode: \"mesh\"|\"sfu\", ice_servers: [{urls, username?, credential?}], "
                       "video_limit, live, sfu?: {url, room, token}} (sfu while a Janus-backed meeting is live; 503 "
                       "when Janus cannot be reached); TURN credentials follow coturn's REST API scheme. Signalling "
                       "runs over Socket.IO (media:* events, docs/meetings.md)", "participants",
                       errors=(401, 404, 503)))
    oa.path("/meetings/{meeting_id}/recordings",
            get=oa._op("The call's recordings (SFU mode): {recording, items: [{id, kind, user_id, full_name, size, "
                       "started_at, url}]}: one file per person and track, sound .opus, picture .webm",
                       "participants", errors=read))
    download = oa._op("One recorded track, as an attachment", "participants of its meeting", errors=read)
    download["responses"]["200"] = {"description": "The file: audio/ogg (Opus) or video/webm",
                                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
    oa.path("/recordings/{recording_id}/download", get=download)
    point_fields = {"agency_id": {**INT, "minimum": 1}, "people_present": {**INT, "minimum": 1, "maximum": 10000}}
    points = "{meeting_id, items: [{id, agency: {id, name}, operator: {id, full_name}, people_present, " \
             "declared_at, updated_at}], points, people}"
    oa.path("/meetings/{meeting_id}/connection-points",
            get=oa._op(f"The meeting's connection points (điểm cầu) and the people at them: {points}",
                       "participants, leaders, admins", errors=read),
            post=oa._op("Declare my connection point, or update it (one per participant, one per agency): the "
                        "agency (default: mine; else one of the invited agencies) and the people present (1..10000); "
                        "answers the list with mine", "participants, while the meeting is scheduled or live",
                        body=oa._obj(["people_present"], **point_fields), errors=write))
    oa.path("/meetings/{meeting_id}/connection-points/{point_id}",
            patch=oa._op("Correct a connection point (its agency or people present); answers the list",
                         "chair or secretary, until the minutes are final", body=oa._obj(**point_fields),
                         errors=write),
            delete=oa._op("Remove a connection point; answers the list",
                          "chair or secretary (until the minutes are final), or its operator while the meeting is "
                          "not over", errors=(401, 403, 404, 409)))
    oa.path("/meetings/{meeting_id}/follow-up",
            put=oa._op("Mark the meeting as the follow-up of an earlier one ({follow_up_of_id: id | null})",
                       "chair, admin", body=oa._obj(follow_up_of_id=INT), errors=write))


_document()


@api.put("/meetings/<int:meeting_id>/follow-up")
def set_follow_up(meeting_id):
    """{follow_up_of_id: id | null}: this meeting follows up the conclusions of an earlier one."""
    meeting = queries.get_meeting(current_user, meeting_id)
    conclusions.set_follow_up(current_user, meeting, json_body())
    return jsonify(follow_up_of_id=meeting.follow_up_of_id, follow_up=conclusions.follow_up_directives(meeting))
