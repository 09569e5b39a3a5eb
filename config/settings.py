"""Speak Up settings: one module, configured by environment variables, safe by default.

Production is the default. Development mode (``SPEAKUP_DEV=true``, set by ``scripts/run``
and the test runner) makes its own local secrets in a git-ignored file; outside it, every
secret must be given and start-up stops with the name of any that is missing. Organisation
policy (case types, deadlines, retention) is data in the database, not settings.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import devsecrets
from config.env import env_bool, env_int, env_list, env_master_keys, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DEV = env_bool("SPEAKUP_DEV", False)
# Everything the app writes at run time (SQLite file, evidence, broker folders, dev secrets).
DATA_DIR = Path(env_str("SPEAKUP_DATA_DIR", str(BASE_DIR / ".local"))).resolve()

if DEV:
    devsecrets.load_or_create(DATA_DIR / "dev-secrets.env")

DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG and not DEV:
    raise ImproperlyConfigured("DJANGO_DEBUG may only be turned on with SPEAKUP_DEV=true.")

SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
if not DEV and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be at least 50 characters long in production: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEV else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required in production.")

# --- Case data encryption (see docs/decisions/0002-envelope-encryption.md) -----------------
# Master keys wrap each case's data key. They live in the environment or a key file, never in
# the database; the active one wraps new data keys, the others only unwrap until rotated away.
SPEAKUP_MASTER_KEYS = env_master_keys("SPEAKUP_MASTER_KEYS", "SPEAKUP_MASTER_KEYS_FILE")
if not SPEAKUP_MASTER_KEYS:
    raise ImproperlyConfigured(
        "SPEAKUP_MASTER_KEYS (or SPEAKUP_MASTER_KEYS_FILE) is required: "
        "'id:base64-of-32-random-bytes'. .env.example shows how to make one."
    )
SPEAKUP_ACTIVE_MASTER_KEY = env_str("SPEAKUP_ACTIVE_MASTER_KEY", next(iter(SPEAKUP_MASTER_KEYS)))
if SPEAKUP_ACTIVE_MASTER_KEY not in SPEAKUP_MASTER_KEYS:
    raise ImproperlyConfigured(
        f"SPEAKUP_ACTIVE_MASTER_KEY names {SPEAKUP_ACTIVE_MASTER_KEY!r}, "
        "which is not among SPEAKUP_MASTER_KEYS."
    )

# The case-token pepper: an HMAC key that is neither SECRET_KEY nor stored in the database, so
# a stolen database alone cannot test guesses against stored token digests.
SPEAKUP_TOKEN_PEPPER = env_str("SPEAKUP_TOKEN_PEPPER", required=True).encode()
if len(SPEAKUP_TOKEN_PEPPER) < 32:
    raise ImproperlyConfigured("SPEAKUP_TOKEN_PEPPER must be at least 32 characters long.")
if SECRET_KEY.encode() == SPEAKUP_TOKEN_PEPPER:
    raise ImproperlyConfigured("SPEAKUP_TOKEN_PEPPER must differ from DJANGO_SECRET_KEY.")

# Evidence files are stored encrypted under random names in this folder.
SPEAKUP_EVIDENCE_DIR = Path(env_str("SPEAKUP_EVIDENCE_DIR", str(DATA_DIR / "evidence"))).resolve()

# Bank holidays skipped by working-day clocks: a country and region code of the holidays
# package (GB with ENG, SCT, WLS or NIR).
SPEAKUP_HOLIDAYS_COUNTRY = env_str("SPEAKUP_HOLIDAYS_COUNTRY", "GB")
SPEAKUP_HOLIDAYS_REGION = env_str("SPEAKUP_HOLIDAYS_REGION", "ENG")
SPEAKUP_EVIDENCE_MAX_BYTES = env_int("SPEAKUP_EVIDENCE_MAX_BYTES", 25_000_000, minimum=1)
# Reports hide every number below this (decision 0022): 5 or more, in steps of 5 (the report
# code refuses anything else), so it can only be raised.
SPEAKUP_REPORT_THRESHOLD = env_int("SPEAKUP_REPORT_THRESHOLD", 5, minimum=5)
# How long a purged case's audit events (identifiers only) outlive its content, in days from
# the purge; then the nightly retention job removes them (decision 0021). A setting of the
# deployment, not data an administrator edits: the audit record is what shows what staff did,
# so no account inside the application may shorten it. At least a year (the database's own
# function refuses anything younger); six years by default.
SPEAKUP_AUDIT_RETENTION_DAYS = env_int("SPEAKUP_AUDIT_RETENTION_DAYS", 6 * 365, minimum=365)

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "staff.apps.SpeakUpAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    # Before allauth, so that its pages use the staff layout (staff/templates/allauth/).
    "staff",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "cases",
    "workflows",
    "permissions",
    "notifications",
    "retention",
    "reports",
    "intake",
    "ops",
    "administration",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the address only: /cy/... is Welsh, every other path English.
    # With i18n_patterns(prefix_default_language=False) Django ignores Accept-Language and the
    # language cookie on unprefixed paths, so staff pages stay English, and it sets no cookie
    # (docs/decisions/0025-welsh.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff.middleware.StaffSessionMiddleware",
    "staff.middleware.CaseAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it sees the view's exceptions first: an outage answers 503 "try again shortly".
    "ops.middleware.OutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian anonymous user: reporters have no account and anonymous visitors hold no
# permission of any kind.
ANONYMOUS_USER_NAME = None

# --- Staff sign-in (django-allauth) ---------------------------------------------------------
# Staff accounts are made by administrators; nobody signs up. Every staff role must use TOTP:
# an account without one sets it up inside the sign-in flow (staff.signin.EnrolStage), and a
# session that has not passed the second factor is ended on any page (staff/middleware.py).
# Failed logins are limited to 5 a minute per account from one client and 20 per client, so
# wrong passwords typed elsewhere never lock the owner out (staff/adapters.py); allauth keys
# the client by the address, which our adapter replaces with a keyed hash so no address
# reaches the cache. The Django admin's own login form is closed (staff/admin_site.py).
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staff:home"  # reports for governance leads, cases for others
ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
SOCIALACCOUNT_ADAPTER = "staff.adapters.StaffSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,5/m/key", "login": "30/m/ip"}
ACCOUNT_EMAIL_NOTIFICATIONS = False
# A password reset never signs anyone in, and mails nothing to addresses we do not know.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Changing an e-mail address, recovery codes or single sign-on links asks again for the
# second factor (never the password alone: staff.adapters.StaffAccountAdapter).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# TOTP secrets and recovery-code seeds are sealed at rest under a master key (staff/mfa.py).
MFA_ADAPTER = "staff.mfa.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = env_str("SPEAKUP_ORGANISATION_NAME", "Speak Up")
MFA_TOTP_TOLERANCE = 1
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = False
# An identity at the provider is linked to a staff account only by its owner, signed in with
# both factors, from /accounts/3rdparty/ (audited); never by a matching e-mail address.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False
# Single sign-on with an OpenID Connect identity provider, switched on by configuration only:
# providers stored in the database are ignored (staff.adapters.StaffSocialAccountAdapter).
SPEAKUP_OIDC_SERVER_URL = env_str("SPEAKUP_OIDC_SERVER_URL", "")
SOCIALACCOUNT_PROVIDERS: dict[str, object] = {}
if SPEAKUP_OIDC_SERVER_URL and not DEV and not SPEAKUP_OIDC_SERVER_URL.startswith("https://"):
    # allauth trusts the ID token it fetches from the token endpoint on the strength of TLS
    # (OpenID Connect Core 3.1.3.7), so the provider must be reached over https.
    raise ImproperlyConfigured("SPEAKUP_OIDC_SERVER_URL must be an https:// address.")
if SPEAKUP_OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": env_str("SPEAKUP_OIDC_NAME", "Single sign-on"),
                "client_id": env_str("SPEAKUP_OIDC_CLIENT_ID", required=True),
                "secret": env_str("SPEAKUP_OIDC_CLIENT_SECRET", required=True),
                "settings": {"server_url": SPEAKUP_OIDC_SERVER_URL},
            }
        ],
    }
# Staff sessions end after 30 minutes idle and 12 hours in all (staff/middleware.py).
SPEAKUP_STAFF_IDLE_SECONDS = env_int("SPEAKUP_STAFF_IDLE_SECONDS", 30 * 60, minimum=60)
SPEAKUP_STAFF_ABSOLUTE_SECONDS = env_int("SPEAKUP_STAFF_ABSOLUTE_SECONDS", 12 * 3600, minimum=600)

# --- E-mail (password reset links) ----------------------------------------------------------
# Production sends through the SMTP server in SPEAKUP_SMTP_HOST (required); development writes
# each message to a file under the data folder. Django 6.1's MAILERS setting.
DEFAULT_FROM_EMAIL = env_str("SPEAKUP_EMAIL_FROM", "speak-up@localhost" if DEV else None)
if not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("SPEAKUP_EMAIL_FROM is required in production (an address).")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SPEAKUP_SMTP_HOST = env_str("SPEAKUP_SMTP_HOST", "")
if SPEAKUP_SMTP_HOST:
    _smtp_security = env_str("SPEAKUP_SMTP_SECURITY", "starttls")
    if _smtp_security not in ("starttls", "tls", "none"):
        raise ImproperlyConfigured("SPEAKUP_SMTP_SECURITY must be starttls, tls or none.")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SPEAKUP_SMTP_HOST,
                "port": env_int("SPEAKUP_SMTP_PORT", 465 if _smtp_security == "tls" else 587),
                "username": env_str("SPEAKUP_SMTP_USER", ""),
                "password": env_str("SPEAKUP_SMTP_PASSWORD", ""),
                "use_tls": _smtp_security == "starttls",
                "use_ssl": _smtp_security == "tls",
                "timeout": env_int("SPEAKUP_SMTP_TIMEOUT", 10, minimum=1),
            },
        }
    }
elif DEV:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
else:
    raise ImproperlyConfigured(
        "SPEAKUP_SMTP_HOST is required in production (the SMTP server for password resets)."
    )

# --- Notifications and reminders (notifications/) -------------------------------------------
# The address staff sign in at, for the link in notification e-mails (never a case's id).
SPEAKUP_SITE_URL = env_str("SPEAKUP_SITE_URL", "http://127.0.0.1:8000" if DEV else "").rstrip("/")
# Whether a notification may name the case type ("A whistleblowing case..."); off by default,
# because in a small organisation the type alone can point at a person.
SPEAKUP_NOTIFY_NAMES_CASE_TYPE = env_bool("SPEAKUP_NOTIFY_NAMES_CASE_TYPE", False)
# The local hour from which the day's digests go out.
SPEAKUP_DIGEST_HOUR = env_int("SPEAKUP_DIGEST_HOUR", 7, minimum=0)
# Development and tests only: the day the reminder scan takes as today (YYYY-MM-DD).
SPEAKUP_REMINDER_TODAY = env_str("SPEAKUP_REMINDER_TODAY", "") if DEV else ""

# --- Cache ----------------------------------------------------------------------------------
# Throttles, one-time-code replay checks and the token page's "show again" live here, so
# production shares one Redis cache across processes; development and tests use process
# memory. Every Redis call waits half a second at most and a circuit breaker stops a hung
# Redis from holding requests (ops/cache.py).
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "ops.cache.ResilientRedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
if not CACHE_URL and not DEV:
    raise ImproperlyConfigured("CACHE_URL is required in production (a Redis URL).")

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default so that a newcomer needs no server; DATABASE_URL switches to
# PostgreSQL. WAL lets readers work during a write, IMMEDIATE takes the write lock at BEGIN
# (no upgrade deadlocks) and the timeout waits for a busy writer instead of failing at once.
_env = environ.Env()
DATABASES = {
    "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'speakup.sqlite3'}")
}
# PostgreSQL uses two roles (docs/operations.md): DATABASE_URL is the application's, which may
# add and read audit rows but never change or remove them, and owns nothing; the owner of the
# tables runs `manage.py migrate --database owner` with DATABASE_OWNER_URL, which the web and
# worker processes are not given. SQLite has one connection: its triggers are the guard.
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL", "")
if DATABASE_OWNER_URL:
    DATABASES["owner"] = _env.db_url_config(DATABASE_OWNER_URL)
    _where = ("ENGINE", "HOST", "PORT", "NAME")
    if DATABASES["owner"]["ENGINE"] != "django.db.backends.postgresql" or any(
        DATABASES["owner"].get(k) != DATABASES["default"].get(k) for k in _where
    ):
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must name the same PostgreSQL database as DATABASE_URL, "
            "connecting as the role that owns its tables."
        )
    # In tests the owner works on the test database that the default alias creates.
    DATABASES["owner"]["TEST"] = {"MIRROR": "default"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DATABASE_CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -------------------------------------------------------------------------------
# Development needs no broker server: the embedded broker is kombu's SQLAlchemy transport on a
# SQLite file in the data folder. It is transactional, so a worker never reads a message that
# is still being written (kombu's filesystem transport does, and the worker dies of it).
# Production (and CI's integration tests) name Redis in CELERY_BROKER_URL. See decision 0018.
EMBEDDED_BROKER_URL = f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", EMBEDDED_BROKER_URL if DEV else None)
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("CELERY_BROKER_URL is required in production (a Redis URL).")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "celery"
# A task is acknowledged when it has finished, not when it starts, and a task whose worker
# process died under it goes back to the queue: tasks are idempotent, so running one again is
# safe and losing one is not. A task that raised or ran out of time is acknowledged (not
# retried for ever), and a message the worker cannot read or run is rejected.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Only JSON is ever read from the broker (a pickled message could run code).
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# Every task runs under a hard time limit: this one for tasks that name none. (No default
# soft limit: Celery refuses a task whose own hard limit is below it.)
CELERY_TASK_TIME_LIMIT = 300
# The longest hard time limit any task may declare (the hourly audit check's half hour); a
# test holds every registered task to it. Redis hands an unacknowledged task to another
# worker after the visibility timeout: it must outlast the longest task (or a task still
# running would be started twice), and no more than that by a few minutes, so a task whose
# worker was killed runs again within the hour instead of after it.
SPEAKUP_TASK_TIME_LIMIT_LONGEST = 1800
SPEAKUP_BROKER_VISIBILITY_TIMEOUT = SPEAKUP_TASK_TIME_LIMIT_LONGEST + 300
CELERY_TIMEZONE = TIME_ZONE = env_str("SPEAKUP_TIME_ZONE", "Europe/London")
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if CELERY_BROKER_URL.startswith(("sqla+", "sqlalchemy+")):
    # SQLite waits up to 30 s for another process's write to finish instead of failing.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": SPEAKUP_BROKER_VISIBILITY_TIMEOUT}
# How often a worker on the embedded broker asks for the next message (config/celery.py).
SPEAKUP_EMBEDDED_BROKER_POLL_SECONDS = 0.2
# The health check's broker probe gives up after this long, so /healthz never hangs on it.
SPEAKUP_BROKER_PROBE_SECONDS = 1.0
# The heartbeat runs every minute; older than this, the health check says the scheduler or
# the worker is not running.
SPEAKUP_HEARTBEAT_STALE_SECONDS = env_int("SPEAKUP_HEARTBEAT_STALE_SECONDS", 300)

# The history admin's "revert" would write old values back, a case type's triage team
# included; history is for reading only.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Passwords, sessions, security headers ---------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Database sessions, with a second factor's secret being set up sealed (staff/sessions.py).
SESSION_ENGINE = "staff.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Everything from our own origin, scripts only with the page's nonce, nothing framed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Uploads are held in memory up to the evidence limit and never written to a temporary file
# in clear; a larger file is dropped as it streams in and reported (intake/uploads.py).
FILE_UPLOAD_HANDLERS = ["intake.uploads.BoundedMemoryUploadHandler"]
# At most five evidence files a request (intake.uploads.MAX_FILES), so one request can hold at
# most five times the size limit in memory. The upload handler stops reading at the sixth
# file and the page says so, keeping the answers; Django's own limit, one above, is only a
# backstop (it would answer a bare 400 and lose the form).
DATA_UPLOAD_MAX_NUMBER_FILES = 6
# Behind a reverse proxy, how many proxies to trust for the client address (X-Forwarded-For).
# Throttles key clients by a hash of that address; 0 means the direct peer is the client.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("SPEAKUP_TRUSTED_PROXY_COUNT", 0, minimum=0)
# Staff pages send their own origin only, so that browsers still send an Origin header that
# CSRF protection can check (under "no-referrer" a form POST says "Origin: null"). Reporter
# pages set "no-referrer" themselves (intake/views.py).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEV:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# Welsh for the reporter side only (docs/decisions/0025-welsh.md); staff pages stay English.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves static files in every mode (no web server needed in front for them). In
# development it finds them in the apps directly, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEV
WHITENOISE_AUTOREFRESH = DEV
if DEV:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Logging --------------------------------------------------------------------------------
# Plain messages to stderr. No formatter adds a client address or user agent, and request
# records are not logged with their headers (anonymity rule, DESIGN.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SPEAKUP_LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's access log and Django's request warnings name paths only, but drop
        # them outside development so nothing request-shaped reaches production logs.
        "django.server": {"level": "INFO" if DEV else "ERROR"},
        "django.request": {"level": "ERROR"},
    },
}
