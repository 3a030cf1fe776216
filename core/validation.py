"""Input rules shared by pages, API and socket handlers: the one place that says what
text and which numbers the app accepts.

Services take plain dicts (a JSON body or a form) and read them through
:class:`Fields`, which collects every problem and raises one ``Invalid`` naming
all the bad fields, so nothing is written when any field is wrong.

- Numbers fit a 64-bit database integer; ids are 1..2**63-1; only ASCII digits count
  (``int()`` also takes "٣", ``str.isdigit()`` also "²").
- Text never holds NUL, lone surrogates or control characters (tab and newlines only
  in multi-line fields): PostgreSQL refuses NUL, SQLite would store it silently.
- Path ids go through :class:`IdConverter` (a 404 when out of range), query parameters
  through :func:`arg_int`/:func:`arg_id`, socket payload ids through :func:`payload_id`.
"""
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from core.errors import BadRequest, Invalid

_MISSING = object()

#: the range of a database BIGINT (SQLite's INTEGER is the same size)
MIN_INT = -2**63
MAX_INT = 2**63 - 1
#: ids are positive database integers
MAX_ID = MAX_INT
#: the last page a list shows (its offset must stay a database integer)
MAX_PAGE = 10**9
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,30}")
_SINGLE_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: never stored anywhere (checked on every request and socket payload)
_NEVER = re.compile("[\x00\ud800-\udfff]")


def to_int(value):
    """An int from input (an int, an integral float, or ASCII-digit text), or None. No range check."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # inf and nan are not integers
    if isinstance(value, str):
        text = value.strip()
        return int(text) if _ASCII_INT.fullmatch(text) else None
    return None


def parse_id(value, minimum=1):
    """A database id (``minimum``..2**63-1) from input, or None."""
    number = to_int(value)
    if number is None or not minimum <= number <= MAX_ID:
        return None
    return number


def text_problem(value, multiline=False):
    """Why ``value`` cannot be stored as text (NUL, lone surrogate, control character), or None."""
    if (_MULTI_LINE_BAD if multiline else _SINGLE_LINE_BAD).search(value):
        if multiline:
            return _("Must not contain control characters.")
        return _("Must be one line without control characters.")
    return None


def never_stored(value, limit=None):
    """Walk a decoded payload (dicts, lists, text): the first key path holding NUL or a lone
    surrogate (or None), and its size in characters, stopping early past ``limit``."""
    size, bad = 0, None
    stack = [("", value)]
    while stack and (limit is None or size <= limit):
        path, item = stack.pop()
        item_size, item_bad, children = _scan(path, item)
        size += item_size
        bad = bad or item_bad
        stack.extend(children)
    return bad, size


def _scan(path, item):
    """One node of a payload: (its own size, its path if it holds NUL or a lone surrogate, its children)."""
    if isinstance(item, dict):
        return _scan_dict(path, item)
    if isinstance(item, (list, tuple)):
        return 2, None, [(path, child) for child in item]
    if isinstance(item, str):
        return len(item) + 3, (path or "payload") if _NEVER.search(item) else None, []
    if isinstance(item, (bytes, bytearray)):
        return len(item), None, []
    return 8, None, []


def _scan_dict(path, item):
    size, bad, children = 2, None, []
    for key, child in item.items():
        key_text = str(key)
        size += len(key_text) + 4
        if bad is None and isinstance(key, str) and _NEVER.search(key):
            bad = path or "payload"
        children.append((f"{path}.{key_text}" if path else key_text, child))
    return size, bad, children


class IdConverter(IntegerConverter):
    """The ``int`` URL converter of the app: ASCII digits only, and a number outside 1..2**63-1
    is a 404 (no such object) instead of an overflow deep in the database driver.

    It raises NotFound itself: werkzeug's ValidationError would make a path that also has a
    route for another method answer 405."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if signed:
            self.regex = r"-?[0-9]+"

    def to_python(self, value):
        if len(value.lstrip("-0")) > 19:
            raise NotFound()
        number = int(value)
        if not self.min <= number <= self.max:
            raise NotFound()
        return number


def arg_int(name, default=None, min_value=MIN_INT, max_value=MAX_INT):
    """An integer query parameter: ``default`` when absent or empty, 422 naming it when bad."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    number = to_int(raw)
    if number is None:
        raise Invalid({name: _("Must be a whole number.")})
    if not min_value <= number <= max_value:
        raise Invalid({name: _between(min_value, max_value, number)})
    return number


def arg_page(name="page", default=1, last=MAX_PAGE):
    """A page number (or a count shown) from the query string, kept within 1..``last`` so an
    offset computed from it stays a database integer; 422 when it is not a number."""
    return min(max(arg_int(name, default), 1), last)


def arg_id(name):
    """An id query parameter (e.g. ``agency_id``), None when absent, 422 naming it when bad."""
    return arg_int(name, min_value=1, max_value=MAX_ID)


def payload_id(payload, name, required=True, minimum=1):
    """An id from a socket payload, or a ``bad_request`` naming the field (None when optional and absent)."""
    raw = payload.get(name) if isinstance(payload, dict) else None
    if raw is None and not required:
        return None
    number = parse_id(raw, minimum=minimum)
    if number is None:
        message = _("%(name)s must be an id.", name=name)
        raise BadRequest(message, code="bad_request", fields={name: message})
    return number


def request_json():
    """The request's parsed JSON (None when it is not JSON); too deep a nesting is a 400, not a crash."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise BadRequest(_("The JSON body is nested too deeply.")) from None


def check_request_text(body=True):
    """422 naming the field when the query string (or, with ``body``, the form or JSON body)
    holds NUL or a lone surrogate: text no field accepts. Control characters are judged per
    field by :class:`Fields` (a multi-line field allows line breaks)."""
    bad = _bad_text_fields(request.args, {})
    if body:
        _bad_text_fields(request.form, bad)
    if body and request.is_json:
        path, _size = never_stored(request_json())
        if path is not None:
            bad.setdefault(_printable(path), _("Must not contain NUL or invalid characters."))
    if bad:
        raise Invalid(bad)


def _bad_text_fields(source, bad):
    """Add to ``bad`` {field: message} for the fields of ``source`` holding NUL or a lone surrogate."""
    for key, value in source.items(multi=True):
        key = key if isinstance(key, str) else str(key)
        if _NEVER.search(key) or (isinstance(value, str) and _NEVER.search(value)):
            bad.setdefault(_printable(key), _("Must not contain NUL or invalid characters."))
    return bad


def _printable(name):
    """A field name fit to be shown back (the bad characters themselves replaced)."""
    return _NEVER.sub("\ufffd", name)


def _between(lo, hi, number=None):
    """The message for a number outside lo..hi: the bound it broke when only one was set."""
    if lo <= MIN_INT or (number is not None and number > hi and hi < MAX_INT):
        return _("Must be at most %(hi)s.", hi=hi)
    if hi >= MAX_INT and (number is None or number < lo):
        return _("Must be at least %(lo)s.", lo=lo)
    return _("Must be between %(lo)s and %(hi)s.", lo=lo, hi=hi)


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

    def str(self, name, required=True, max_len=255, default=None, multiline=False):
        """Text of one line (``multiline``: tabs and line breaks allowed too)."""
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
        problem = text_problem(value, multiline)
        if problem:
            self.error(name, problem)
            return default
        return value

    def url(self, name, required=False, max_len=500, default=""):
        """A web link: http or https with a host, no spaces (what a page may put behind a button)."""
        value = self.str(name, required=required, max_len=max_len, default=None)
        if value is None:
            return default
        try:
            parts = urlsplit(value)
            host = parts.hostname if parts.port is None or parts.port > 0 else None
        except ValueError:  # e.g. an unclosed IPv6 bracket or a bad port
            parts, host = None, None
        web = parts is not None and parts.scheme.lower() in ("http", "https") and bool(host)
        if not web or any(c.isspace() for c in value):
            self.error(name, _("Must be a web address starting with https:// (or http://)."))
            return default
        return value

    def int(self, name, required=True, min_value=None, max_value=None, default=None):
        value = self._raw(name)
        if value is _MISSING:
            if required:
                self.error(name, _("This field is required."))
            return default
        number = to_int(value)
        if number is None:
            self.error(name, _("Must be a whole number."))
            return default
        lo = MIN_INT if min_value is None else max(min_value, MIN_INT)
        hi = MAX_INT if max_value is None else min(max_value, MAX_INT)
        if not lo <= number <= hi:
            self.error(name, _between(lo, hi, number))
            return default
        return number

    def id(self, name, required=True, default=None):
        """A database id: 1..2**63-1."""
        return self.int(name, required=required, min_value=1, max_value=MAX_ID, default=default)

    def int_list(self, name, required=False):
        """A list of ids (a single id or a form's repeated field is a list of one)."""
        value = self.data.get(name)
        if value is None or value == "" or value == []:
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
            number = parse_id(item)
            if number is None:
                self.error(name, _("Must be a list of ids."))
                return []
            out.append(number)
        return list(dict.fromkeys(out))

    def choice(self, name, choices, required=True, default=None):
        value = self._raw(name)
        if value is _MISSING:
            if required and default is None:
                self.error(name, _("This field is required."))
            return default
        if not isinstance(value, str) or value not in choices:
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
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. year 1 at +14:00 falls before year 1 in UTC
        return None


def init_app(app):
    """Path ids through :class:`IdConverter` (before any blueprint adds its routes), and page
    query strings checked for NUL (the API checks its own after authentication: core.api)."""
    app.url_map.converters["int"] = IdConverter

    def _refuse_nameless_parts():
        # werkzeug keys a multipart part without a name None, and Flask-WTF's CSRF check would
        # crash on it: so this runs before every other request hook
        if request.mimetype == "multipart/form-data" and (None in request.form or None in request.files):
            raise BadRequest(_("A part of the form has no name."))

    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_parts)

    @app.before_request
    def _check_page_query():
        if not request.path.startswith("/api/"):
            check_request_text(body=False)
