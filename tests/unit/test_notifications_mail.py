"""Notification e-mail goes through a real SMTP server (aiosmtpd) when MAIL_SERVER is set, after commit only."""
import time

import pytest

from core.extensions import db
from notifications import mail
from notifications.services import notify
from tests.conftest import SMTP_PORT, free_port

mail_on = pytest.mark.parametrize("app_config", [{"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": SMTP_PORT,
                                                  "MAIL_SENDER": "chidao@ubnd.example.vn"}])


@mail_on
def test_notification_mail_is_sent_in_the_recipients_language(app, factory, inbox):
    vi = factory.user(email="an@syt.example.vn", locale="vi")
    en = factory.user(email="binh@syt.example.vn", locale="en")
    nobody = factory.user(email=None)
    from flask_babel import gettext as _

    notify([vi, en, nobody], "test.mail", lambda u: _("Notifications"),
           email_subject=lambda u: f"[{u.locale}] " + _("Notifications"), email_body="Nội dung: hạn xử lý 30/11")
    assert inbox.messages == []  # nothing before the commit
    db.session.commit()
    got = inbox.wait(2)
    assert len(got) == 2
    by_rcpt = {tuple(rcpts): msg for rcpts, msg in got}
    vi_msg = by_rcpt[("an@syt.example.vn",)]
    assert vi_msg["Subject"] == "[vi] Thông báo" and vi_msg["From"] == "chidao@ubnd.example.vn"
    assert "hạn xử lý" in vi_msg.get_content()
    assert by_rcpt[("binh@syt.example.vn",)]["Subject"] == "[en] Notifications"


@mail_on
def test_no_mail_for_a_rolled_back_change(app, factory, inbox):
    user = factory.user(email="an@syt.example.vn")
    notify([user], "test.mail", "Xin chào", email_subject="Chủ đề")
    db.session.rollback()
    factory.user()  # a later commit must not send it either
    time.sleep(0.3)
    assert inbox.messages == []


def test_nothing_is_sent_when_mail_is_not_configured(app, factory, inbox, monkeypatch):
    sent = []
    monkeypatch.setattr(mail, "deliver", lambda *a: sent.append(a))
    user = factory.user(email="an@syt.example.vn")
    notify([user], "test.mail", "Xin chào", email_subject="Chủ đề")
    db.session.commit()
    time.sleep(0.3)
    assert sent == [] and inbox.messages == []
    assert mail.send_after_commit("x@example.vn", "s", "b") is False


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()}])
def test_unreachable_mail_server_does_not_break_the_action(app, factory):
    user = factory.user(email="an@syt.example.vn")
    rows = notify([user], "test.mail", "Xin chào", email_subject="Chủ đề")
    db.session.commit()
    assert rows[0].id is not None
    settings = mail._settings()
    assert mail.deliver(settings, mail.build_message("an@syt.example.vn", "s", "b")) is False


@mail_on
def test_attachments_are_sent(app, inbox):
    msg = mail.build_message(
        "an@syt.example.vn",
        "Giấy mời họp",
        "Kính mời",
        [("moi-hop.ics", "text/calendar", b"BEGIN:VCALENDAR")],
    )
    assert mail.deliver(mail._settings(), msg) is True
    (_rcpts, got), = inbox.wait(1)
    parts = [p.get_filename() for p in got.iter_attachments()]
    assert parts == ["moi-hop.ics"]
