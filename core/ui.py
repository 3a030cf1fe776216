"""What modules contribute to the shared layout: navbar links and home-page sections."""
from collections.abc import Callable
from dataclasses import dataclass

#: nav items ordered from here on are administration screens: the navbar groups them in one
#: menu, so adding one never widens the bar past one line
ADMIN_ORDER = 80


@dataclass
class NavItem:
    endpoint: str
    label: object  # a lazy_gettext string
    icon: str  # a bootstrap-icons name, e.g. "megaphone"
    visible: Callable  # visible(user) -> bool
    order: int = 50

    @property
    def in_admin_menu(self):
        return self.order >= ADMIN_ORDER


@dataclass
class HomeSection:
    template: str
    context: Callable  # context(user) -> dict, or None to hide the section
    order: int = 50


nav_items: list = []
home_sections: list = []


def add_nav(item):
    nav_items.append(item)
    nav_items.sort(key=lambda i: i.order)


def add_home_section(section):
    home_sections.append(section)
    home_sections.sort(key=lambda s: s.order)


def visible_nav(user):
    return [item for item in nav_items if item.visible(user)]


def sections_for(user):
    out = []
    for section in home_sections:
        context = section.context(user)
        if context is not None:
            out.append((section.template, context))
    return out


def init_app(app):
    from flask_babel import get_locale
    from flask_login import current_user

    from core.dbtypes import utcnow
    from core.i18n import JS_STRINGS

    translated = app.extensions.setdefault("js_strings", {})

    def js_strings():
        """The browser's strings in the page's language, translated once per language and process (about
        230 of them: 5 ms a page when done on every render)."""
        key = (str(get_locale()), len(JS_STRINGS))
        if key not in translated:
            translated[key] = {name: str(value) for name, value in JS_STRINGS.items()}
        return translated[key]

    @app.context_processor
    def layout():
        return {
            "nav_items": lambda: visible_nav(current_user),
            "js_strings": js_strings,
            "now_local": utcnow,
            "get_locale": get_locale,
        }
