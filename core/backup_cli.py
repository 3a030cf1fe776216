"""flask --app wsgi backup create|restore: thin over core/backup.py and core/backup_restore.py."""
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from core.backup import BackupError


@click.group("backup")
def backup_group():
    """Back up and restore the database and the stored files together (docs/operations.md)."""


@contextmanager
def _told():
    """Expected failures as one line and exit code 1, never a traceback."""
    try:
        yield
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OperationalError as exc:  # the database is down or refuses us
        raise click.ClickException(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0]}") from None


@backup_group.command("create")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), help="Then keep only the newest N archives in that folder.")
@with_appcontext
def backup_create(path, keep):
    """Write one archive (default INSTANCE_PATH/backups/chidao-backup-<time>.tar.gz, or PATH: a folder or a name)."""
    from core.backup import create_backup

    with _told():
        create_backup(path, keep=keep, say=click.echo)


@backup_group.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database and files that are not empty.")
@with_appcontext
def backup_restore(archive, yes):
    """Replace the database and the stored files with ARCHIVE's (checked first); then restart the app processes."""
    from core.backup_restore import restore_backup

    with _told():
        restore_backup(archive, yes=yes, say=click.echo)
