"""Security headers on every response; the CSP allows no inline script."""

DIRECTIVES = (
        "default-src 'self'",
        "script-src 'self'",
        # Bootstrap components and progress bars set style attributes.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
)


def content_security_policy(media_servers=()):
    """The policy; the browsers may also connect to the Janus servers of the call (MEDIA_SFU_URL)."""
    directives = [d + "".join(f" {url}" for url in media_servers) if d.startswith("connect-src") else d
                  for d in DIRECTIVES]
    return "; ".join(directives)


CSP = content_security_policy()


def init_app(app):
    production = app.config["APP_ENV"] == "production"
    csp = content_security_policy(app.config.get("MEDIA_SFU_URL") or ())

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
