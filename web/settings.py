"""Flowgate settings.

Everything is driven by environment variables so the same code runs the embedded default
(no env: SQLite, an in-process queue on fakeredis, in-memory channel layer) and a scaled-out
deployment (DATABASE_URL on PostgreSQL, REDIS_URL for queues, cache and websockets).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from infra import secret_key as _secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FLOWGATE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("DEBUG", False)
# The public base URL used to build callback URLs handed to providers (and allowed hosts).
FLOWGATE_BASE_URL = os.environ.get("FLOWGATE_BASE_URL", "http://127.0.0.1:8000")
# No key in the source: production runs must set SECRET_KEY (they refuse to start without it),
# the embedded default keeps a random one under var/ (infra.secret_key).
try:
    SECRET_KEY = _secret_key.resolve(
        environ=os.environ, var_dir=VAR_DIR, debug=DEBUG, base_url=FLOWGATE_BASE_URL
    )
except _secret_key.MissingSecretKey as _missing:
    raise SystemExit(f"flowgate: {_missing}") from None
# Fernet keys for secrets at rest (channels_app.crypto), comma-separated: the first encrypts,
# all decrypt (rotation: put the new key first, run `manage.py rotate_secrets`). Unset: a key
# derived from SECRET_KEY (never from a key printed in the source).
FLOWGATE_SECRET_KEYS = os.environ.get("FLOWGATE_SECRET_KEYS", "")
# --- HTTP hardening (README "Deploying safely") -------------------------------------------
_base = urlsplit(FLOWGATE_BASE_URL)
# The hosts this site answers for: the base URL's, and loopback for local checks. Any other
# Host header is refused (400) instead of trusted in links and redirects.
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", ",".join([_base.hostname or "", "localhost", "127.0.0.1", "[::1]"])
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if _base.scheme and _base.netloc:
    CSRF_TRUSTED_ORIGINS.append(f"{_base.scheme}://{_base.netloc}")
# Behind a TLS-terminating proxy: believe its X-Forwarded-Proto (only when it sets the header
# itself, otherwise clients could claim HTTPS).
if _env_flag("FLOWGATE_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS: cookies only travel encrypted, and browsers are told to stay on HTTPS
# (SecurityMiddleware sends HSTS on secure requests only).
_https = _base.scheme == "https"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("FLOWGATE_HSTS_SECONDS", str(365 * 24 * 3600))) if _https else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page loads its scripts from /static/ only (no inline scripts, no eval); styles may be
# inline (templates and the editor set style attributes); websockets go back to this origin.
FLOWGATE_CSP = os.environ.get(
    "FLOWGATE_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "ninja",  # the API docs page from its own static files, not a CDN (CSP, and no internet needed)
    "channels_app",
    "aggregators",
    "smsc",
    "flows",
    "campaigns",
    "web",
]

MIDDLEWARE = [
    "web.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the UI's CSS/JS from the app folders in every mode: `serve` runs no other server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "web.permissions.RoleMiddleware",  # roles: who may change what (web/permissions.py)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "web.urls"
ASGI_APPLICATION = "web.asgi.application"
WSGI_APPLICATION = "web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.workspace",
            ]
        },
    }
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'flowgate.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"].endswith("postgresql"):
    # psycopg 3's pool instead of CONN_MAX_AGE: persistent connections under ASGI leak one
    # connection per thread, a pool bounds them.
    if _env_flag("FLOWGATE_DB_POOL", True):
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("FLOWGATE_DB_POOL_SIZE", "20")),
            "timeout": 10,
        }
    _db["CONN_MAX_AGE"] = 0
elif _db["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web thread and the in-process worker write side by side.
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A deferred transaction that reads and then writes fails at once with "database is
            # locked" if another thread wrote in between (the busy timeout does not apply):
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait instead.
            "transaction_mode": "IMMEDIATE",
        }
    )
    # A file, not memory, for the test database: tests run real worker processes against it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: queues, cache, channel layer --------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# django-rq: the queues are named here; the connection (real Redis or an in-process fakeredis
# server) is chosen by channels_app.queue so both modes share one code path.
RQ_QUEUES = {name: {"URL": REDIS_URL or "redis://fake"} for name in ("default", "send", "handle")}
RQ = {"COMMIT_MODE": "on_db_commit"}

# --- auth / ui ----------------------------------------------------------------------------
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root; files come from the apps
WHITENOISE_USE_FINDERS = True

# --- limits and behaviour -----------------------------------------------------------------
# Bodies above this are answered 413 before they are read.
FLOWGATE_MAX_BODY_BYTES = int(os.environ.get("FLOWGATE_MAX_BODY_BYTES", str(256 * 1024)))
# Imports (RapidPro exports) may be larger; only these paths get the bigger limit.
FLOWGATE_MAX_IMPORT_BYTES = int(os.environ.get("FLOWGATE_MAX_IMPORT_BYTES", str(20 * 1024 * 1024)))
FLOWGATE_LARGE_BODY_PATHS = ("/api/v1/flows/import",)
DATA_UPLOAD_MAX_MEMORY_SIZE = FLOWGATE_MAX_IMPORT_BYTES
# Channels may call loopback/private addresses only when the deployment says so.
FLOWGATE_ALLOW_PRIVATE_URLS = _env_flag("FLOWGATE_ALLOW_PRIVATE_URLS", not REDIS_URL)
# The documentation site built by `make docs`, served at /docs/ (web/views/docs.py).
FLOWGATE_DOCS_DIR = os.environ.get("FLOWGATE_DOCS_DIR") or str(BASE_DIR / "site")
# Receive webhooks take the lean ASGI path (channels_app.fastpath) on PostgreSQL.
FLOWGATE_FAST_INGEST = _env_flag("FLOWGATE_FAST_INGEST", True)
# API requests per token (or per logged-in user); over it: 429 with Retry-After.
FLOWGATE_API_RATE = os.environ.get("FLOWGATE_API_RATE", "6000/m")
# Inbound messages with the same channel, URN and text within this window are stored once.
FLOWGATE_INBOUND_DEDUPE_SECONDS = int(os.environ.get("FLOWGATE_INBOUND_DEDUPE_SECONDS", "5"))
# How many messages one send/handle job claims.
FLOWGATE_BATCH_SIZE = int(os.environ.get("FLOWGATE_BATCH_SIZE", "200"))
# Send attempts in all (first try included) before a retryable failure becomes final.
FLOWGATE_SEND_MAX_ATTEMPTS = int(os.environ.get("FLOWGATE_SEND_MAX_ATTEMPTS", "4"))
FLOWGATE_SEND_BACKOFF_SECONDS = float(os.environ.get("FLOWGATE_SEND_BACKOFF_SECONDS", "5"))
FLOWGATE_SEND_TIMEOUT_SECONDS = float(os.environ.get("FLOWGATE_SEND_TIMEOUT_SECONDS", "10"))
# What carries provider requests under httpx: "aiohttp" (its C parser and pool; the default) or
# "httpcore" (httpx's own transport, about half a millisecond more worker CPU per request).
FLOWGATE_SEND_HTTP = os.environ.get("FLOWGATE_SEND_HTTP", "aiohttp")
if FLOWGATE_SEND_HTTP not in ("aiohttp", "httpcore"):
    raise SystemExit(f"flowgate: FLOWGATE_SEND_HTTP must be aiohttp or httpcore, not {FLOWGATE_SEND_HTTP!r}")
# A message left "wired" longer than this by a worker that died is flagged (never resent).
FLOWGATE_WIRED_STALE_SECONDS = int(os.environ.get("FLOWGATE_WIRED_STALE_SECONDS", "300"))
# Inbound messages arriving while the database is down are spooled here (channels_app.spool);
# above this size new ones get 503 + Retry-After instead.
FLOWGATE_SPOOL_DIR = os.environ.get("FLOWGATE_SPOOL_DIR") or str(VAR_DIR / "spool")
FLOWGATE_SPOOL_MAX_BYTES = int(os.environ.get("FLOWGATE_SPOOL_MAX_BYTES", str(256 * 1024 * 1024)))
# How long a killed sender can hold its channel's send lock (renewed every few seconds while it
# sends), so a channel whose worker was killed resumes within seconds, not minutes.
FLOWGATE_SEND_LOCK_SECONDS = int(os.environ.get("FLOWGATE_SEND_LOCK_SECONDS", "15"))
# A sender's claim on the messages it has not started yet (renewed while it works): when the
# worker dies they are claimable again after this long and go out then.
FLOWGATE_SEND_LEASE_SECONDS = int(os.environ.get("FLOWGATE_SEND_LEASE_SECONDS", "30"))
# Seconds between scheduler ticks (sweeper and periodic jobs).
FLOWGATE_SWEEP_INTERVAL_SECONDS = float(os.environ.get("FLOWGATE_SWEEP_INTERVAL_SECONDS", "15"))
# The demo's built-in echo aggregator (/demo/aggregator/send): the embedded default only.
FLOWGATE_DEMO = _env_flag("FLOWGATE_DEMO", not REDIS_URL)
# Whether the in-process worker runs inside `serve` (embedded default) or apart (REDIS_URL).
FLOWGATE_INPROCESS_WORKER = _env_flag("FLOWGATE_INPROCESS_WORKER", not REDIS_URL)

# Called with each inbound message once its contact is known (the flow engine plugs in here).
FLOWGATE_INBOUND_HANDLERS: list[str] = ["flows.services.inbound.handle_inbound"]
# Called as handler(contact=, event=, channel=) for opt-outs and call events (flow triggers).
FLOWGATE_CONTACT_EVENT_HANDLERS: list[str] = ["flows.services.inbound.on_contact_event"]
# Dotted paths of functions the scheduler calls every tick (about 15 s) besides the sweeper.
FLOWGATE_PERIODIC_JOBS: list[str] = ["flows.jobs.fire_waits"]
FLOWGATE_PERIODIC_JOBS.append("aggregators.xc.jobs.poll_statuses")
# Channel type folders (each with a type.py) loaded into the registry.
FLOWGATE_CHANNEL_TYPES = ["aggregators.external"]
FLOWGATE_CHANNEL_TYPES += ["aggregators.handler", "channels_app.types.dev"]
# Event webhooks: attempts in all, first backoff (doubles each time, capped at an hour), timeout.
FLOWGATE_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("FLOWGATE_WEBHOOK_MAX_ATTEMPTS", "8"))
FLOWGATE_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("FLOWGATE_WEBHOOK_BACKOFF_SECONDS", "10"))
FLOWGATE_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("FLOWGATE_WEBHOOK_TIMEOUT_SECONDS", "10"))
FLOWGATE_PERIODIC_JOBS += [
    "channels_app.services.webhooks.deliver_due_job",
    "channels_app.types.dev.jobs.deliver_due",
]
# Dashboard daily counts (last two days) and group member counts (issue 27).
FLOWGATE_PERIODIC_JOBS += [
    "channels_app.services.stats.refresh_daily_counts",
    "channels_app.services.groups.squash_group_counts",
]
# Campaign event fires that are due (issue 17).
FLOWGATE_PERIODIC_JOBS.append("campaigns.jobs.fire_campaigns")
# Paced broadcasts and flow starts: wake the release loop when rows fall due (issue 20).
FLOWGATE_PERIODIC_JOBS.append("flows.jobs.pace_tick")
FLOWGATE_CHANNEL_TYPES.append("aggregators.xc")
FLOWGATE_CHANNEL_TYPES.append("smsc")
FLOWGATE_CHANNEL_TYPES += ["smsc.ucp", "smsc.cimd"]  # UCP/EMI and CIMD2 links

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "infra.masking.MaskSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "rq.worker": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
