"""Agencies, users and API tokens."""
import enum

from flask_login import UserMixin

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class Role(enum.StrEnum):
    """What a user does; what each role may do is decided in auth/permissions.py only."""

    ADMIN = "admin"
    LEADER = "leader"
    OFFICER = "officer"


class AgencyKind(enum.StrEnum):
    """In protocol order: the provincial office, departments, districts (huyện, thị xã, thành phố),
    communes (xã, phường, thị trấn), then anything else."""

    PROVINCIAL_OFFICE = "provincial_office"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    OTHER = "other"


class Agency(db.Model):
    """A unit of the province: the provincial office, a department, a district..."""

    __tablename__ = "agencies"
    __table_args__ = (one_of("kind", AgencyKind),)

    id = db.Column(db.Integer, primary_key=True)
    #: short unique code, e.g. "SYT" (health department)
    code = db.Column(db.String(32), nullable=False, unique=True)
    #: full Vietnamese name, e.g. "Sở Y tế"
    name = db.Column(db.String(255), nullable=False)
    #: the agency above it in the tree, if any
    parent_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    #: an AgencyKind: provincial_office, department, district, commune or other
    kind = db.Column(db.String(32), nullable=False, default=AgencyKind.DEPARTMENT.value)
    #: an officer's result goes to the agency's leader for approval before it goes up (directives/cascade.py)
    approval_required = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    #: inactive agencies keep their history but get no new work
    active = db.Column(db.Boolean, nullable=False, default=True)
    #: when it was created
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    parent = db.relationship("Agency", remote_side=[id], backref="children")

    def to_dict(self):
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "parent_id": self.parent_id,
            "kind": self.kind,
            "active": self.active,
            "approval_required": self.approval_required,
        }


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role),)

    id = db.Column(db.Integer, primary_key=True)
    #: login name, stored lower-case
    username = db.Column(db.String(64), nullable=False, unique=True)
    #: name shown everywhere, e.g. "Nguyễn Văn An"
    full_name = db.Column(db.String(255), nullable=False)
    #: for notifications by mail; optional
    email = db.Column(db.String(255))
    #: a Role: admin, leader or officer
    role = db.Column(db.String(16), nullable=False, default=Role.OFFICER.value)
    #: the agency the user works for (officers always have one)
    agency_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    #: job title, e.g. "Chủ tịch UBND tỉnh"
    title = db.Column(db.String(255))
    #: receives the meeting invitations addressed to the agency and answers for it (đầu mối)
    meeting_contact = db.Column(db.Boolean, nullable=False, default=False)
    #: preferred UI language: vi or en
    locale = db.Column(db.String(8), nullable=False, default="vi")
    #: deactivated users cannot log in; their history stays
    active = db.Column(db.Boolean, nullable=False, default=True)
    #: werkzeug password hash
    password_hash = db.Column(db.String(255), nullable=False)
    #: when it was created
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: last successful login
    last_login_at = db.Column(UTCDateTime)

    agency = db.relationship("Agency", backref="users")

    #: the browser login (or, on a socket, ``token:<id>``) this object was loaded for, not stored
    login_key = None

    def get_login_key(self):
        """What Flask-Login keeps in the session and the "keep me signed in" cookie (its
        ``id_attribute``): the login, not the user id, so ending the login ends both."""
        if not self.login_key:
            raise RuntimeError("start_login() before login_user()")
        return self.login_key

    @property
    def is_active(self):  # Flask-Login: inactive users cannot be logged in
        return bool(self.active)

    def to_dict(self):
        return {
            "id": self.id,
            "username": self.username,
            "full_name": self.full_name,
            "role": self.role,
            "agency_id": self.agency_id,
            "email": self.email,
            "title": self.title,
            "active": self.active,
            "locale": self.locale,
            "meeting_contact": self.meeting_contact,
        }


class ApiToken(db.Model):
    """A bearer token for programs; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    #: owner
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: a name the owner recognises, e.g. "mobile app"
    name = db.Column(db.String(100), nullable=False)
    #: hex SHA-256 of the token
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    #: the first characters, shown so the owner can tell tokens apart
    prefix = db.Column(db.String(12), nullable=False)
    #: when it was made
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when it stops working; null: never
    expires_at = db.Column(UTCDateTime)
    #: last request made with it
    last_used_at = db.Column(UTCDateTime)
    #: set when revoked; a revoked token never works again
    revoked_at = db.Column(UTCDateTime)

    user = db.relationship("User", backref=db.backref("api_tokens", passive_deletes=True))

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked": self.revoked_at is not None,
        }


class BrowserLogin(db.Model):
    """One sign-in from a browser. Its id travels in the signed session cookie and in the "keep me
    signed in" cookie; ending it here (logout, password change, sign out everywhere...) makes a copy
    of either cookie taken before useless."""

    __tablename__ = "browser_logins"

    #: random id, also kept in the session as ``login_id`` (sockets remember it too)
    id = db.Column(db.String(64), primary_key=True)
    #: who signed in
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: when
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: when it was logged out or revoked; null while it lasts
    ended_at = db.Column(UTCDateTime)
    #: when it stops working anyway: the session lifetime, or longer with "keep me signed in"
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
