"""The OpenAPI document describes every /api/v1 route, and is served."""
import re


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method.lower(), path


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    missing = [(m, p) for m, p in _api_routes(app) if m not in doc["paths"].get(p, {})]
    assert missing == []


def test_documented_paths_exist(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    routes = set(_api_routes(app))
    stale = [(m, p) for p, ops in doc["paths"].items() for m in ops if (m, p) not in routes]
    assert stale == []


def test_api_docs_page_lists_the_contract(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/directives/stats" in html and "/api/v1/meetings/{meeting_id}/minutes" in html
