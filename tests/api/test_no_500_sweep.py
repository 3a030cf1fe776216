"""No input is ever a 500: a sweep generated from ``app.url_map``.

Every rule and method gets out-of-range ids in its path variables (404 expected). Every field a
view reads (found by recording which keys it looks up in the query string, the JSON or form body
and the uploaded files) gets NUL, a lone surrogate, control characters, out-of-range and
non-ASCII-digit numbers: one field at a time with the others valid, then all of them at once.
It runs as admin, leader and officer on a small seeded dataset, on SQLite and on PostgreSQL;
afterwards no stored text may hold NUL or a control character.

The figures (routes, methods, cases, 5xx) are printed at the end of the run.
"""
import io
import re
from collections import Counter
from itertools import zip_longest

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from core import validation
from core.extensions import db
from tests.conftest import PASSWORD, csrf_from, fresh_postgres_database, login
from tests.sweep_support import seed

BIG = [2**63, 2**64, -2**63 - 1, 10**30]
#: bad values for text fields and for number/id fields; one field at a time gets the first few,
#: the every-field-at-once requests go through all of them
TEXT_JSON = ["a\x00b", "\ud800", "x\x07y", 2**64, "\x1b[31m"]
TEXT_FORM = ["a\x00b", "x\x07y\x1b[31m"]
IDS_JSON = [2**63, -2**63 - 1, "²", "a\x00b", 10**30, "٣", "99999999999999999999", float("inf"), 2**64]
IDS_FORM = [str(2**63), str(-2**63 - 1), "²", "a\x00b", str(10**30), "٣"]
ONE_AT_A_TIME = 3
AT_ONCE = 6
BAD_FILE_NAMES = ["a\x00b.pdf", "x\x07y.pdf", "\x1b[31m.pdf"]
RAW_JSON = [b"[" * 50_000, b'{"title": "\xff\xfe"}', b'{"title": NaN, "x": Infinity}']
#: a multipart body with a nameless part (werkzeug keys it None), NUL in a name and invalid UTF-8
RAW_MULTIPART = (b'--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n'
                 b'--b\r\nContent-Disposition: form-data; name="t\x00"\r\n\r\n\xff\xfe\r\n'
                 b'--b\r\nContent-Disposition: form-data; name="file"; filename="\x00.pdf"\r\n\r\n%PDF\r\n--b--\r\n')
#: not app fields: the CSRF token (a bad one is a 400 by design)
IGNORED_KEYS = {"csrf_token"}
SKIPPED = {"static"}
#: run last: they change the seeded state others rely on (end a meeting, close a vote, sign out, ...)
FINAL_WORDS = ("end", "cancel", "finalize", "delete", "accept", "remove", "revoke", "close", "reject",
               "approve", "return", "restore", "status", "edit_user", "update_user", "logout", "sign_out",
               "password")
INT_KEYS = {"progress", "base_version", "choice", "limit", "offset", "after", "before", "page", "shown",
            "version", "planned_minutes"}
FIGURES = {}


# -- which keys does a view read? ---------------------------------------------------

SINK = {"args": set(), "body": set(), "files": set(), "fields": set()}


def _note(where, key):
    if isinstance(key, str):
        SINK[where].add(key)


class RecordingDict(dict):
    where = "body"

    def get(self, key, default=None):
        _note(self.where, key)
        return super().get(key, default)

    def __getitem__(self, key):
        _note(self.where, key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _note(self.where, key)
        return super().__contains__(key)


class RecordingMultiDict(ImmutableMultiDict):
    where = "body"

    def get(self, key, default=None, type=None):
        _note(self.where, key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _note(self.where, key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        _note(self.where, key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _note(self.where, key)
        return super().__contains__(key)

    def to_dict(self, flat=True):
        out = RecordingDict(super().to_dict(flat))
        out.where = self.where
        return out


_RECORDING = {where: type(f"Recording_{where}", (RecordingMultiDict,), {"where": where})
              for where in ("args", "body", "files")}


def _recording(data, where):
    return _RECORDING[where](data.items(multi=True))


class RecordingRequest(Request):
    @property
    def args(self):
        return _recording(super().args, "args")

    @property
    def form(self):
        return _recording(super().form, "body")

    @property
    def files(self):
        return _recording(super().files, "files")

    def get_json(self, *args, **kwargs):
        value = super().get_json(*args, **kwargs)
        return RecordingDict(value) if type(value) is dict else value


@pytest.fixture
def recording(app, monkeypatch):
    """Record the keys every Fields reads too (services may copy a body into a plain dict)."""
    app.request_class = RecordingRequest
    original = validation.Fields.__init__

    def init(self, data):
        original(self, data)
        if type(self.data) is dict:  # a copy: its keys came from the query string or the body
            self.data = RecordingDict(self.data)
            self.data.where = "fields"

    monkeypatch.setattr(validation.Fields, "__init__", init)


# -- building requests ---------------------------------------------------------------------

def is_id_key(key, base):
    if isinstance(base, bool):
        return False
    return key.endswith(("_id", "_ids")) or key in INT_KEYS or isinstance(base, int)


def variants(key, base, as_json):
    """Bad values for one field, shaped like its valid value (a list stays a list), most telling first."""
    text, ids = (TEXT_JSON, IDS_JSON) if as_json else (TEXT_FORM, IDS_FORM)
    if isinstance(base, list) and base and isinstance(base[0], dict):  # e.g. agenda items
        if not as_json:
            return list(text)
        per_key = [[[dict(base[0], **{sub: bad})] for bad in variants(sub, value, as_json)]
                   for sub, value in base[0].items()]
        return [v for group in zip_longest(*per_key) for v in group if v is not None]
    if isinstance(base, list) or key.endswith("_ids"):
        item = base[0] if base else None
        inner = ids if is_id_key(key, item) or key.endswith("_ids") else text
        return [[bad] for bad in inner] + ([inner[0]] if as_json else [])
    if isinstance(base, bool):
        return [text[0], ids[0]]
    if is_id_key(key, base):
        return list(ids)
    if base is None:  # a field we have no valid value for: try both kinds
        return [v for pair in zip_longest(text, ids) for v in pair if v is not None]
    return list(text)


def poison(key, base, as_json):
    """A value every field refuses without being NUL (which the API turns away before the view reads)."""
    if isinstance(base, list) and base and isinstance(base[0], dict):
        return [dict.fromkeys(base[0], "x\x07y")] if as_json else "x\x07y"
    big = 2**63 if as_json else str(2**63)
    if isinstance(base, list) or key.endswith("_ids"):
        return [big]
    if is_id_key(key, base):
        return big
    return "x\x07y"


def form_value(value):
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "\n".join(str(v.get("title", "")) for v in value)
        return [str(v) for v in value]
    return str(value)


_VARIABLE = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


def path_for(rule, values):
    return _VARIABLE.sub(lambda m: str(values[m.group(1)]), rule.rule)


def default_path_values(rule, ids):
    values = {}
    for name, conv in rule._converters.items():
        if name == "meeting_id" and "cancel" in rule.rule:
            values[name] = ids["scheduled_meeting_id"]  # only a meeting not yet started can be cancelled
        elif isinstance(conv, IntegerConverter):
            values[name] = ids.get(name, 1)
        elif isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        elif name == "code":
            values[name] = "vi"
        else:
            values[name] = "x"
    return values


def bad_path_values(rule, ids, bigs):
    """Every int variable out of range (all at once, then one at a time); text variables get NUL."""
    good = default_path_values(rule, ids)
    int_vars = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
    text_vars = [n for n, c in rule._converters.items() if not isinstance(c, (IntegerConverter, AnyConverter))]
    out = []
    for big in bigs:
        if int_vars:
            out.append(("id", dict(good, **dict.fromkeys(int_vars, big))))
        if len(int_vars) > 1:
            out.extend(("id", dict(good, **{n: big})) for n in int_vars)
    for name in text_vars:
        out.extend(("text", dict(good, **{name: bad})) for bad in ("%00", "%ED%A0%80", str(2**64)))
    return out


# -- the sweep ------------------------------------------------------------------------------

class Sweep:
    def __init__(self, client, user):
        self.client = client
        self.user = user  # None: nobody signed in (the login form, the token endpoint, redirects)
        self.csrf = login(client, user, PASSWORD) if user else csrf_from(client.get("/login").get_data(as_text=True))
        self.signed_out_by = set()
        self.cases = 0
        self.fivexx = []
        self.problems = []
        self.routes = set()
        self.methods = 0

    def send(self, method, path, query=None, body=None, files=None, as_json=False, raw=None, expect=None):
        for where in SINK:
            SINK[where] = set()
        kwargs = {"headers": {"X-CSRFToken": self.csrf}}
        if query:
            kwargs["query_string"] = {k: form_value(v) for k, v in query.items()}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["content_type"] = "multipart/form-data; boundary=b" if raw is RAW_MULTIPART else "application/json"
        elif files:
            data = {k: form_value(v) for k, v in (body or {}).items()}
            for key, name in files.items():
                data[key] = (io.BytesIO(b"%PDF-1.4 thu"), name)
            kwargs["data"] = data
            kwargs["content_type"] = "multipart/form-data"
        elif body is not None and as_json:
            kwargs["json"] = body
        elif body is not None:
            kwargs["data"] = {k: form_value(v) for k, v in body.items()}
        self.cases += 1
        res = self.client.open(path, method=method, **kwargs)
        what = f"{method} {path} query={query!r} body={body!r} files={files!r} raw={raw!r:.40}"
        if res.status_code >= 500:
            self.fivexx.append(f"{res.status_code} {what}")
        elif expect is not None and res.status_code != expect:
            self.problems.append(f"expected {expect}, got {res.status_code}: {what}")
        if path.startswith("/api/") and res.status_code >= 400:
            error = (res.get_json(silent=True) or {}).get("error") if res.is_json else None
            if not (isinstance(error, dict) and isinstance(error.get("code"), str)
                    and isinstance(error.get("message"), str)):
                self.problems.append(f"not the JSON error shape ({res.status_code}): {what}")
        seen = {where: set(keys) - IGNORED_KEYS for where, keys in SINK.items()}
        seen["args" if method == "GET" else "body"] |= seen.pop("fields")
        return seen

    def rule(self, rule, ids, base, path_values=BIG):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        self.routes.add(rule.rule)
        for method in methods:
            self.methods += 1
            for kind, values in bad_path_values(rule, ids, path_values):
                self.send(method, path_for(rule, values), expect=404 if kind == "id" else None)
            self.fields(rule, method, path_for(rule, default_path_values(rule, ids)), base)
            self.stay_signed_in(rule, method)

    def stay_signed_in(self, rule, method):
        """A route that ended the session (sign out, password change): sign in again and go on."""
        if self.user is not None and self.client.get("/api/v1/me").status_code != 200:
            self.signed_out_by.add(f"{method} {rule.rule}")
            self.client.delete_cookie("session")
            self.csrf = login(self.client, self.user, PASSWORD)

    def fields(self, rule, method, path, base):
        """Find the fields the view reads, try bad values in each, then send the empty request last
        (an action without fields, e.g. accept, may change the seeded state)."""
        as_json = path.startswith("/api/")
        has_body = method in ("POST", "PUT", "PATCH", "DELETE")
        # every field we know holds a control character or an out-of-range id: the view reads its
        # fields and refuses them, nothing valid happens (cancelling with an empty reason would)
        query = {k: poison(k, v, False) for k, v in base.items()}
        body = {k: poison(k, v, as_json) for k, v in base.items()} if has_body else None
        seen = self.send(method, path, query=query, body=body, as_json=as_json)
        done = {"args": set(), "body": set(), "files": set()}
        queue = [(where, key) for where in seen for key in sorted(seen[where])]
        while queue:
            where, key = queue.pop(0)
            if key in done[where]:
                continue
            done[where].add(key)
            for found in self.one_field(method, path, where, key, done, base, as_json, has_body):
                queue.extend((w, k) for w in found for k in sorted(found[w]) if k not in done[w])
        self.all_fields(method, path, done, base, as_json, has_body)
        if as_json and has_body:
            for raw in RAW_JSON:
                self.send(method, path, raw=raw)
        if has_body:
            self.send(method, path, raw=RAW_MULTIPART)
        self.send(method, path, body={} if has_body else None, as_json=as_json)

    def _valid(self, keys, base, as_json):
        return {k: base[k] for k in keys if k in base} if as_json else \
            {k: base[k] for k in keys if k in base and not isinstance(base[k], dict)}

    def one_field(self, method, path, where, key, done, base, as_json, has_body):
        query = self._valid(done["args"], base, False)
        body = self._valid(done["body"], base, as_json) if has_body else None
        if where == "files":
            for name in BAD_FILE_NAMES:
                yield self.send(method, path, query=query, body=body, files={key: name})
            return
        json_body = as_json and where == "body"
        for bad in variants(key, base.get(key), json_body)[:ONE_AT_A_TIME]:
            if where == "args":
                yield self.send(method, path, query=dict(query, **{key: bad}), body=body, as_json=as_json)
            else:
                yield self.send(method, path, query=query, body=dict(body or {}, **{key: bad}), as_json=as_json)

    def all_fields(self, method, path, done, base, as_json, has_body):
        """Every field bad at once, one kind of bad value per request."""
        if not done["args"] and not (has_body and done["body"]):
            return
        def pick(key, body_json, n):
            options = variants(key, base.get(key), body_json)
            return options[(ONE_AT_A_TIME + n) % len(options)]  # the values one at a time did not try

        for n in range(AT_ONCE):
            query = {k: pick(k, False, n) for k in done["args"]}
            body = {k: pick(k, as_json, n) for k in done["body"]} if has_body else None
            self.send(method, path, query=query, body=body, as_json=as_json)


def order(rule):
    return (any(word in rule.endpoint for word in FINAL_WORDS), rule.rule)


_BAD_STORED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def bad_stored_text():
    """Text in any column (JSON columns included) holding NUL, control characters or surrogates."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).mappings():
            for column, value in row.items():
                for text in _texts(value):
                    if _BAD_STORED.search(text):
                        found.append(f"{table.name}.{column}={text!r:.60}")
    return found


def _texts(value):
    """The strings in a column value; a JSON column's keys and values too (json.dumps would escape them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    config = {"LOGIN_RATE_LIMIT": "100000 per minute", "LOGIN_RATE_LIMIT_PER_ADDRESS": "100000 per minute"}
    if request.param == "sqlite":
        yield config
        return
    with fresh_postgres_database("sweep") as url:
        yield dict(config, SQLALCHEMY_DATABASE_URI=url)


@pytest.fixture(scope="module", autouse=True)
def report_figures(request):
    yield
    if not FIGURES:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        for key, figures in sorted(FIGURES.items()):
            print(f"\nno-500 sweep [{key}]: " + ", ".join(f"{k} {v}" for k, v in figures.items()), end="")
        print()


@pytest.mark.parametrize("role", ["admin", "leader", "officer", "anonymous"])
def test_no_input_gives_a_5xx_on_any_route(app, client, factory, recording, role, request):
    people, ids, base = seed(factory)
    sweep = Sweep(client, people.get(role))
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED), key=order)
    # routing turns out-of-range path ids away before any role matters: every value once, as admin
    path_values = BIG if role == "admin" else BIG[:1]
    for rule in rules:
        sweep.rule(rule, ids, base, path_values)
    stored = bad_stored_text()
    FIGURES[request.node.callspec.id] = Counter(routes=len(sweep.routes), methods=sweep.methods,
                                                cases=sweep.cases, fivexx=len(sweep.fivexx))
    assert not sweep.fivexx, f"{len(sweep.fivexx)} of {sweep.cases} requests were 5xx:\n" + "\n".join(sweep.fivexx[:60])
    assert not sweep.problems, "\n".join(sweep.problems[:60])
    assert not stored, stored[:20]
    assert len(sweep.routes) > 100 and sweep.cases > 300
