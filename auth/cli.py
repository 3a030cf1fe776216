"""Command-line tools that need accounts: flask --app wsgi create-admin | seed-demo."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from auth import demo as auth_demo
from auth import services
from core import demo as core_demo
from core.errors import ServiceError
from core.extensions import db


@click.command("create-admin")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
@click.option("--full-name", default=None, help="Name shown in the app (default: the username).")
@with_appcontext
def create_admin_command(username, password_stdin, full_name):
    """Create an administrator account."""
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
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production (APP_ENV=production).")
    if if_empty and auth_demo.has_users():
        click.echo("The database already has users; demo data not added.")
        auth_demo.print_logins(click.echo, only_if_demo=True)
        return
    try:
        core_demo.seed()
    except core_demo.AlreadySeeded as exc:
        raise click.ClickException(str(exc)) from None
    auth_demo.print_logins(click.echo)


def init_app(app):
    for command in (create_admin_command, seed_demo_command):
        app.cli.add_command(command)
