"""Languages, time zones and the strings the browser scripts need."""
import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from blinker import Namespace
from flask import current_app, has_request_context, session
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
log = logging.getLogger(__name__)

#: Strings used by static/js, rendered into each page as JSON (the CSP allows no inline script).
JS_STRINGS = {
    "connection_lost": _l("Connection lost. Reconnecting…"),
    "connection_back": _l("Connected again."),
    "error": _l("Something went wrong. Please try again."),
    "network_error": _l("Not sent: there is no connection to the server. Check the network and try again."),
    "session_ended": _l("Your session has ended. Taking you to the sign-in page…"),
    "sending": _l("Sending…"),
    "sent": _l("Sent"),
    "failed": _l("Not sent. Retrying…"),
    "acknowledged": _l("Acknowledged"),
    "new_directive": _l("New directive"),
}


#: sent as (app, user=, locale=) when a signed-in user picks a language; auth saves it on the account
locale_chosen = Namespace().signal("locale-chosen")


def register_js_strings(strings):
    """Modules add the strings their scripts use."""
    JS_STRINGS.update(strings)


#: each language by its own name, for the language switch and the profile
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def languages():
    """[(code, name)] of the configured languages, in the order LANGUAGES gives them."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def select_locale():
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated:
        return current_user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def translation_directories():
    """One catalog folder per module (translations/<module>), merged by Flask-Babel."""
    return ";".join(str(p) for p in sorted(TRANSLATIONS.iterdir()) if p.is_dir())


def stale_catalogs():
    """The .po files whose .mo is missing or older than them."""
    stale = []
    for po in sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(every=False):
    """Compile each .po whose .mo is missing or older (every: each one); returns the .mo files written.

    Run at install (make install, deploy/upgrade.sh: flask --app wsgi translations compile), where the
    code folder is writable; a development start does it too, so a fresh checkout needs no build step.
    """
    written = []
    # every: a copy that kept the files' times (rsync -a, tar) may bring a .po older than the last .mo
    for po in sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po")) if every else stale_catalogs():
        mo = po.with_suffix(".mo")
        with po.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # processes starting together do not collide
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)
        written.append(mo)
    return written


COMPILE_COMMAND = "flask --app wsgi translations compile"


def _catalogs_at_start(app):
    """Development: compile what changed. Production never writes to the code folder (the service user
    cannot, and a crash there loops under Restart=always): it warns and serves the catalogs it has."""
    stale = stale_catalogs()
    if not stale:
        return
    if app.config["APP_ENV"] == "development" and all(os.access(po.parent, os.W_OK) for po in stale):
        try:
            compile_catalogs()
            return
        except OSError as exc:
            log.warning("could not compile the translation catalogs (%s)", exc)
    names = ", ".join("/".join(po.relative_to(TRANSLATIONS).parts[:2]) for po in stale)
    log.warning("translation catalogs not compiled or older than their .po (%s): pages show the previous "
                "or the English text; run `%s` as the user who installs the code", names, COMPILE_COMMAND)


def datetime_filter(value, fmt="dd/MM/yyyy HH:mm"):
    """Show a UTC datetime in the display time zone."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def date_filter(value):
    return datetime_filter(value, "dd/MM/yyyy")


def init_app(app):
    _catalogs_at_start(app)
    app.jinja_env.filters["dt"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.globals["languages"] = languages


# -- catalog maintenance (flask --app wsgi translations update|check) ------------

BASE = TRANSLATIONS.parent
#: Which files feed each module's catalog.
CATALOG_SOURCES = {
    "core": ["core", "templates/base.html", "templates/macros.html", "templates/errors.html", "templates/core"],
    "auth": ["auth", "templates/auth"],
    "notifications": ["notifications", "templates/notifications"],
    "directives": ["directives", "templates/directives"],
    "meetings": ["meetings", "templates/meetings"],
    "search": ["search", "templates/search"],
}
_METHODS = [("**.py", "python"), ("**.html", "jinja2")]
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
             "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3), "lazy_ngettext": (1, 2)}


def extract(module):
    """A babel Catalog of every translatable string in one module's sources."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir, extract_from_file

    catalog = Catalog(project="chidao", charset="utf-8")
    for source in CATALOG_SOURCES[module]:
        path = BASE / source
        if path.is_dir():
            found = extract_from_dir(str(path), _METHODS, keywords=_KEYWORDS)
            for filename, lineno, message, comments, context in found:
                catalog.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments, context=context)
        elif path.is_file():
            method = "jinja2" if path.suffix == ".html" else "python"
            for lineno, message, comments, context in extract_from_file(method, str(path), keywords=_KEYWORDS):
                catalog.add(message, None, [(source, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(module, locale="vi"):
    return TRANSLATIONS / module / locale / "LC_MESSAGES" / "messages.po"


def update_catalog(module, locale="vi"):
    """Merge newly extracted strings into the module's .po, keeping existing translations."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract(module)
    path = po_path(module, locale)
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=locale, project="chidao", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    return catalog


def missing_translations(module, locale="vi"):
    """msgids used in the module's sources with no (or a fuzzy) translation in its catalog."""
    path = po_path(module, locale)
    translated = {}
    if path.exists():
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    translated[message.id] = message.string
    missing = []
    for message in extract(module):
        if not message.id:
            continue
        if message.id not in translated:
            missing.append(message.id)
    return missing
