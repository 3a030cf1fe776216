"""Command-line tools: flask --app wsgi init-db | translations update|compile|check (auth adds create-admin,
seed-demo)."""
import logging

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade

#: functions run after every schema upgrade (init-db, the server's start): modules fill derived data a
#: migration cannot build without app code (the search index after 0020)
after_upgrade_hooks = []


log = logging.getLogger(__name__)


def unknown_revisions():
    """The database's schema revisions this code's migrations do not know (a newer release wrote them)."""
    from alembic.util import CommandError

    from core import backup
    from core.extensions import db

    with db.engine.connect() as conn:
        revisions = backup.schema_revisions(conn)
    script = backup.schema_script()
    unknown = []
    for revision in revisions:
        try:
            script.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    return unknown


def upgrade_schema(start=False):
    """Create or upgrade the schema to every head (Alembic); idempotent.

    A schema newer than this code (after ``deploy/upgrade.sh --rollback``) cannot be upgraded: Alembic would
    exit. At a process start (``start=True``) that is a warning and the process runs on it (migrations only
    add, so older code works on a newer schema): failing would crash-loop every process; init-db fails clearly.
    """
    unknown = unknown_revisions()
    if unknown:
        message = (f"database schema {', '.join(unknown)} is newer than this release's migrations know")
        if not start:
            raise click.ClickException(f"{message}: install the release that wrote it (or restore a backup"
                                       " taken with this release); nothing was changed")
        log.warning("%s; starting without migrating (after a rollback); migrations only add, so this release"
                    " works on it", message)
        return
    upgrade(revision="heads")
    for hook in after_upgrade_hooks:
        hook()


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database schema."""
    upgrade_schema()
    click.echo("Database schema is up to date.")


def init_app(app):
    from core.backup_cli import backup_group

    for command in (init_db_command, translations_group, backup_group):
        app.cli.add_command(command)


@click.group("translations")
def translations_group():
    """Maintain the vi catalogs (English is the source language)."""


@translations_group.command("update")
@click.argument("modules", nargs=-1)
def translations_update(modules):
    """Extract strings and merge them into translations/<module>/vi/.../messages.po."""
    from core import i18n

    for module in modules or i18n.CATALOG_SOURCES:
        i18n.update_catalog(module)
        missing = i18n.missing_translations(module)
        click.echo(f"{module}: {len(missing)} strings to translate in {i18n.po_path(module)}")


@translations_group.command("compile")
def translations_compile():
    """Compile the .po catalogs into the .mo files the app reads (at install: the app never writes them in
    production)."""
    from core import i18n

    written = i18n.compile_catalogs(every=True)
    click.echo(f"{len(written)} translation catalogs compiled in {i18n.TRANSLATIONS}")


@translations_group.command("check")
def translations_check():
    """Exit non-zero when a string has no Vietnamese translation."""
    from core import i18n

    bad = 0
    for module in i18n.CATALOG_SOURCES:
        for msgid in i18n.missing_translations(module):
            click.echo(f"{module}: {msgid!r}")
            bad += 1
    if bad:
        raise click.ClickException(f"{bad} untranslated strings")
    click.echo("All strings are translated.")
