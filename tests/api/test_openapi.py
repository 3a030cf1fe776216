"""The OpenAPI document describes every /api/v1 route, is valid OpenAPI 3, and is served."""
import re

import pytest
from openapi_spec_validator import validate
from werkzeug.routing.converters import IntegerConverter

from core import openapi

MAX_ID = 2**63 - 1


def _api_routes(app):
    """(method, path, rule) of every /api/v1 route, read from the url_map independently of core.openapi."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method.lower(), path, rule


def _operations(doc):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method, path, op


@pytest.fixture
def doc(client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    return res.get_json()


def test_document_is_valid_openapi_3(doc):
    assert doc["openapi"].startswith("3.")
    validate(doc)  # raises with the first problem


def test_every_api_rule_is_in_the_document_with_its_methods_and_path_parameters(app, doc):
    routes = list(_api_routes(app))
    assert len(routes) > 60
    for method, path, rule in routes:
        op = doc["paths"].get(path, {}).get(method)
        assert op is not None, f"{method.upper()} {path} is not in the document"
        declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == set(rule.arguments), f"{method.upper()} {path}"
        for name, param in declared.items():
            assert param["required"] is True
            if isinstance(rule._converters[name], IntegerConverter):
                assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}, (path, name)
    documented = {(m, p) for m, p, _op in _operations(doc)}
    assert documented == {(m, p) for m, p, _rule in routes}


def test_every_api_route_has_a_hand_written_entry(app):
    """Paths and parameters come from the url_map; what a route does, takes and returns is written by hand."""
    routes = {(m, p) for m, p, _rule in _api_routes(app)}
    written = {(m, p) for p, ops in openapi.PATHS.items() for m in ops}
    assert sorted(routes - written) == []
    assert sorted(written - routes) == []  # an entry for a route that no longer exists


def test_a_new_route_appears_with_its_path_parameters(app):
    """Nothing to write by hand for the route to be in the document with the right parameters."""
    app.add_url_rule("/api/v1/widgets/<int:widget_id>/parts/<name>", "widget_part", lambda widget_id, name: "")
    op = openapi.document(app)["paths"]["/widgets/{widget_id}/parts/{name}"]["get"]
    assert op["parameters"] == [
        {
            "name": "widget_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        },
        {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
    ]
    assert "401" in op["responses"] and "404" in op["responses"]


def test_errors_use_the_error_schema_and_security_is_declared(doc):
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "cookie", "csrf"}
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "a token from POST /auth/token"}
    ids = [op["operationId"] for _m, _p, op in _operations(doc)]
    assert len(ids) == len(set(ids))
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if op.get("security") == []:
            assert (method, path) in {("post", "/auth/token"), ("get", "/openapi.json")}
        else:
            assert "401" in op["responses"], (method, path)
        if "{" in path:
            assert "404" in op["responses"], (method, path)


def test_public_operations_answer_without_authentication(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.post("/api/v1/auth/token", json={}).status_code == 422
    assert client.get("/api/v1/me").status_code == 401


def test_api_docs_page_lists_the_contract(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/directives/stats" in html and "/api/v1/meetings/{meeting_id}/minutes" in html
