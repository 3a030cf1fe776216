"""The JSON shapes of meetings, chat messages and attendance rows (API.md), in one place."""
from core.dbtypes import isoformat
from meetings import permissions
from meetings.queries import participants_of


def message_to_dict(message):
    return {
        "id": message.id,
        "meeting_id": message.meeting_id,
        "author": {"id": message.author_id, "full_name": message.author.full_name if message.author else ""},
        "body": message.body,
        "created_at": isoformat(message.created_at),
        "client_id": message.client_id,
    }


def attendance_to_json(rows):
    out = []
    for row in rows:
        item = dict(row)
        item["first_joined_at"] = isoformat(row["first_joined_at"])
        item["last_left_at"] = isoformat(row["last_left_at"])
        item["joined_call_at"] = isoformat(row.get("joined_call_at"))
        out.append(item)
    return out


def meeting_to_dict(meeting, user=None, participants=None):
    participants = participants if participants is not None else participants_of(meeting)
    data = {
        "id": meeting.id,
        "title": meeting.title,
        "description": meeting.description,
        "starts_at": isoformat(meeting.starts_at),
        "ends_at": isoformat(meeting.ends_at),
        "place": meeting.place,
        "online": meeting.online,
        "bridge_url": meeting.bridge_url or None,
        "status": meeting.status,
        "started_at": isoformat(meeting.started_at),
        "ended_at": isoformat(meeting.ended_at),
        "chair_id": meeting.chair_id,
        "secretary_id": meeting.secretary_id,
        "follow_up_of_id": meeting.follow_up_of_id,
        "created_by_id": meeting.created_by_id,
        "created_at": isoformat(meeting.created_at),
        "participants": [
            {
                "user_id": p.user_id,
                "full_name": p.user.full_name,
                "agency_id": p.user.agency_id,
                "role": p.role,
                "via_agency_id": p.via_agency_id,
            }
            for p in participants
        ],
        "agenda": [
            {"id": a.id, "position": a.position, "title": a.title, "presenter_id": a.presenter_id,
             "planned_minutes": a.planned_minutes}
            for a in meeting.agenda_items
        ],
    }
    if user is not None:
        data["permissions"] = permissions.room_perms(user, meeting)
    return data


def status_payload(meeting):
    return {
        "meeting_id": meeting.id,
        "status": meeting.status,
        "started_at": isoformat(meeting.started_at),
        "ended_at": isoformat(meeting.ended_at),
    }


def meeting_summary(meeting, counts):
    return {
        "id": meeting.id,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "status": meeting.status,
        "place": meeting.place,
        "online": meeting.online,
        "chair_id": meeting.chair_id,
        "participant_count": counts.get(meeting.id, 0),
    }
