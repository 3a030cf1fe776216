"""Command-line tools: flask --app wsgi init-db | create-admin | seed-demo."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_migrate import upgrade

from core.errors import ServiceError
from core.extensions import db


def upgrade_schema():
    """Create or upgrade the schema to every head (Alembic); idempotent."""
    upgrade(revision="heads")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database schema."""
    upgrade_schema()
    click.echo("Database schema is up to date.")


@click.command("create-admin")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
@click.option("--full-name", default=None, help="Name shown in the app (default: the username).")
@with_appcontext
def create_admin_command(username, password_stdin, full_name):
    """Create an administrator account."""
    from auth import services

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with force_locale("en"):  # operators read the console in English, like the other CLI output
            user = services.create_user(
                None,
                {"username": username, "password": password, "full_name": full_name or username, "role": "admin"},
                system=True,
            )
    except ServiceError as exc:
        db.session.rollback()
        with force_locale("en"):
            detail = "; ".join(f"{k}: {v}" for k, v in getattr(exc, "fields", {}).items()) or exc.message
        raise click.ClickException(f"cannot create admin {username!r}: {detail}") from None
    click.echo(f"Created administrator {user.username} (id {user.id}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def seed_demo_command(if_empty):
    """Fill the database with a demo province and print its logins."""
    from core import demo

    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production (APP_ENV=production).")
    if if_empty and demo.has_users():
        click.echo("The database already has users; demo data not added.")
        demo.print_logins(click.echo, only_if_demo=True)
        return
    try:
        demo.seed()
    except demo.AlreadySeeded as exc:
        raise click.ClickException(str(exc)) from None
    demo.print_logins(click.echo)


def init_app(app):
    for command in (init_db_command, create_admin_command, seed_demo_command, translations_group):
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
