"""Field parsing shared by pages, API and socket handlers.

Services take plain dicts (a JSON body or a form) and read them through
:class:`Fields`, which collects every problem and raises one ``Invalid`` naming
all the bad fields, so nothing is written when any field is wrong.
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from core.errors import Invalid

_MISSING = object()


class Fields:
    def __init__(self, data):
        self.data = data if isinstance(data, dict) else {}
        self.errors = {}

    def _raw(self, name):
        value = self.data.get(name, _MISSING)
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return _MISSING
        if value is None:
            return _MISSING
        return value

    def has(self, name):
        return self._raw(name) is not _MISSING

    def error(self, name, message):
        self.errors.setdefault(name, message)

    def str(self, name, required=True, max_len=255, default=None):
        value = self._raw(name)
        if value is _MISSING:
            if required:
                self.error(name, _("This field is required."))
            return default
        if not isinstance(value, str):
            self.error(name, _("Must be text."))
            return default
        if len(value) > max_len:
            self.error(name, _("At most %(n)d characters.", n=max_len))
            return default
        return value

    def int(self, name, required=True, min_value=None, max_value=None, default=None):
        value = self._raw(name)
        if value is _MISSING:
            if required:
                self.error(name, _("This field is required."))
            return default
        if isinstance(value, bool):
            self.error(name, _("Must be a whole number."))
            return default
        try:
            number = int(value)
            if isinstance(value, float) and number != value:
                raise ValueError
        except (TypeError, ValueError):
            self.error(name, _("Must be a whole number."))
            return default
        if (min_value is not None and number < min_value) or (max_value is not None and number > max_value):
            self.error(name, _("Must be between %(lo)s and %(hi)s.", lo=min_value, hi=max_value))
            return default
        return number

    def int_list(self, name, required=False):
        value = self.data.get(name)
        if value in (None, "", []):
            if required:
                self.error(name, _("This field is required."))
            return []
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            self.error(name, _("Must be a list of ids."))
            return []
        out = []
        for item in value:
            try:
                if isinstance(item, bool):
                    raise ValueError
                out.append(int(item))
            except (TypeError, ValueError):
                self.error(name, _("Must be a list of ids."))
                return []
        return list(dict.fromkeys(out))

    def choice(self, name, choices, required=True, default=None):
        value = self._raw(name)
        if value is _MISSING:
            if required and default is None:
                self.error(name, _("This field is required."))
            return default
        if value not in choices:
            self.error(name, _("Must be one of: %(choices)s", choices=", ".join(choices)))
            return default
        return value

    def bool(self, name, default=False):
        value = self.data.get(name, default)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    def datetime(self, name, required=True, default=None):
        """ISO 8601; a time without offset is read in the display time zone."""
        value = self._raw(name)
        if value is _MISSING:
            if required:
                self.error(name, _("This field is required."))
            return default
        parsed = parse_datetime(value)
        if parsed is None:
            self.error(name, _("Must be a date and time (ISO 8601)."))
            return default
        return parsed

    def check(self):
        if self.errors:
            raise Invalid(self.errors)


def display_zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def parse_datetime(value):
    """An aware UTC datetime from ISO 8601 text (local display time if no offset), or None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=display_zone())
    return parsed.astimezone(timezone.utc)
