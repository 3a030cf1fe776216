"""Reads other modules share about people: who works in these agencies, a user in brief."""
from auth.models import User
from core.extensions import db


def users_in_agencies(agency_ids, *criteria):
    """The select of active users of ``agency_ids`` (narrowed by ``criteria``): the recipients
    of anything addressed to agencies."""
    return db.select(User).where(User.agency_id.in_(list(agency_ids)), User.active.is_(True), *criteria)


def user_brief(user):
    """``{id, full_name}`` of API.md, or None."""
    return {"id": user.id, "full_name": user.full_name} if user is not None else None
