"""Catalogs are compiled at install (flask --app wsgi translations compile), not by a production process:
the service user cannot write to the code folder, and a crash there loops under Restart=always (issue 18).

Each test works on a copy of translations/ (the .po files only), so the real .mo files are never touched."""
import logging
import os
import secrets
import shutil
import stat
import time

import pytest

from core import create_app, i18n
from core.extensions import babel, db
from tests.conftest import ROOT, make_test_config


@pytest.fixture
def catalogs(tmp_path, monkeypatch):
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo", "*.tmp"))
    monkeypatch.setattr(i18n, "TRANSLATIONS", folder)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    # Flask-Babel keeps the loaded catalogs on the one Babel object, by language only, for every app
    # in the process: forget them, before and after, so each app here reads its own folder
    babel.domain_instance.cache.clear()
    yield folder
    babel.domain_instance.cache.clear()


def production_app(tmp_path, name):
    cfg = make_test_config(tmp_path, APP_ENV="production", SECRET_KEY=secrets.token_hex(32),
                           PUBLIC_URL="https://chidao.example.vn", TRUSTED_PROXIES=1,
                           INSTANCE_PATH=str(tmp_path / f"instance-{name}"))
    return create_app(cfg)


def sign_in_page(app):
    with app.app_context():
        db.create_all()
        html = app.test_client().get("/login").get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
    return html


def mo_files(folder):
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.glob("*/*/LC_MESSAGES/messages.mo")}


def read_only(folder):
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_the_compile_command_writes_the_catalogs_the_app_then_serves(app, catalogs, tmp_path):
    before = production_app(tmp_path, "before")
    assert mo_files(catalogs) == {}  # production did not compile them at start
    html = sign_in_page(before)
    assert "Sign in" in html and "Đăng nhập" not in html

    result = app.test_cli_runner().invoke(args=["translations", "compile"])
    assert result.exit_code == 0, result.output
    written = mo_files(catalogs)
    assert len(written) == len(list(catalogs.glob("*/vi/LC_MESSAGES/messages.po"))) >= 6
    assert f"{len(written)} translation catalogs compiled" in result.output

    babel.domain_instance.cache.clear()  # the processes restarted after the install
    assert "Đăng nhập" in sign_in_page(production_app(tmp_path, "after"))


def test_production_starts_on_stale_and_missing_catalogs_without_writing_and_warns(catalogs, tmp_path, caplog):
    i18n.compile_catalogs()
    auth_po = catalogs / "auth" / "vi" / "LC_MESSAGES" / "messages.po"
    later = time.time() + 60
    os.utime(auth_po, (later, later))  # an upgrade brought a newer auth catalog
    (catalogs / "core" / "vi" / "LC_MESSAGES" / "messages.mo").unlink()
    kept = mo_files(catalogs)
    read_only(catalogs)
    try:
        with caplog.at_level(logging.WARNING, logger="core.i18n"):
            app = production_app(tmp_path, "stale")
        assert mo_files(catalogs) == kept  # nothing written, although root could have
        warning = " ".join(r.getMessage() for r in caplog.records if r.name == "core.i18n")
        assert "auth/vi" in warning and "core/vi" in warning and i18n.COMPILE_COMMAND in warning
        assert "Đăng nhập" in sign_in_page(app)  # served with the catalog it has
    finally:
        for path in [catalogs, *catalogs.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_development_compiles_what_changed_at_start(catalogs, tmp_path, caplog):
    assert mo_files(catalogs) == {}
    with caplog.at_level(logging.WARNING, logger="core.i18n"):
        app = create_app(make_test_config(tmp_path, APP_ENV="development"))
    assert len(mo_files(catalogs)) >= 6 and not [r for r in caplog.records if r.name == "core.i18n"]
    assert "Đăng nhập" in sign_in_page(app)
