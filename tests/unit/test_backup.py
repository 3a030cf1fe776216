"""Backup and restore (core/backup.py, core/backup_restore.py), on SQLite and on PostgreSQL: what the services
wrote (a directive with its attachment, a meeting's paper and chat) is all back after the database and the files
are wiped; a damaged archive, one from a newer schema, or a restore over data without --yes changes nothing."""
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from core import backup
from core.backup import BackupError
from core.backup_restore import holds_data, restore_backup
from core.extensions import db
from tests.conftest import FAST_HASH, ROOT, fresh_postgres_database, need
from tests.outcomes_support import MeetingSetup
from tests.pdf_support import make_pdf

FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    need(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump and pg_restore (postgresql-client)")
    with fresh_postgres_database("backup") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


def _stamp():
    """The fixture's create_all leaves no alembic_version; init-db would have written it."""
    from flask_migrate import stamp

    stamp(revision="heads")


def _upload(name, data):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name)


def _seed(factory):
    from directives import attachments
    from directives import services as directives
    from meetings import chat, meeting_documents

    setup = MeetingSetup(factory)
    directive = directives.issue_directive(setup.chair, {
        "title": "Rà soát hồ sơ đất đai", "deadline": "2030-01-01T10:00:00+07:00", "lead_agency_id": setup.health.id})
    attachments.save_upload(_upload("kế hoạch.pdf", b"%PDF-1.4 ke hoach " + os.urandom(2000)), directive, setup.chair)
    meeting_documents.upload(setup.chair, setup.meeting, _upload("tài liệu.pdf", make_pdf(2)), {})
    for n, body in enumerate(("Xin chào", "Đã nhận tài liệu")):
        chat.send_message(setup.member, {"meeting_id": setup.meeting_id, "body": body, "client_id": f"c{n}"})
    return setup, directive


def _state():
    """What must come back: rows of the directives, the chat and the files' rows, and every stored file's bytes."""
    from directives.models import Attachment, Directive
    from meetings.models import ChatMessage
    from meetings.models_documents import MeetingDocument

    db.session.expire_all()
    rows = {model.__name__: sorted(tuple(r) for r in db.session.execute(db.select(*columns)).all())
            for model, columns in ((Directive, (Directive.id, Directive.title)),
                                   (ChatMessage, (ChatMessage.id, ChatMessage.body)),
                                   (Attachment, (Attachment.id, Attachment.stored_name, Attachment.size)),
                                   (MeetingDocument, (MeetingDocument.id, MeetingDocument.stored_name)))}
    instance = Path(current_app.instance_path)
    files = {name: path.read_bytes() for name, path in backup.data_files(instance)}
    return rows, files


def _rewrite(source, dest, change):
    """A copy of the archive with ``change(name, data)`` applied to each member's bytes (gzip stays valid)."""
    with tarfile.open(source, "r:gz") as tar, tarfile.open(dest, "w:gz") as out:
        for member in tar:
            data = change(member.name, tar.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return dest


def _wipe():
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():  # alembic_version, SQLite's search tables
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    for folder in backup.data_folders(Path(current_app.instance_path)):
        shutil.rmtree(folder)


def test_backup_wipe_restore_brings_everything_back_and_bad_archives_change_nothing(app, factory, tmp_path):
    from meetings import chat

    _stamp()
    setup, directive = _seed(factory)
    directive_id, directive_type = directive.id, type(directive)
    member_id, meeting_id = setup.member.id, setup.meeting_id
    before = _state()
    assert len(before[1]) == 2 and len(before[0]["ChatMessage"]) == 2  # the attachment and the paper
    said = []
    archive, manifest = backup.create_backup(tmp_path, say=said.append)
    assert [line.split(":")[0] for line in said] == ["database", "files", "archive"]
    assert manifest["files"]["count"] == 2 and manifest["schema_revisions"] == backup.schema_script().get_heads()
    assert manifest["database"]["kind"] == db.engine.dialect.name
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    # written after the backup: a restore takes it away again, a refused restore keeps it
    chat.send_message(setup.member, {"meeting_id": setup.meeting_id, "body": "Sau sao lưu", "client_id": "late"})
    later = _state()
    with pytest.raises(BackupError, match="--yes"):
        restore_backup(archive)
    damaged = tmp_path / "damaged.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    tampered = _rewrite(archive, tmp_path / "tampered.tar.gz",
                        lambda name, data: data + b"x" if name.startswith("files/uploads/") else data)
    head = backup.schema_script().get_heads()[0].encode()
    newer = _rewrite(archive, tmp_path / "newer.tar.gz",
                     lambda name, data: data.replace(head, b"9999_future") if name == "manifest.json" else data)
    for bad, why in ((damaged, "damaged|cannot be read"), (tampered, "sha256"), (newer, "newer")):
        with pytest.raises(BackupError, match=why):
            restore_backup(bad, yes=True, say=lambda _line: None)
        assert _state() == later, bad.name
    assert [p.name for p in Path(current_app.instance_path).iterdir() if p.name.startswith(".")] == []

    _wipe()
    assert holds_data(db.engine.dialect.name, Path(current_app.instance_path)) == ""
    said.clear()
    restore_backup(archive, say=said.append)  # into an empty installation: no --yes needed
    assert [line.split(":")[0] for line in said] == ["archive", "schema", "database", "files", "done"]
    assert _state() == before
    assert db.session.get(directive_type, directive_id).title == "Rà soát hồ sơ đất đai"
    member = db.session.get(type(setup.member), member_id)  # the sequences came back too: new rows fit
    message, created = chat.send_message(member, {"meeting_id": meeting_id, "body": "Sau khôi phục", "client_id": "n"})
    assert created and message.id > max(row[0] for row in before[0]["ChatMessage"])


def test_restore_over_data_with_yes_replaces_it_and_an_older_schema_is_accepted(app, factory, tmp_path):
    """--yes over a live installation: rows and files made after the backup are gone; an archive one revision
    behind restores (the next start upgrades it)."""
    from meetings import chat

    _stamp()
    setup, _directive = _seed(factory)
    before = _state()
    archive, _manifest = backup.create_backup(tmp_path, say=lambda _line: None)
    chat.send_message(setup.member, {"meeting_id": setup.meeting_id, "body": "Sau sao lưu", "client_id": "late"})
    (Path(current_app.instance_path) / "uploads" / "orphan.pdf").write_bytes(b"%PDF late")
    with db.engine.begin() as conn:  # as a later migration would add: it must not survive into the older schema
        conn.execute(sa.text("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)"))
    restore_backup(archive, yes=True, say=lambda _line: None)
    assert _state() == before
    assert "later_feature" not in sa.inspect(db.engine).get_table_names()

    script = backup.schema_script()
    head = script.get_heads()[0]
    before_head = script.get_revision(head).down_revision
    older = _rewrite(archive, tmp_path / "older.tar.gz",
                     lambda name, data: data.replace(head.encode(), before_head.encode())
                     if name == "manifest.json" else data)
    said = []
    restore_backup(older, yes=True, say=said.append)
    assert any(line.startswith(f"schema: {before_head}, older") for line in said)


@pytest.mark.parametrize("app_config", ["postgresql"], indirect=True)
def test_a_failing_postgres_restore_leaves_the_old_database_extra_tables_too(app, factory, tmp_path):
    """The restore fails inside its transaction (a view outside the dump holds on to a table pg_restore must drop):
    the table the archive does not have, dropped in the same transaction, is still there, as is every row."""
    _stamp()
    factory.user(username="truoc")
    archive, _manifest = backup.create_backup(tmp_path, say=lambda _line: None)
    factory.user(username="sau")
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO later_feature VALUES (7)"))
        conn.execute(sa.text("CREATE VIEW holds_users AS SELECT id FROM users"))
    with pytest.raises(BackupError, match="psql failed: .*depend"):
        restore_backup(archive, yes=True, say=lambda _line: None)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM later_feature")).scalars().all() == [7]
        assert {"truoc", "sau"} <= set(conn.execute(sa.text("SELECT username FROM users")).scalars())

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP VIEW holds_users"))
    restore_backup(archive, yes=True, say=lambda _line: None)
    with db.engine.connect() as conn:
        assert "sau" not in set(conn.execute(sa.text("SELECT username FROM users")).scalars())
    assert "later_feature" not in sa.inspect(db.engine).get_table_names()


@pytest.mark.parametrize("app_config", ["postgresql"], indirect=True)
def test_a_dump_that_breaks_half_way_changes_nothing(app, factory, tmp_path):
    """pg_restore stops in the middle of its script (a dump cut short after its table of contents): psql never
    gets the COMMIT and is stopped, so the drops and the restore already sent are rolled back."""
    from core.backup_restore import restore_postgres

    _stamp()
    factory.user(username="truoc")
    dump = tmp_path / "database.pgdump"
    backup.run_pg([backup.pg_tool("pg_dump"), "--format=custom", "--file", str(dump),
                   backup.pg_database(db.engine.url)], db.engine.url)
    data = dump.read_bytes()
    dump.write_bytes(data[:len(data) - 64])
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)"))
    db.session.remove()
    with pytest.raises(BackupError, match="pg_restore failed: .*nothing was restored"):
        restore_postgres(dump)
    assert "later_feature" in sa.inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert "truoc" in set(conn.execute(sa.text("SELECT username FROM users")).scalars())


def test_backup_refuses_a_path_it_cannot_write_or_a_missing_tool(app, tmp_path, monkeypatch):
    _stamp()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(BackupError, match="not a folder"):
        backup.create_backup(blocker / "backup.tar.gz", say=lambda _line: None)
    with pytest.raises(BackupError, match="already exists"):
        backup.create_backup(blocker, say=lambda _line: None)
    if db.engine.dialect.name == "postgresql":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        with pytest.raises(BackupError, match="pg_dump is not on PATH: install Debian's postgresql-client"):
            backup.create_backup(tmp_path, say=lambda _line: None)
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []


def test_keep_removes_the_oldest_archives(tmp_path):
    names = [f"chidao-backup-2026110{n}-010000.tar.gz" for n in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "other.tar.gz").write_bytes(b"")
    assert [p.name for p in backup.prune(tmp_path, 2)] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*names[3:], "other.tar.gz"]


# -- as the operator runs it ----------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "APP_ENV", "SECRET_KEY", "MAIL_SERVER")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "INSTANCE_PATH": str(tmp_path / "instance"),
                "ASYNC_MODE": "threading", "PASSWORD_HASH_METHOD": FAST_HASH})

    def run(*args, **extra_env):
        return subprocess.run([FLASK, "--app", "wsgi", "backup", *args], cwd=ROOT, env={**env, **extra_env},
                              capture_output=True, text=True, timeout=60)

    return run


def test_cli_creates_and_refuses_without_yes(cli, tmp_path, monkeypatch):
    from core import create_app
    from tests.conftest import make_test_config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'cli.db'}"))
    with app.app_context():
        db.create_all()
        _stamp()
        db.engine.dispose()
    (tmp_path / "instance" / "uploads").mkdir(parents=True)
    (tmp_path / "instance" / "uploads" / "a.pdf").write_bytes(b"%PDF-1.4")

    made = cli("create", "--keep", "3")
    assert made.returncode == 0, made.stderr
    assert [line.split(":")[0] for line in made.stdout.splitlines()] == ["database", "files", "archive", "retention"]
    [archive] = (tmp_path / "instance" / "backups").glob("chidao-backup-*.tar.gz")

    refused = cli("restore", str(archive))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("Error: this installation is not empty (1 file)") and "--yes" in refused.stderr
