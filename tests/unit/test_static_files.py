"""Static URLs carry a version of the file (?v=): an upgrade busts browser caches (issue 18).

A versioned request is cached for a year, any other revalidates; every static URL the pages and the
API hand out resolves, and so does every file a static file loads by a relative path.
"""
import io
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import url_for

from core.static_files import LONG, SHORT
from tests.conftest import ROOT, bearer, login
from tests.pdf_support import make_pdf
from tests.sweep_support import seed

STATIC_URL = re.compile(r"""/static/[^"'\s<>)\\]+""")
#: not pages: downloads, fragments a script fetches, actions
NOT_PAGES = re.compile(r"\.(xlsx|docx|pdf|ics|csv|json)$|/file$|^/attachments/|^/lang/|/open$|^/healthz")


def test_a_page_links_static_files_with_their_version(client):
    html = client.get("/login").get_data(as_text=True)
    urls = STATIC_URL.findall(html)
    assert "/static/css/app.css?v=" in html and "/static/js/app.js?v=" in html
    assert urls and all(re.search(r"\?v=[0-9a-f]{10}$", u) for u in urls), urls


def test_the_version_follows_the_content_and_only_the_current_one_is_cached_long(app, client, tmp_path):
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    script = folder / "js" / "x.js"
    script.write_text("console.log(1);")
    app.static_folder = str(folder)
    with app.test_request_context():
        first = url_for("static", filename="js/x.js")
        assert url_for("static", filename="js/x.js") == first  # stable while the file is unchanged
        assert url_for("static", filename="js/") == "/static/js/"  # a folder (a prefix a script appends to)
        assert url_for("static", filename="js/missing.js") == "/static/js/missing.js"
    res = client.get(first)
    assert res.status_code == 200 and res.headers["Cache-Control"] == LONG and "Expires" not in res.headers

    script.write_text("console.log(2); // the upgrade")
    with app.test_request_context():
        second = url_for("static", filename="js/x.js")
    assert second != first and second.startswith("/static/js/x.js?v=")
    assert client.get(second).headers["Cache-Control"] == LONG
    # the old page's URL now gets the new content: it must not be kept a year under the old version
    stale = client.get(first)
    assert stale.status_code == 200 and stale.get_data(as_text=True).endswith("the upgrade")
    assert stale.headers["Cache-Control"] == SHORT


def test_an_unversioned_request_must_revalidate(client):
    res = client.get("/static/css/app.css")
    assert res.status_code == 200 and res.headers["Cache-Control"] == SHORT
    etag = res.headers["ETag"]
    again = client.get("/static/css/app.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["Cache-Control"] == SHORT


def test_every_static_url_of_every_page_resolves_and_is_cached_long(app, client, factory):
    people, ids, _values = seed(factory)
    res = client.post(f"/api/v1/meetings/{ids['meeting_id']}/documents", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(make_pdf(1)), "bao-cao.pdf")},
                      headers=bearer(factory.token(people["leader"])))
    assert res.status_code == 201, res.get_json()
    ids["document_id"] = res.get_json()["id"]
    pages, found = set(), {}
    for who in ("admin", "leader", "officer"):
        browser = app.test_client()
        login(browser, people[who])
        for path in _pages(app, ids):
            res = browser.get(path)
            if res.status_code == 200 and res.mimetype in ("text/html", "application/json"):
                pages.add(path)
                for url in STATIC_URL.findall(res.get_data(as_text=True)):
                    found.setdefault(url, path)
    # the layout, the room, the dashboard's chart, the PDF viewer's worker: the main pages were reached
    assert {"/", "/directives/dashboard", f"/meetings/{ids['meeting_id']}/room",
            f"/meetings/documents/{ids['document_id']}"} <= pages, sorted(pages)
    assert any("pdf.worker" in u for u in found) and any("chart.umd" in u for u in found)
    for url, page in sorted(found.items()):
        if url.endswith("/"):  # the PDF fonts' folder: pdf.js appends file names to it
            assert client.get(url + "FoxitSerif.pfb").status_code == 200
            continue
        assert "?v=" in url, f"{url} on {page} has no version"
        res = client.get(url)
        assert res.status_code == 200, f"{url} on {page}: {res.status_code}"
        assert res.headers["Cache-Control"] == LONG, url
    assert len(found) >= 30, len(found)


def _pages(app, ids):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api"):
            continue
        if any(arg not in ids for arg in rule.arguments):
            continue
        path = rule.build({arg: ids[arg] for arg in rule.arguments}, append_unknown=False)[1]
        if not NOT_PAGES.search(path):
            yield path


def _css_urls(text):
    """What a stylesheet loads: each url(); of a font's src list, the first (browsers stop at one they take)."""
    out = []
    for decl in re.findall(r"src:([^;}]+)", text):
        first = re.search(r"""url\(["']?([^"')]+)""", decl)
        out.append(first.group(1))
    without_src = re.sub(r"src:[^;}]+", "", text)
    out += re.findall(r"""url\(["']?([^"')]+)""", without_src)
    return [u for u in out if not u.startswith("data:")]


def _module_imports(text):
    static_import = r"""(?:^|\s)import\s*(?:[^"'();]*?\sfrom\s*)?["']([^"']+)["']"""
    return re.findall(static_import + r"""|import\(\s*["']([^"']+)["']""", text, re.M)


def test_files_loaded_by_relative_path_from_static_files_resolve(client):
    """A CSS url() or a module import from a versioned file keeps its path (the query string is not part of it)."""
    static = Path(ROOT) / "static"
    checked = 0
    for path in sorted([*static.rglob("*.css"), *static.glob("js/**/*.js")]):
        rel = path.relative_to(static).as_posix()
        base = f"/static/{rel}?v=0123456789"
        text = path.read_text(encoding="utf-8")
        refs = _css_urls(text) if path.suffix == ".css" else [a or b for a, b in _module_imports(text)]
        for ref in refs:
            url = urljoin(base, ref)
            assert urlsplit(url).path.startswith("/static/"), (rel, ref)
            assert client.get(url).status_code == 200, f"{rel} loads {ref}: not found"
            checked += 1
    assert checked >= 30, checked


def test_an_installed_release_serves_its_static_files_under_its_id(tmp_path, monkeypatch):
    """deploy/upgrade.sh writes the release's id in RELEASE: static URLs then carry it in the path, so during a
    rolling upgrade nginx gives each page its own release's files (deploy/nginx-chidao.conf)."""
    from core import create_app, static_files
    from tests.conftest import make_test_config

    assert static_files.url_path(tmp_path) == "/static"  # a checkout: no RELEASE
    (tmp_path / "RELEASE").write_text("../etc\ndir /x\n")
    assert static_files.url_path(tmp_path) == "/static"  # not an id: ignored
    (tmp_path / "RELEASE").write_text("20261130-101010\nref release-2026-12-01 abc123\n")
    assert static_files.release_id(tmp_path) == "20261130-101010"
    monkeypatch.setattr(static_files, "BASE_DIR", tmp_path)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path))
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'/static/r/20261130-101010/css/app\.css\?v=[0-9a-f]{10}', html)
    assert css, html[:2000]
    res = client.get(css.group(0))
    assert res.status_code == 200 and res.headers["Cache-Control"] == LONG
    assert client.get("/static/css/app.css").status_code == 404  # one path per process: its release's
