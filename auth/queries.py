"""Reads about people: who works in these agencies, a user in brief (shared with other modules), the
user directory, a user's tokens."""
from auth.models import Agency, ApiToken, User
from auth.protocol import agency_key
from core.collation import sort_key
from core.extensions import db


def users_in_agencies(agency_ids, *criteria):
    """The select of active users of ``agency_ids`` (narrowed by ``criteria``): the recipients
    of anything addressed to agencies."""
    return db.select(User).where(User.agency_id.in_(list(agency_ids)), User.active.is_(True), *criteria)


def user_brief(user):
    """``{id, full_name}`` of API.md, or None."""
    return {"id": user.id, "full_name": user.full_name} if user is not None else None


def find_users(q=None, agency_id=None, active_only=False):
    """Users in name order (Vietnamese collation): of ``agency_id``, with ``q`` in their name or username."""
    query = db.select(User)
    if active_only:
        query = query.where(User.active.is_(True))
    if q:
        like = f"%{q}%"
        query = query.where(db.or_(User.full_name.ilike(like), User.username.ilike(like)))
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    return sorted(db.session.scalars(query), key=lambda u: sort_key(u.full_name))


def active_user_counts():
    """{agency id: how many active users it has}."""
    return dict(db.session.execute(
        db.select(User.agency_id, db.func.count(User.id)).where(User.active.is_(True)).group_by(User.agency_id)
    ).all())


def tokens_of(user):
    """The user's API tokens, newest first."""
    return db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()


def agency_tree(include_inactive=True):
    """[(agency, depth)] in tree order: parents before children, siblings in protocol order."""
    query = db.select(Agency)
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    agencies = sorted(db.session.scalars(query), key=agency_key)
    children = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    ids = {a.id for a in agencies}
    out = []

    def walk(parent_id, depth):
        for agency in children.get(parent_id, []):
            out.append((agency, depth))
            walk(agency.id, depth + 1)

    walk(None, 0)
    # Agencies whose parent is filtered out still appear, at the top level.
    for parent_id, kids in children.items():
        if parent_id is not None and parent_id not in ids:
            for agency in kids:
                out.append((agency, 0))
                walk(agency.id, 1)
    return out
