"""Every HTML form route (a POST outside /api), generated from app.url_map: someone signed in
without the right answers 403 (404 for an object they may not see) with the error page, never a
redirect with a flash, and nothing is written; someone not signed in goes to the login page."""
from datetime import timedelta

import pytest

from auth import services as auth_services
from core.audit import AuditLog
from core.dbtypes import utcnow
from core.extensions import db
from directives import extensions as directive_extensions
from directives import services as directive_services
from meetings import conclusions, minutes
from meetings import services as meeting_services
from tests.conftest import csrf_from, login

#: routes any signed-in user may post to for themselves: nothing to refuse
SELF_SERVICE = {"auth.login", "auth.logout", "core.set_language", "auth.profile", "auth.change_password",
                "auth.create_token", "auth.sign_out_everywhere", "notifications.read_all",
                "auth.forgot_password", "auth.reset_password", "meetings.calendar_feed_renew"}
#: meeting forms an invited member posts for themselves (their reply to the invitation)
MEMBER_FORMS = {"meetings.reply"}
#: routes open to someone not signed in
PUBLIC = {"auth.login", "core.set_language", "auth.forgot_password", "auth.reset_password"}
FORM = {"reason": "Lý do", "note": "Ghi chú", "progress": "50", "deadline": "2030-01-01T10:00", "title": "Tiêu đề",
        "body": "Nội dung", "text": "Kết luận", "code": "X1", "name": "Tên", "username": "u", "full_name": "Tên",
        "role": "officer", "password": "secret-pass-1", "follow_up_of_id": "", "lead_agency_id": "1"}


@pytest.fixture
def world(factory):
    syt, sgd, hds = (
        factory.agency("SYT", "Sở Y tế"),
        factory.agency("SGD", "Sở Giáo dục"),
        factory.agency("HDS", "UBND huyện Đông Sơn"),
    )
    leader = factory.user("leader", username="chutich")
    w = {
        "leader": leader,
        "officer": factory.user("officer", syt, username="syt1"),
        "support_officer": factory.user("officer", sgd, username="sgd1"),
        "outsider": factory.user("officer", hds, username="hds1"),  # sees nothing of it all
        "member": factory.user("officer", hds, username="hds2"),  # invited to the meeting, nothing more
        "syt": syt,
    }
    directive = directive_services.issue_directive(leader, {
        "title": "Triển khai tiêm chủng", "deadline": (utcnow() + timedelta(days=10)).isoformat(),
        "lead_agency_id": syt.id, "support_agency_ids": [sgd.id]})
    lead = next(a for a in directive.assignments if a.role == "lead")
    support = next(a for a in directive.assignments if a.role == "support")
    directive_services.acknowledge(w["support_officer"], support)
    extension = directive_extensions.request_extension(w["support_officer"], support, {
        "deadline": (utcnow() + timedelta(days=20)).isoformat(), "reason": "Thiếu số liệu"})
    meeting = meeting_services.create_meeting(leader, {
        "title": "Họp giao ban", "starts_at": (utcnow() + timedelta(minutes=5)).isoformat(),
        "participant_ids": [w["officer"].id, w["member"].id]})
    meeting_services.start_meeting(leader, meeting)
    minutes.save_minutes(leader, meeting, {"body": "Biên bản", "base_version": 0})
    conclusion = conclusions.add_conclusion(leader, meeting, {"text": "Giao Sở Y tế chủ trì"})
    token, _raw = auth_services.issue_token(leader, "tích hợp")
    w["ids"] = {
        "directive_id": directive.id, "assignment_id": lead.id, "extension_id": extension.id,
        "meeting_id": meeting.id, "version": 1, "conclusion_id": conclusion.id,
        "agency_id": syt.id, "user_id": w["officer"].id, "token_id": token.id,
    }
    return w


def page_post_rules(app):
    return sorted((r for r in app.url_map.iter_rules()
                   if "POST" in r.methods and not r.rule.startswith(("/api/", "/static/"))),
                  key=lambda r: r.rule)


def urls_of(rule, ids):
    """Every URL of a rule (each value of an any() converter), with the world's ids."""
    choices = [{}]
    for name in rule.arguments:
        converter = rule._converters[name]
        values = sorted(converter.items) if hasattr(converter, "items") else [ids.get(name)]
        assert values != [None], f"{rule.rule}: the test has no id for <{name}>; add one to the world"
        choices = [dict(c, **{name: v}) for c in choices for v in values]
    return [rule.build(c, append_unknown=False)[1] for c in choices]


def audit_rows():
    return db.session.scalar(db.select(db.func.count(AuditLog.id)))


def check_refused(client, token, url, allowed):
    before = audit_rows()
    res = client.post(url, data=dict(FORM, csrf_token=token))
    html = res.get_data(as_text=True)
    assert res.status_code in allowed, f"{url}: {res.status_code} {res.headers.get('Location', '')}"
    assert f">{res.status_code}</div>" in html and "btn btn-primary mt-2" in html, f"{url}: not the error page"
    assert audit_rows() == before, f"{url} wrote something"


def test_the_generated_list_covers_every_form_module(app):
    endpoints = {r.endpoint.split(".")[0] for r in page_post_rules(app)}
    assert {"auth", "directives", "meetings", "notifications"} <= endpoints


def test_an_officer_of_an_unrelated_agency_is_refused_by_every_page_post(app, client, world):
    token = login(client, world["outsider"])
    checked = 0
    for rule in page_post_rules(app):
        if rule.endpoint in SELF_SERVICE:
            continue
        for url in urls_of(rule, world["ids"]):
            # an object they may not know exists is a 404; everything else a 403
            allowed = (403, 404) if rule.arguments - {"action"} else (403,)
            check_refused(client, token, url, allowed)
            checked += 1
    assert checked >= 20


def test_an_invited_member_is_refused_by_the_chairs_meeting_forms(app, client, world):
    token = login(client, world["member"])
    for rule in page_post_rules(app):
        chairs_form = "meeting_id" in rule.arguments or "conclusion_id" in rule.arguments
        if not chairs_form or rule.endpoint in MEMBER_FORMS:
            continue
        for url in urls_of(rule, world["ids"]):
            check_refused(client, token, url, (403,))


def test_leader_and_officer_are_refused_each_others_assignment_forms(app, client, world):
    ids = world["ids"]
    officer_only = [
        f"/assignments/{ids['assignment_id']}/{a}" for a in ("acknowledge", "report", "submit", "extension", "pass-on")
    ]
    leader_only = [f"/assignments/{ids['assignment_id']}/{a}" for a in ("accept", "return", "approve")] + [
        f"/extension-requests/{ids['extension_id']}/{a}" for a in ("approve", "reject")] + [
        f"/directives/{ids['directive_id']}/cancel"]
    token = login(client, world["leader"])
    for url in officer_only:
        check_refused(client, token, url, (403,))
    officer = app.test_client()
    token = login(officer, world["officer"])
    for url in leader_only:
        check_refused(officer, token, url, (403,))


def test_someone_not_signed_in_is_sent_to_the_login_page(app, client, world):
    for rule in page_post_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for url in urls_of(rule, world["ids"]):
            token = csrf_from(client.get("/login").get_data(as_text=True))  # /logout clears the session
            res = client.post(url, data=dict(FORM, csrf_token=token))
            assert res.status_code == 302 and "/login" in res.headers["Location"], url
