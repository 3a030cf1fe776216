"""The language chosen on the login page wins at sign-in and is saved on the account; without a
choice there, the account's own language comes back."""
from core.audit import AuditLog
from core.extensions import db
from tests.conftest import PASSWORD, csrf_from


def sign_in(client, user):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302


def test_english_chosen_on_the_login_page_wins_and_is_saved_on_the_account(client, factory):
    user = factory.user(locale="vi")
    client.get("/lang/en", query_string={"next": "/login"})
    sign_in(client, user)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"
    assert db.session.scalar(db.select(AuditLog.id).where(AuditLog.action == "user.set_locale",
                                                          AuditLog.actor_id == user.id))


def test_without_a_choice_on_the_login_page_the_account_language_comes_back(client, factory, app):
    english = factory.user(locale="en")
    sign_in(client, english)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    # signed out, the page stays in English; the next person on this computer keeps their own language
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    vietnamese = factory.user(locale="vi")
    sign_in(client, vietnamese)
    assert 'lang="vi"' in client.get("/").get_data(as_text=True)
    db.session.refresh(vietnamese)
    assert vietnamese.locale == "vi"


def test_the_choice_counts_once(client, factory):
    """Chosen before one sign-in, it is not carried to the next person after a sign-out."""
    first, second = factory.user(locale="vi"), factory.user(locale="vi")
    client.get("/lang/en")
    sign_in(client, first)
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf})
    sign_in(client, second)
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.locale, second.locale) == ("en", "vi")
