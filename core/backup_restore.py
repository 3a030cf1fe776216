"""Restoring an archive of core/backup.py (`flask --app wsgi backup restore ARCHIVE [--yes]`).

Every step that can fail on a bad archive runs before anything changes: the archive is unpacked into a hidden
folder of the instance and every member checked against the manifest's sha256, then its schema against this
code's migrations. Only then the database is replaced (SQLite: the online backup API into the live file, one
transaction; PostgreSQL: pg_restore --clean's script run by psql in one transaction), then the files (folders
swapped by rename)."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing, suppress
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from alembic.util import CommandError

from core import backup
from core.backup import BACKUPS, CHUNK, DATABASE_MEMBER, FILES, MANIFEST, BackupError
from core.extensions import db


def restore_backup(archive, yes=False, say=print):
    """Replace the database and the files with the archive's; without ``yes`` only into an empty database."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    kind = backup.database_kind()
    instance = backup.instance_path()
    held = holds_data(kind, instance)
    if held and not yes:
        raise BackupError(f"this installation is not empty ({held}): restoring replaces its database and files."
                          " Run again with --yes to go ahead")
    instance.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=instance))
    except OSError as exc:
        raise BackupError(f"cannot write into {instance}: {exc.strerror}") from None
    try:
        manifest = unpack(archive, staging)
        say(f"archive: {_summary(manifest)}")
        say(f"schema: {check_compatible(manifest, kind)}")
        _release_connections()
        RESTORERS[kind](staging / DATABASE_MEMBER[kind])
        say(f"database: restored ({kind})")
        _restore_files(instance, staging / FILES, manifest, say)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say("done: now start (or restart) every app process, e.g. systemctl restart 'chidao@*': a process left"
        " running holds the old database's connections and state")
    return manifest


def _summary(manifest):
    files = backup.count(manifest["files"]["count"], "file")
    return (f"{backup.count(len(manifest['members']), 'member')} match their sha256 (taken {manifest['created_at']},"
            f" {manifest['database']['kind']}, {files})")


def _restore_files(instance, new_root, manifest, say):
    try:
        _adopt(new_root, instance)
        swap_folders(instance, new_root)
    except OSError as exc:
        raise BackupError(f"the database is restored but the files are not ({exc.strerror}: {exc.filename}; the old"
                          " files are in place): fix that and run the restore again") from None
    folders = ", ".join(manifest["files"]["folders"]) or "none"
    say(f"files: {backup.count(manifest['files']['count'], 'file')} restored ({folders})")


def holds_data(kind, instance):
    """What makes this installation not empty ("4 tables with rows, 2 files"), or "" when it is empty."""
    # the models' tables: not alembic_version, nor the rows a search engine keeps for itself (FTS5's config)
    tables = sorted(set(sa.inspect(db.engine).get_table_names()) & set(db.metadata.tables))
    with db.engine.connect() as conn:
        full = [t for t in tables if conn.execute(sa.select(sa.literal(1)).select_from(sa.table(t)).limit(1)).first()]
    files = sum(1 for _ in backup.data_files(instance))
    parts = [f"{backup.count(len(full), 'table')} with rows" if full else "",
             backup.count(files, "file") if files else ""]
    return ", ".join(p for p in parts if p)


# -- reading and checking the archive --------------------------------------------------------------------

def unpack(archive, staging):
    """Extract every member into ``staging`` and check it against the manifest; returns the manifest.
    Any damage raises BackupError and nothing outside ``staging`` has changed."""
    found, manifest = {}, None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = _member_name(member)
                if name is None:
                    continue
                if name in found or (name == MANIFEST and manifest is not None):
                    raise BackupError(f"{archive}: {name} appears twice")
                if name == MANIFEST:
                    manifest = _read_manifest(tar.extractfile(member))
                else:
                    found[name] = _extract(tar.extractfile(member), staging / name)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"{archive} is damaged ({exc or type(exc).__name__}): nothing was restored") from None
    except OSError as exc:  # gzip's own errors are OSErrors too
        raise BackupError(f"{archive} cannot be read ({exc}): nothing was restored") from None
    if manifest is None:
        raise BackupError(f"{archive} has no {MANIFEST}: not a complete backup, nothing was restored")
    _compare(archive, manifest["members"], found)
    return manifest


def _member_name(member):
    """The member's name when it is a file of a backup; None for a folder; BackupError for anything else."""
    if member.isdir():
        return None
    path = PurePosixPath(member.name)
    ok = member.isfile() and not path.is_absolute() and ".." not in path.parts and (
        member.name in (MANIFEST, *DATABASE_MEMBER.values())
        or (len(path.parts) >= 3 and path.parts[0] == FILES and path.parts[1] != BACKUPS
            and not path.parts[1].startswith(".")))
    if not ok:
        raise BackupError(f"the archive holds {member.name!r}, which no backup holds: nothing was restored")
    return member.name


def _read_manifest(handle):
    try:
        manifest = json.loads(handle.read(CHUNK * 64))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{MANIFEST} is not valid JSON: nothing was restored") from None
    if not isinstance(manifest, dict) or manifest.get("format") != backup.FORMAT:
        raise BackupError(f"{MANIFEST} is not a {backup.FORMAT} manifest: nothing was restored")
    if manifest.get("format_version") != backup.FORMAT_VERSION:
        raise BackupError(f"backup format {manifest.get('format_version')} is not {backup.FORMAT_VERSION}:"
                          " restore it with the version of the app that wrote it")
    return manifest


def _extract(source, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source, open(dest, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _compare(archive, listed, found):
    missing = sorted(set(listed) - set(found))
    extra = sorted(set(found) - set(listed))
    changed = sorted(name for name in set(listed) & set(found) if listed[name] != found[name])
    for problem, names in (("is missing", missing), ("is not in the manifest", extra),
                           ("does not match its sha256", changed)):
        if names:
            more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
            raise BackupError(f"{archive}: {names[0]} {problem}{more}: the archive is damaged, nothing was restored")


def check_compatible(manifest, kind):
    """What the archive's schema is to this code; BackupError for another kind of database or a newer schema."""
    archived = manifest["database"]["kind"]
    if archived != kind:
        raise BackupError(f"the archive holds a {archived} database but DATABASE_URL is {kind}: nothing was restored")
    revisions = manifest.get("schema_revisions") or []
    if not revisions:
        raise BackupError("the archive's database has no schema revision (alembic_version): nothing was restored")
    script = backup.schema_script()
    for revision in revisions:
        try:
            script.get_revision(revision)
        except CommandError:
            raise BackupError(f"the archive's schema ({revision}) is newer than this code knows: install the"
                              " version of the app that wrote it, then restore; nothing was restored") from None
    if set(revisions) == set(script.get_heads()):
        return f"{', '.join(revisions)}, as this code"
    return (f"{', '.join(revisions)}, older than this code: the next start (or flask --app wsgi init-db)"
            " upgrades it")


# -- replacing the database ------------------------------------------------------------------------------

def _release_connections():
    """Our own pooled connections would hold locks the restore must take."""
    db.session.remove()
    db.engine.dispose()


def restore_sqlite(staged):
    """Copy the archive's database into the live file with the online backup API: one write transaction, so a
    failure leaves the old database; SQLite's own locking and WAL stay right (replacing the file under a WAL
    would replay the old -wal onto the new file)."""
    target = backup.sqlite_path()
    try:
        with closing(sqlite3.connect(staged)) as source:
            if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("the archive's SQLite database fails its integrity check: nothing was restored")
            created = not target.exists()
            with closing(sqlite3.connect(target, timeout=30)) as live:
                source.backup(live)
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {target} failed ({exc}): the database is unchanged") from None
    if created:
        _adopt(target, target.parent)


def restore_postgres(staged):
    """pg_restore --clean writes the restore as one transaction's SQL; psql runs it (ON_ERROR_STOP). The tables
    the dump does not have (added by a newer schema than the archive's: the upgrade would trip on them) are
    dropped inside that same transaction, so a failure anywhere leaves the old database, those tables too."""
    url = db.engine.url
    tool, psql = backup.pg_tool("pg_restore"), backup.pg_tool("psql")
    dumped = _dumped_tables(backup.run_pg([tool, "--list", str(staged)], url))
    quote = db.engine.dialect.identifier_preparer.quote
    drops = "".join(f"DROP TABLE IF EXISTS public.{quote(table)} CASCADE;\n"
                    for table in sorted(set(sa.inspect(db.engine).get_table_names()) - dumped))
    db.engine.dispose()
    env = backup.pg_env(url)
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as run_errors:
        script = subprocess.Popen([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                   "--single-transaction", "--file", "-", str(staged)],
                                  stdout=subprocess.PIPE, stderr=script_errors, env=env)
        runner = subprocess.Popen([psql, "--no-psqlrc", "--no-password", "--quiet", "--set", "ON_ERROR_STOP=1",
                                   "--dbname", backup.pg_database(url), "--file", "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=run_errors, env=env)
        injected = _feed(script.stdout, runner.stdin, drops.encode())
        if script.wait() != 0 or not injected:
            runner.kill()  # before its input ends: the open transaction is rolled back, never committed
            runner.wait()
            with suppress(BrokenPipeError):
                runner.stdin.close()
            raise BackupError(f"pg_restore failed: {_last_words(script_errors, script.returncode)}; nothing was"
                              " restored")
        with suppress(BrokenPipeError):
            runner.stdin.close()
        if runner.wait() != 0:
            raise BackupError(f"psql failed: {_last_words(run_errors, runner.returncode)}; the database is"
                              " unchanged")


def _feed(source, sink, drops):
    """Copy pg_restore's script into psql, ``drops`` right after its BEGIN; whether BEGIN was seen. psql may stop
    early (ON_ERROR_STOP): the rest is read and discarded so that pg_restore ends."""
    injected = False
    for line in source:
        try:
            sink.write(line)
            if not injected and line.strip() == b"BEGIN;":
                sink.write(drops)
                injected = True
        except BrokenPipeError:
            pass
    return injected


def _last_words(errors, code):
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return " / ".join(lines[-3:]) or f"exit code {code}"


def _dumped_tables(listing):
    """The tables in pg_restore --list's output ("215; 1259 16390 TABLE public users chidao")."""
    tables = set()
    for line in listing.splitlines():
        words = line.split()
        if not line.startswith(";") and len(words) >= 6 and words[3] == "TABLE" and words[4] == "public":
            tables.add(words[5])
    return tables


RESTORERS = {"sqlite": restore_sqlite, "postgresql": restore_postgres}


# -- replacing the files ---------------------------------------------------------------------------------

def swap_folders(instance, new_root):
    """Put the archive's folders in place of the instance's by renames (the same file system), undone if one
    fails; the old folders are deleted at the end."""
    names = {p.name for p in backup.data_folders(instance)}
    names |= {p.name for p in new_root.iterdir()} if new_root.is_dir() else set()
    old = Path(tempfile.mkdtemp(prefix=".restore-old-", dir=instance))
    moved = []
    try:
        for name in sorted(names):
            for source, dest in ((instance / name, old / name), (new_root / name, instance / name)):
                if source.exists():
                    source.rename(dest)
                    moved.append((source, dest))
    except OSError:
        for source, dest in reversed(moved):
            dest.rename(source)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _adopt(path, instance):
    """Run as root (a restore by hand), give what was written to the instance's owner: the app runs as that
    user and must write there (an upload into a root-owned folder fails)."""
    if os.geteuid() != 0 or not path.exists():
        return
    owner = instance.stat()
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chown(item, owner.st_uid, owner.st_gid, follow_symlinks=False)
