from core.dbtypes import UTCDateTime, utcnow
from core.extensions import db


class Notification(db.Model):
    """One message to one user, shown under the bell until read."""

    __tablename__ = "notifications"
    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the recipient
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    #: what it is about, e.g. "directive.new", "meeting.invited", "reminder.overdue"
    kind = db.Column(db.String(64), nullable=False)
    #: the one-line text, already in the recipient's language
    text = db.Column(db.String(500), nullable=False)
    #: where clicking it goes (a path inside the app)
    link = db.Column(db.String(500))
    #: when it was made
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: when the user read it; null while unread
    read_at = db.Column(UTCDateTime)

    def to_dict(self):
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "link": self.link,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "read": self.read_at is not None,
        }
