"""Schemathesis fuzzes every operation of the served OpenAPI document against the app, on SQLite and
on PostgreSQL, as an admin, a leader and an officer (bearer tokens): no 5xx, every error is the JSON
error of API.md, and statuses, content types and bodies match the document.

Deterministic (a fixed Hypothesis seed per operation and role, a fixed order), bounded (a few
examples per operation and role), and part of the normal suite. The seeds make the cases the same on
both databases, so the second one replays the cases the first generated (generating them is half the
time of a run). A failure names each failing operation once, with a curl command to reproduce it.
"""
import io
import zlib
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core import create_app
from core.dbtypes import utcnow
from core.extensions import db
from tests.conftest import PASSWORD, Factory, fresh_postgres_database, make_test_config

#: (role, generation mode, text, examples) for every operation. Positive cases fit the document and
#: mostly point at seeded rows; negative ones break it (wrong types, out-of-range numbers, ...).
#: "any" text is all of Unicode (NUL, lone surrogates); "plain" text is UTF-8 without NUL, so that
#: the leader's and the officer's cases get past the text checks into the services.
PLAN = (
    ("admin", GenerationMode.POSITIVE, "any", 8),
    ("leader", GenerationMode.POSITIVE, "plain", 8),
    ("officer", GenerationMode.POSITIVE, "plain", 6),
    ("admin", GenerationMode.NEGATIVE, "any", 6),
)
SEEDED_ROWS = 4  # ids 1..4 exist in most tables of the fresh database (see _seed)
#: operations that can take the fuzzing users' own access away: restore it after every example
ACCESS_CHANGING = {("DELETE", "/auth/token"), ("DELETE", "/auth/tokens/{token_id}"), ("PATCH", "/users/{user_id}"),
                   ("PATCH", "/agencies/{agency_id}")}
#: ends a meeting, a vote or the minutes for good: fuzzed last, so the others meet live objects
CLOSING = ("/end", "/cancel", "/finalize", "/close")
#: {(served document, operation, role, mode): the cases generated for it, in order}: replayed on the other database
GENERATED = {}


def error_is_the_json_error(ctx, response, case):
    """API.md: errors are always {"error": {"code", "message"}}."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - any decoding problem is the failure
        raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str), \
        f"{response.status_code} is not the JSON error: {response.text[:200]!r}"
    return None


CHECKS = [not_a_server_error, error_is_the_json_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CONFIGS = {
    "any": {"with-security-parameters": False},
    "plain": {"with-security-parameters": False, "codec": "utf-8", "allow-x00": False},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_app(request, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "sqlite":
        yield _app(tmp_path, f"sqlite:///{tmp_path / 'fuzz.db'}")
    else:
        with fresh_postgres_database("fuzz") as url:
            app = _app(tmp_path, url)
            yield app
            with app.app_context():
                db.engine.dispose()


def _app(tmp_path, url):
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        db.create_all()
        app.fuzz_principals = _seed()
    return app


def _seed():
    """A few rows in every table the API reaches, so that small ids hit real rows."""
    from werkzeug.datastructures import FileStorage

    from directives import attachments
    from directives import extensions as dextensions
    from directives import services as directives
    from meetings import conclusions, minutes, speakers, votes
    from meetings import services as meetings

    factory = Factory()
    office = factory.agency("VP", "Văn phòng UBND tỉnh", kind="provincial_office")
    agencies = [office] + [factory.agency(f"S{n}", f"Sở {n}", parent=office) for n in range(1, 4)]
    admin = factory.user("admin", username="fuzz-admin")
    leader = factory.user("leader", agencies[0], username="fuzz-leader")
    officer = factory.user("officer", agencies[1], username="fuzz-officer")
    colleague = factory.user("officer", agencies[1], username="fuzz-colleague")
    deadline = (utcnow() + timedelta(days=10)).isoformat()
    for n in range(SEEDED_ROWS):
        directive = directives.issue_directive(leader, {
            "title": f"Chỉ đạo {n}", "body": "Nội dung", "deadline": deadline,
            "lead_agency_id": agencies[1].id, "support_agency_ids": [agencies[2].id]})
        lead = next(a for a in directive.assignments if a.role == "lead")
        directives.acknowledge(officer, lead)
        directives.report_progress(officer, lead, {"progress": 10 * n, "note": "Đang làm"})
        dextensions.request_extension(officer, lead, {"deadline": (utcnow() + timedelta(days=20)).isoformat(),
                                                     "reason": "Cần thêm thời gian"})
        if n % 2:  # for the leader to accept or return
            directives.submit(officer, lead, {"note": "Đã xong"})
        attachments.save_upload(FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "van-ban.pdf", "file",
                                            "application/pdf"), directive, leader)
        meeting = meetings.create_meeting(leader, {
            "title": f"Họp {n}", "starts_at": utcnow().isoformat(), "participant_ids": [officer.id, colleague.id],
            "secretary_id": officer.id, "agenda": [{"title": "Mục 1"}]})
        meetings.start_meeting(leader, meeting)
        minutes.save_minutes(leader, meeting, {"body": "Biên bản", "base_version": 0})
        votes.open_vote(leader, meeting, {"question": "Đồng ý?"})
        conclusions.add_conclusion(leader, meeting, {"text": "Kết luận"})
        speakers.raise_hand(officer, meeting)
    principals = {"admin": admin, "leader": leader, "officer": officer}
    return {name: {"id": u.id, "role": u.role, "agency_id": u.agency_id, "token": factory.token(u)}
            for name, u in principals.items()}


def _restore_access(app):
    """Undo what a fuzzed call did to the fuzzing users: active, same role and agency, a valid token."""
    from auth import services
    from auth.models import User

    with app.app_context():
        for principal in app.fuzz_principals.values():
            user = db.session.get(User, principal["id"])
            user.active, user.role, user.agency_id = True, principal["role"], principal["agency_id"]
            db.session.commit()
            if services.user_for_token(principal["token"]) is None:  # revoked, or the password changed
                principal["token"] = services.issue_token(user, "fuzz")[1]


def _point_at_seeded_rows(case, draw):
    """Most positive cases use ids that exist and times ahead, else nearly every call would be a
    404 or a 422 and the services behind them would go untested."""
    for name, value in list((case.path_parameters or {}).items()):
        if isinstance(value, int) and draw(st.integers(0, 3)) < 3:  # Hypothesis leans to 0: mostly replaced
            case.path_parameters[name] = draw(st.integers(1, SEEDED_ROWS))
    if isinstance(case.body, dict):
        if case.operation.path == "/auth/token" and not draw(st.booleans()):
            case.body.update(username="fuzz-officer", password=PASSWORD)
        for name, value in list(case.body.items()):
            if name.endswith("_id") and isinstance(value, int) and not draw(st.booleans()):
                case.body[name] = draw(st.integers(1, SEEDED_ROWS))
            elif name.endswith("_ids") and isinstance(value, list) and not draw(st.booleans()):
                case.body[name] = draw(st.lists(st.integers(1, SEEDED_ROWS), max_size=3))
            elif name == "choice" and not draw(st.booleans()):  # a vote's options: 0, 1, 2 by default
                case.body[name] = draw(st.integers(0, 2))
            elif name in ("deadline", "starts_at") and not draw(st.booleans()):
                case.body[name] = (utcnow() + timedelta(days=draw(st.integers(30, 60)))).isoformat()


def _order(key):
    method, path = key
    return path.endswith(CLOSING) or method == "DELETE", path, method


def _fuzz(app):
    schemas = {text: schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                                    config=schemathesis.Config.from_dict({"generation": generation}))
               for text, generation in CONFIGS.items()}
    operations = {text: {(op.method.upper(), op.path): op for op in (r.ok() for r in schema.get_all_operations())}
                  for text, schema in schemas.items()}
    document = app.test_client().get("/api/v1/openapi.json").get_data()
    failures, examples, successes = {}, Counter(), Counter()
    for key in sorted(operations["any"], key=_order):
        for role, mode, text, count in PLAN:
            def check(case, role=role, mode=mode, key=key):
                _check(app, case, key, role, mode, examples, successes, failures)

            cases = GENERATED.get((document, key, role, mode))
            if cases is None:
                GENERATED[(document, key, role, mode)] = _generate(operations[text][key], key, role, mode, count, check)
            else:  # the other database: the very cases the seed gave there, without generating them again
                for case in cases:
                    check(case)
        _restore_access(app)
    return list(operations["any"]), examples, successes, failures


def _check(app, case, key, role, mode, examples, successes, failures):
    """Call one case as ``role`` and check the answer; failures are collected, not raised (no shrinking)."""
    headers = {"Authorization": f"Bearer {app.fuzz_principals[role]['token']}"}
    response = case.call(headers=headers, app=app)
    examples[key] += 1
    if response.status_code < 300:
        successes[key] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (AssertionError, FailureGroup) as exc:  # collected, reported together
        failures.setdefault(key, f"as {role} ({mode.value}): {exc}")
    if key in ACCESS_CHANGING:
        _restore_access(app)


def _generate(operation, key, role, mode, count, check):
    """``count`` examples of one operation as ``role``, each checked as it is drawn; returns them in order."""
    cases = []

    # a fixed seed per operation and role: reproducible, yet each role gets its own examples
    @seed(zlib.crc32(f"{key} {role} {mode.value}".encode()))
    @settings(max_examples=count, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        if mode is GenerationMode.POSITIVE:
            _point_at_seeded_rows(case, data.draw)
        cases.append(case)
        check(case)

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, key  # nothing in the operation can be made invalid
    return cases


def test_fuzzing_every_operation_finds_no_server_error_and_no_undocumented_answer(fuzz_app):
    operations, examples, successes, failures = _fuzz(fuzz_app)
    print(f"\n{len(operations)} operations fuzzed, {sum(examples.values())} examples, "
          f"{sum(successes.values())} answered 2xx; never 2xx: "
          f"{sorted(f'{m} {p}' for m, p in examples if not successes[(m, p)])}")
    documented = {(method.upper(), path) for path, ops in fuzz_app.test_client().get("/api/v1/openapi.json")
                  .get_json()["paths"].items() for method in ops}
    # every operation was called (schemathesis leaves out the one that serves the document)
    assert set(examples) == documented - {("GET", "/openapi.json")}
    report = "\n\n".join(f"{method} {path}\n{text}" for (method, path), text in sorted(failures.items()))
    assert not failures, f"{len(failures)} operations failed:\n\n{report}"
