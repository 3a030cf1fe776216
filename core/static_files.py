"""Static file URLs carry a version of the file's content (?v=), so an upgrade busts browser caches.

Every ``url_for('static', filename=...)`` of a file gets ``v=<first 10 hex of its sha256>``. A request
whose ``v`` matches the file as it is on disk now is cached for a year; any other (unversioned, or a
stale ``v``) must revalidate. Files a versioned file loads by a relative path (a CSS ``url()``, an ES
module's ``import``) carry no ``v``: they revalidate each time (a cheap 304), so they never lag.

An installed release (deploy/upgrade.sh writes its id in the code folder's RELEASE file) also puts its id
in the path: ``/static/r/<release>/...``. During a rolling upgrade the processes not yet restarted still
render the previous release's pages; nginx serves each page the static files of its own release (old and
new side by side in /srv/chidao/releases), so a page never mixes old and new scripts, and a URL under
one release never changes content.
"""
import hashlib
import os
import re
import stat
from pathlib import Path

from flask import request
from werkzeug.security import safe_join

#: the code folder (core/..), where deploy/upgrade.sh writes RELEASE
BASE_DIR = Path(__file__).resolve().parent.parent
RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

LONG = "public, max-age=31536000, immutable"
SHORT = "no-cache"

#: absolute path -> ((mtime_ns, size), version): hashed once, again only when the file changes
_versions = {}


def release_id(base_dir=None):
    """The installed release's id (the first line of RELEASE), None in a checkout (no RELEASE file)."""
    try:
        first = (Path(base_dir or BASE_DIR) / "RELEASE").read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return first if RELEASE_ID.fullmatch(first) else None


def url_path(base_dir=None):
    """Where the static files are served: /static in a checkout, /static/r/<release> in an installed release."""
    release = release_id(base_dir)
    return f"/static/r/{release}" if release else "/static"


def file_version(folder, filename):
    """The file's version, None for a missing file or a folder (a folder's URL is a prefix to append to)."""
    path = safe_join(folder, filename) if folder and filename else None
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    key = (st.st_mtime_ns, st.st_size)
    cached = _versions.get(path)
    if cached and cached[0] == key:
        return cached[1]
    with open(path, "rb") as fh:
        version = hashlib.file_digest(fh, "sha256").hexdigest()[:10]
    _versions[path] = (key, version)
    return version


def init_app(app):
    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            version = file_version(app.static_folder, values.get("filename"))
            if version:
                values["v"] = version

    @app.after_request
    def cache_headers(response):
        if request.endpoint == "static" and response.status_code in (200, 206, 304):
            wanted = request.args.get("v")
            current = wanted and file_version(app.static_folder, (request.view_args or {}).get("filename"))
            response.headers["Cache-Control"] = LONG if wanted and wanted == current else SHORT
            response.headers.pop("Expires", None)
        return response
