"""Backups: the database and the files under the instance folder in one archive (`flask --app wsgi backup
create`; restoring is core/backup_restore.py; docs/operations.md "Backup and restore").

The archive (tar.gz) holds database.sqlite3 (SQLite's online backup API) or database.pgdump (pg_dump's
custom format), files/<folder>/... (uploads, meeting-documents, recordings: every folder of the instance but
backups/), and manifest.json last, with the sha256 of every member. The database is dumped first, then the
files: the app writes a file before the row that names it and never changes or deletes a stored file, so every
row in the dump finds its file in the archive; a file written after the dump is only an orphan."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from core.config import BASE_DIR
from core.extensions import db

FORMAT, FORMAT_VERSION = "chidao-backup", 1
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PREFIX, SUFFIX = "chidao-backup-", ".tar.gz"
#: <instance>/backups: the default place of the archives, never itself backed up or restored
BACKUPS = "backups"
CHUNK = 1024 * 1024
PG_CLIENT = "install Debian's postgresql-client (the server's major version or newer)"


class BackupError(Exception):
    """An expected failure (a missing tool, an unwritable path, a damaged archive): one line for the operator."""


# -- what there is to back up -----------------------------------------------------------------------------

def database_kind():
    kind = db.engine.url.get_backend_name()
    if kind not in DATABASE_MEMBER:
        raise BackupError(f"cannot back up a {kind} database: only SQLite and PostgreSQL")
    return kind


def sqlite_path():
    """The SQLite database file of DATABASE_URL."""
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(name).resolve()


def sqlite_files():
    """The database file and SQLite's companions (WAL, shared memory, journal): never copied as plain files."""
    path = sqlite_path()
    return {path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))}


def instance_path():
    return Path(current_app.instance_path)


def data_folders(instance, skip=()):
    """The instance's folders the app keeps files in (uploads, meeting-documents, recordings...): all but
    backups/ and hidden work folders. Its top-level files (the SQLite database, the development secret) are
    not data files."""
    if not instance.is_dir():
        return []
    return sorted(p for p in instance.iterdir() if p.is_dir() and not p.is_symlink() and p.name != BACKUPS
                  and not p.name.startswith(".") and p not in skip)


def data_files(instance, skip=()):
    """(name in the archive, path) of every stored file, in a stable order, but ``skip`` and what is in it."""
    skip = {Path(p) for p in skip if instance in Path(p).parents}
    for folder in data_folders(instance, skip):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and path not in skip and not skip & set(path.parents):
                yield f"{FILES}/{path.relative_to(instance).as_posix()}", path


def schema_script():
    """The migrations this code knows (Alembic's script directory)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    return ScriptDirectory.from_config(config)


def schema_revisions(conn):
    """The schema's revisions (alembic_version) through a DB-API or SQLAlchemy connection; [] without the table."""
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version" if isinstance(conn, sqlite3.Connection)
                            else sa.text("SELECT version_num FROM alembic_version")).fetchall()
    except (sqlite3.Error, sa.exc.DBAPIError):
        return []
    return sorted(row[0] for row in rows)


# -- PostgreSQL's tools ---------------------------------------------------------------------------------

def pg_tool(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: {PG_CLIENT}")
    return path


#: libpq settings a DATABASE_URL may carry in its query (postgresql://u@/db?host=/run/postgresql&sslmode=require)
PG_QUERY_ENV = {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
                "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}


def pg_env(url):
    """The environment that points pg_dump/pg_restore at ``url``: the password travels in PGPASSWORD, never on
    the command line (which every user of the machine can read)."""
    env = dict(os.environ)
    for key, value in url.query.items():
        if key in PG_QUERY_ENV:
            env[PG_QUERY_ENV[key]] = value if isinstance(value, str) else value[-1]
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password)):
        if value is not None:
            env[key] = str(value)
    return env


def pg_database(url):
    if not url.database:
        raise BackupError("DATABASE_URL names no database")
    return url.database


def run_pg(args, url):
    """Run pg_dump or pg_restore against ``url``; BackupError with its last words when it fails."""
    try:
        done = subprocess.run(args, env=pg_env(url), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"{args[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        said = " / ".join(line for line in done.stderr.strip().splitlines()[-3:]) or f"exit code {done.returncode}"
        raise BackupError(f"{Path(args[0]).name} failed: {said}")
    return done.stdout


# -- taking a backup ------------------------------------------------------------------------------------

def dump_sqlite(dest):
    """A consistent copy of the live database through SQLite's online backup API (one step: it reads one
    snapshot, WAL included, while the app goes on writing). Returns the schema revisions."""
    source = sqlite_path()
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(dest)) as copy:
            src.backup(copy)
            return schema_revisions(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {source} failed: {exc}") from None


def dump_postgres(dest):
    """pg_dump --format=custom of DATABASE_URL (one snapshot). Returns the schema revisions."""
    tool = pg_tool("pg_dump")
    url = db.engine.url
    with db.engine.connect() as conn:
        revisions = schema_revisions(conn)
    run_pg([tool, "--format=custom", "--no-password", "--file", str(dest), "--dbname", pg_database(url)], url)
    return revisions


DUMPERS = {"sqlite": dump_sqlite, "postgresql": dump_postgres}


def create_backup(path=None, keep=None, say=print, now=None):
    """Write one archive of the database and the files; returns (archive path, manifest). ``path``: a folder
    or the archive's name (default <instance>/backups); ``keep``: then keep the newest ``keep`` archives there."""
    kind = database_kind()
    instance = instance_path()
    now = now or datetime.now(UTC)
    try:
        target = _target(path, instance, now)
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as work:
            dump = Path(work) / DATABASE_MEMBER[kind]
            revisions = DUMPERS[kind](dump)
            say(f"database: {kind} dumped ({megabytes(dump.stat().st_size)}, schema {', '.join(revisions) or '?'})")
            skip = (sqlite_files() if kind == "sqlite" else set()) | {target.parent, Path(work)}
            partial = Path(work) / "archive.tar.gz"
            manifest = _write_archive(partial, now, kind, revisions, dump, data_files(instance, skip))
            say(f"files: {count(manifest['files']['count'], 'file')}, {megabytes(manifest['files']['bytes'])}"
                f" ({', '.join(manifest['files']['folders']) or 'none'})")
            if target.exists():
                raise BackupError(f"{target} already exists")
            partial.replace(target)
    except OSError as exc:
        raise BackupError(f"cannot write the backup: {exc.strerror}: {exc.filename}") from None
    say(f"archive: {target} ({megabytes(target.stat().st_size)}, {count(len(manifest['members']), 'member')}"
        " with their sha256 in manifest.json)")
    if keep:
        removed = prune(target.parent, keep)
        say(f"retention: kept the newest {keep}, removed {len(removed)} older")
    return target, manifest


def _target(path, instance, now):
    name = f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"
    if path is None:
        folder = instance / BACKUPS
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / name
    else:
        path = Path(path).absolute()
        target = path / name if path.is_dir() else path
    if target.exists():
        raise BackupError(f"{target} already exists: choose another name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise BackupError(f"cannot write into {target.parent}: permission denied")
    return target


def _write_archive(partial, created, kind, revisions, dump, files):
    """The tar.gz (readable by its owner only: it holds every account's data), the manifest last; ``created``:
    when the backup started, just before the database's snapshot."""
    members, folders = {}, set()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            members[DATABASE_MEMBER[kind]] = _add(tar, DATABASE_MEMBER[kind], dump)
            for name, path in files:
                entry = _add(tar, name, path)
                if entry is not None:  # gone meanwhile: a failed upload cleaned up, no row names it
                    members[name] = entry
                    folders.add(name.split("/")[1])
            stored = [v for k, v in members.items() if k.startswith(FILES + "/")]
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "created_at": created.isoformat(timespec="seconds"),
                "schema_revisions": revisions,
                "database": {"kind": kind, "member": DATABASE_MEMBER[kind]},
                "files": {"count": len(stored), "bytes": sum(e["size"] for e in stored), "folders": sorted(folders)},
                "members": members,
            }
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            tar.addfile(_info(MANIFEST, len(data), time.time()), BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())
    return manifest


def _add(tar, name, path):
    """Add one file, hashing what goes in; None when it is gone."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            reader = _Hashing(handle)
            tar.addfile(_info(name, stat.st_size, stat.st_mtime), reader)
    except FileNotFoundError:
        return None
    return {"size": stat.st_size, "sha256": reader.digest.hexdigest()}


def _info(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info


class _Hashing:
    """A file read through, its sha256 computed on the way."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size=-1):
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def prune(folder, keep):
    """Delete all but the newest ``keep`` archives (their names sort by time); returns those deleted."""
    archives = sorted(Path(folder).glob(f"{PREFIX}*{SUFFIX}"))
    old = archives[:-keep] if keep else []
    for path in old:
        path.unlink()
    return old


def megabytes(size):
    """A size for people: 0.7 MB, 12.0 kB, 3.1 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1e3:.1f} kB"


def count(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

