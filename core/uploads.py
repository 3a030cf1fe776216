"""Uploaded files kept on disk: the helpers every module's uploads share (directive attachments, meeting
documents). A file is stored under a random name in a folder of the instance; the user's file name lives only
in the database and is given back on download."""
import os
import secrets
from pathlib import Path

from flask import current_app, send_file

CHUNK = 64 * 1024
#: the longest file name kept (the columns hold 255)
MAX_NAME = 200


def instance_folder(name):
    """<instance>/<name>, created when missing."""
    folder = Path(current_app.instance_path) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def random_name(ext):
    return f"{secrets.token_hex(16)}.{ext}"


def clean_name(filename):
    """The user's file name without folders or characters file systems refuse, at most MAX_NAME long."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    if len(name) <= MAX_NAME:
        return name
    # shorten the stem, not the extension: the type check and the download need it
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        return name[:MAX_NAME]
    return stem[:MAX_NAME - len(ext) - 1].rstrip() + "." + ext


def stream_size(stream):
    """The size of an upload's stream, rewound; None when it cannot seek."""
    try:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError):
        return None
    return size


def copy_limited(stream, path, limit, too_large):
    """Copy ``stream`` to ``path`` in chunks and return the size; past ``limit`` bytes raise ``too_large()``."""
    size = 0
    with open(path, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large()
            out.write(chunk)
    return size


def private_file(path, mimetype, download_name, inline=False):
    """The response for a stored file: never cached by shared caches, never sniffed into another type."""
    response = send_file(path, mimetype=mimetype, as_attachment=not inline, download_name=download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
