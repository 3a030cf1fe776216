from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(target, default="core.home"):
    """A same-site path to go back to, never another site (open-redirect safe).

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil" or
    "/\\t/evil" would leave the site: such targets are refused outright.
    """
    if target and isinstance(target, str) and "\\" not in target and target.isprintable():
        parts = urlsplit(target)
        if _same_site(parts):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for(default)


def _same_site(parts):
    return ((not parts.netloc or parts.netloc == request.host) and parts.scheme in ("", "http", "https")
            and parts.path.startswith("/") and not parts.path.startswith("//"))
