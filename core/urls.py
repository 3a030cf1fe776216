from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(target, default="core.home"):
    """A same-site path to go back to, never another site (open-redirect safe)."""
    if target:
        parts = urlsplit(target)
        same_site = not parts.netloc or parts.netloc == request.host
        if same_site and parts.path.startswith("/") and not parts.path.startswith("//") and not parts.scheme in ("javascript",):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for(default)
