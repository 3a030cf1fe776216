"""Configuration from the environment. Every setting is documented in README.md."""
import ipaddress
import os
import secrets
import string
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
#: the UI languages, the default (BABEL_DEFAULT_LOCALE) first: the LANGUAGES setting
LANGUAGES = ("vi", "en")
#: seconds to open a PostgreSQL connection
PG_CONNECT_TIMEOUT = 5


def _optional(name):
    """An environment variable, None when unset or empty."""
    return os.environ.get(name) or None


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(name):
    """A comma-separated environment variable as a list, [] when unset."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class ConfigError(RuntimeError):
    """Raised when the environment cannot make a safe configuration."""


def load_config(overrides=None):
    """Build the Flask config dict from environment variables (and test overrides)."""
    overrides = dict(overrides or {})
    env = overrides.get("APP_ENV") or os.environ.get("APP_ENV", "development")
    if env not in ("development", "production"):
        raise ConfigError(f"APP_ENV must be 'development' or 'production', not {env!r}")
    production = env == "production"
    instance = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))
    secret = _secret(overrides, production, instance)
    cfg = {
        "APP_ENV": env,
        "SECRET_KEY": secret,
        "DEBUG": False,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": _optional("DATABASE_URL") or f"sqlite:///{instance / 'app.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": _optional("REDIS_URL"),
        # The Redis pub/sub channel; deployments (or test runs) sharing one Redis need their own.
        "SOCKETIO_CHANNEL": os.environ.get("SOCKETIO_CHANNEL", "flask-socketio"),
        "ASYNC_MODE": os.environ.get("ASYNC_MODE", "gevent"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
        # Vietnamese first; English on request.
        "BABEL_DEFAULT_LOCALE": "vi",
        "LANGUAGES": list(LANGUAGES),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DISPLAY_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        # failed sign-ins, form and API together: per address and username, and per address
        "LOGIN_RATE_LIMIT": _rate(os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"), "LOGIN_RATE_LIMIT"),
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _rate(os.environ.get("LOGIN_RATE_LIMIT_PER_ADDRESS", "30 per 5 minutes"),
                                              "LOGIN_RATE_LIMIT_PER_ADDRESS"),
        # "keep me signed in": the cookie and its browser login last this long
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(os.environ.get("REMEMBER_DAYS", "30"))),
        "RATELIMIT_STORAGE_URI": _optional("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # scrypt in production; tests and benchmarks may choose a cheaper method.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "API_TOKEN_DAYS": int(os.environ.get("API_TOKEN_DAYS", "30")),
        "MAIL_SERVER": _optional("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": _optional("MAIL_USERNAME"),
        "MAIL_PASSWORD": _optional("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "no-reply@localhost"),
        # whom a user with a disabled account is told to ask, e.g. "Phòng CNTT, 0203 3812 345"
        "SUPPORT_CONTACT": _optional("SUPPORT_CONTACT"),
        # the e-mailed "forgot password" link works this long
        "PASSWORD_RESET_MINUTES": int(os.environ.get("PASSWORD_RESET_MINUTES", "30")),
        # "forgot password" requests per address, and per name or e-mail typed; then 429
        "PASSWORD_RESET_RATE_LIMIT": _rate(os.environ.get("PASSWORD_RESET_RATE_LIMIT", "10 per hour"),
                                           "PASSWORD_RESET_RATE_LIMIT"),
        "DUE_SOON_DAYS": int(os.environ.get("DUE_SOON_DAYS", "3")),
        "DIRECTIVE_NUMBER_SUFFIX": os.environ.get("DIRECTIVE_NUMBER_SUFFIX", "UBND-TH"),
        "CHAT_MAX_LENGTH": int(os.environ.get("CHAT_MAX_LENGTH", "4000")),
        # messages per seconds one user may send in one meeting, "COUNT/SECONDS"
        "CHAT_RATE_LIMIT": _pair(os.environ.get("CHAT_RATE_LIMIT", "10/10"), "CHAT_RATE_LIMIT"),
        # the largest Socket.IO event payload the handlers take (characters); a larger one gets
        # an error ack. The transport accepts up to MAX_CONTENT_LENGTH, so the socket stays up.
        "SOCKET_MAX_PAYLOAD": int(os.environ.get("SOCKET_MAX_PAYLOAD", str(64 * 1024))),
        # permessage-deflate on websockets: off, as in Node's socket.io. On, every copy of a broadcast is
        # compressed once per recipient (a fifth of the server's CPU at 200 attendees, bench/README.md)
        "SOCKET_COMPRESSION": _bool("SOCKET_COMPRESSION", False),
        # the call: STUN/TURN URLs (comma-separated) for the browsers; with a secret, TURN gets
        # coturn REST-API credentials that expire after MEDIA_TURN_TTL seconds
        "MEDIA_TURN_URLS": _list("MEDIA_TURN_URLS"),
        "MEDIA_TURN_SECRET": _optional("MEDIA_TURN_SECRET"),
        "MEDIA_TURN_TTL": int(os.environ.get("MEDIA_TURN_TTL", "43200")),
        "MEDIA_VIDEO_LIMIT": int(os.environ.get("MEDIA_VIDEO_LIMIT", "6")),
        # the call through Janus (unset: peer-to-peer mesh): the WebSocket URLs browsers use, comma-separated
        # for several servers; the app reaches the same servers at MEDIA_SFU_API_URL (same order), if set
        "MEDIA_SFU_URL": _list("MEDIA_SFU_URL"),
        "MEDIA_SFU_API_URL": _list("MEDIA_SFU_API_URL"),
        "MEDIA_SFU_TOKEN_SECRET": _optional("MEDIA_SFU_TOKEN_SECRET"),
        "MEDIA_SFU_ADMIN_KEY": _optional("MEDIA_SFU_ADMIN_KEY"),
        "MEDIA_SFU_TOKEN_TTL": int(os.environ.get("MEDIA_SFU_TOKEN_TTL", "14400")),
        "MEDIA_SFU_PUBLISHERS": int(os.environ.get("MEDIA_SFU_PUBLISHERS", "36")),
        "MEDIA_SFU_TIMEOUT": float(os.environ.get("MEDIA_SFU_TIMEOUT", "5")),
        # where Janus writes recordings (.mjr) and the app converts them; unset: recording is off
        "MEDIA_SFU_RECORD_DIR": _optional("MEDIA_SFU_RECORD_DIR"),
        # meeting reminders: minutes before the start, comma-separated (a day and a quarter of an hour)
        "MEETING_REMINDERS": _minutes(os.environ.get("MEETING_REMINDERS", "1440,15"), "MEETING_REMINDERS"),
        "SCHEDULER_ENABLED": _bool("SCHEDULER_ENABLED", True),
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-*; 0: none.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        # where python wsgi.py listens (read here too: a loopback address means a proxy in front)
        "HOST": os.environ.get("HOST", "127.0.0.1"),
        # /metrics for Prometheus from elsewhere than loopback: "Authorization: Bearer <token>"
        "METRICS_TOKEN": _optional("METRICS_TOKEN"),
        # after SIGTERM, the longest wait (seconds) for the HTTP requests in flight before the process exits
        "SHUTDOWN_GRACE": float(os.environ.get("SHUTDOWN_GRACE", "5")),
        "MEETING_DOCUMENT_MAX_MB": float(os.environ.get("MEETING_DOCUMENT_MAX_MB", "20")),
        "SOFFICE_PATH": _optional("SOFFICE_PATH"),
        "DOCUMENT_PDF_TIMEOUT": float(os.environ.get("DOCUMENT_PDF_TIMEOUT", "60")),
    }
    cfg.update(overrides)
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # an unreachable server fails in seconds instead of hanging a request (or /healthz) on TCP's timeout
        options = dict(cfg["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT, **options.get("connect_args", {})}
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if cfg["MEDIA_SFU_URL"] and not (cfg["MEDIA_SFU_TOKEN_SECRET"] and cfg["MEDIA_SFU_ADMIN_KEY"]):
        raise ConfigError("MEDIA_SFU_URL needs MEDIA_SFU_TOKEN_SECRET and MEDIA_SFU_ADMIN_KEY (deploy/README.md)")
    if production:
        check_production(cfg)
    return cfg


# -- production checks ------------------------------------------------------------------

#: words that mark a SECRET_KEY copied from an example rather than generated
PLACEHOLDER_WORDS = ("change", "replace", "example", "placeholder", "your", "todo", "secret", "password")
HEX_DIGITS = frozenset(string.hexdigits)
BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "+/-_")
GENERATE_KEY = "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"


def check_production(cfg):
    """Refuse to start in production on settings that are unsafe or cannot work; each error names its fix."""
    _check_secret_key(cfg["SECRET_KEY"])
    if not str(cfg["PUBLIC_URL"]).lower().startswith("https://"):
        raise ConfigError(f"PUBLIC_URL must start with https:// in production (links in e-mails), "
                          f"not {cfg['PUBLIC_URL']!r}")
    if _loopback(cfg["HOST"]) and cfg["TRUSTED_PROXIES"] < 1:
        raise ConfigError(f"HOST={cfg['HOST']} is a loopback address, so a reverse proxy (nginx) stands in front: "
                          "set TRUSTED_PROXIES=1 (one nginx), or the client address and scheme are the proxy's")
    _check_writable(Path(cfg["INSTANCE_PATH"]))


def _check_secret_key(secret):
    # 32 random bytes at least: written as hex that is 64 digits, as base64 43 characters (token_hex(16) is 32
    # hex characters but only 16 random bytes)
    if set(secret) <= HEX_DIGITS:
        needed, written = 64, "hex digits"
    elif set(secret.rstrip("=")) <= BASE64_CHARS:
        needed, written = 43, "base64 characters"
    else:
        needed, written = 32, "bytes"
    if len(secret.rstrip("=").encode()) < needed:
        raise ConfigError(f"SECRET_KEY must hold at least 32 random bytes in production ({needed} {written},"
                          f" this one has {len(secret.rstrip('=').encode())}); {GENERATE_KEY}")
    lowered = secret.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS) or len(set(secret)) < 10:
        raise ConfigError(f"SECRET_KEY looks like a placeholder, not a random key; {GENERATE_KEY}")


def _loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: the instance's folders the app writes into (core.uploads.instance_folder and meetings/recordings.py)
WRITTEN_FOLDERS = ("uploads", "meeting-documents", "recordings")


def _check_writable(instance):
    """The instance folder and the folders uploads go to must take new files.

    Created by root (e.g. an init-db run as root) they would not, and every upload would fail.
    """
    folder = instance
    try:
        instance.mkdir(parents=True, exist_ok=True)
        for folder in [instance, *(instance / name for name in WRITTEN_FOLDERS if (instance / name).is_dir())]:
            probe = folder / f".write-check-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
    except OSError as exc:
        raise ConfigError(f"INSTANCE_PATH: {folder} is not writable by this process ({exc.strerror}); uploads "
                          f"live there: chown -R <service user>: {instance}") from None


def _secret(overrides, production, instance):
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if secret:
        return secret
    if production:
        raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
    return _dev_secret(instance)


def _pair(text, name):
    try:
        count, seconds = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"{name} must look like COUNT/SECONDS, e.g. 10/10, not {text!r}") from None
    return count, seconds


def _minutes(text, name):
    """Minutes separated by commas, e.g. 1440,15, as [1440, 15]: largest first; empty: none."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ConfigError(f"{name} must be whole minutes separated by commas, e.g. 1440,15") from None
    if any(v < 1 or v > 60 * 24 * 60 for v in values):
        raise ConfigError(f"{name}: each value is 1..86400 minutes")
    return values


def _rate(text, name):
    """A Flask-Limiter rate such as "10 per 5 minutes", checked at start rather than at the first login."""
    from limits import parse

    try:
        parse(text)
    except ValueError:
        raise ConfigError(f"{name} must look like '10 per 5 minutes', not {text!r}") from None
    return text


def _dev_secret(instance):
    """A development secret kept in instance/ so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
