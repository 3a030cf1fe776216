"""E-mail through smtplib, sent in the background after the transaction commits."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from core.extensions import socketio
from core.realtime import after_commit

log = logging.getLogger(__name__)


def mail_enabled():
    return bool(current_app.config.get("MAIL_SERVER"))


def build_message(to, subject, body, attachments=()):
    """attachments: [(filename, mime "type/subtype", bytes)]"""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_after_commit(to, subject, body, attachments=()):
    """Queue one e-mail; does nothing when mail is not configured or there is no address."""
    if not to or not mail_enabled():
        return False
    msg = build_message(to, subject, body, attachments)
    settings = _settings()
    after_commit(lambda: socketio.start_background_task(deliver, settings, msg))
    return True


def _settings():
    c = current_app.config
    return {
        "host": c["MAIL_SERVER"],
        "port": c["MAIL_PORT"],
        "username": c["MAIL_USERNAME"],
        "password": c["MAIL_PASSWORD"],
        "tls": c["MAIL_USE_TLS"],
    }


def deliver(settings, msg):
    try:
        with smtplib.SMTP(settings["host"], settings["port"], timeout=20) as smtp:
            if settings["tls"]:
                smtp.starttls()
            if settings["username"]:
                smtp.login(settings["username"], settings["password"] or "")
            smtp.send_message(msg)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s", msg["To"])
        return False
