"""Django settings, read from DANGJIAN_* environment variables only, safe for the embedded case."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from dangjian.crypto import KeyRing, locate_master_secret

BASE_DIR = Path(__file__).resolve().parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("DANGJIAN_DATA_DIR", "var")).resolve()
DEBUG = envbool("DANGJIAN_DEBUG", False)
HTTPS = envbool("DANGJIAN_HTTPS", False)

# One master secret feeds Django's SECRET_KEY and every keyed algorithm (SM4 field encryption,
# HMAC-SM3 blind indexes, the audit chain); it comes from the environment or a key file, never
# from the repository.
# Nothing is generated here: a new key only for an empty database, and the configured key is
# checked against the database's key check value at every start (dangjian.core.keys).
DANGJIAN_MASTER_SECRET, DANGJIAN_MASTER_SECRET_SOURCE = locate_master_secret(
    env=os.environ, data_dir=DATA_DIR
)
SECRET_KEY = (
    KeyRing.from_secret(DANGJIAN_MASTER_SECRET).django_secret_key()
    if DANGJIAN_MASTER_SECRET
    else "no-master-key-yet-" + os.urandom(24).hex()  # replaced when a key is generated
)

ALLOWED_HOSTS = envlist("DANGJIAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("DANGJIAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "dangjian.core",
    "dangjian.ops",
    "dangjian.accounts",
    "dangjian.audit",
    "dangjian.orgs",
    "dangjian.notices",
    "dangjian.members",
    "dangjian.discipline",
    "dangjian.meetings",
    "dangjian.duties",
    "dangjian.study",
    "dangjian.desk",
    "dangjian.recruitment",
    "dangjian.transfers",
    "dangjian.dues",
    "dangjian.assessment",
]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: attachments go through an access-checked view

MIDDLEWARE = [
    "dangjian.core.middleware.ErrorResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dangjian.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dangjian.accounts.middleware.IdleTimeoutMiddleware",
    "dangjian.accounts.middleware.HtmxLoginRedirectMiddleware",
    "dangjian.audit.denials.DeniedRequestAuditMiddleware",
    "dangjian.accounts.middleware.TwoFactorRequiredMiddleware",
    "dangjian.accounts.middleware.PasswordChangeRequiredMiddleware",
    "dangjian.core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.accounts.context_processors.navigation",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'dangjian.sqlite3'}"
_db = dj_database_url.parse(
    os.environ.get("DANGJIAN_DATABASE_URL", _default_db),
    # Each worker keeps its connection for a minute instead of opening one per request (1.3 ms
    # a request on SQLite, about 3 ms and a server process on PostgreSQL); checked before reuse.
    conn_max_age=envint("DANGJIAN_DB_CONN_MAX_AGE", 60),
    conn_health_checks=True,
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
            "transaction_mode": "IMMEDIATE",
        }
    )
    if os.environ.get("DANGJIAN_TEST_SQLITE_FILE"):
        # The browser tests' pass (scripts/test) puts the test database in a file: the live
        # server's request threads then open connections of their own, as on PostgreSQL and
        # MariaDB, instead of sharing the test's one in-memory connection across threads.
        _db["TEST"] = {"NAME": os.environ["DANGJIAN_TEST_SQLITE_FILE"]}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any statement its planner costs above `jit_above_cost`; the
    # findings cache's refresh after a write (one branch's study hours, a member index walk
    # estimated far above its real few milliseconds) spent 50 ms compiling for 10 ms of work,
    # per worker and cached root. The platform's reads are short: off for its connections,
    # unless the URL's own `?options=` says otherwise (bench/README.md, branch load20).
    _options = _db.setdefault("OPTIONS", {})
    if "jit" not in _options.get("options", ""):
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
elif _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "isolation_level": "read committed"}
    )
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "dangjian.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("DANGJIAN_PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "dangjian.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login security (等保 level 3): lock the account after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = envint("DANGJIAN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("DANGJIAN_LOCKOUT_MINUTES", 30))
# By username; an administrator's by (username, client address): see accounts/lockout.py.
AXES_LOCKOUT_PARAMETERS = "dangjian.accounts.lockout.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Passwords (等保 身份鉴别): no reuse of the last N; administrators change theirs every N days
# (0 = never); members' passwords do not expire unless DANGJIAN_MEMBER_PASSWORD_DAYS says so.
PASSWORD_HISTORY = envint("DANGJIAN_PASSWORD_HISTORY", 5)
ADMIN_PASSWORD_DAYS = envint("DANGJIAN_ADMIN_PASSWORD_DAYS", 90)
MEMBER_PASSWORD_DAYS = envint("DANGJIAN_MEMBER_PASSWORD_DAYS", 0)
# Two-factor login (TOTP): always for the three administrators (DANGJIAN_TOTP_REQUIRED=0 turns
# it off, for a closed test rig only), and for 机关党委 and 纪检 with DANGJIAN_TOTP_BUSINESS_ROLES.
TOTP_REQUIRED = envbool("DANGJIAN_TOTP_REQUIRED", True)
TOTP_BUSINESS_ROLES = envbool("DANGJIAN_TOTP_BUSINESS_ROLES", False)
OTP_TOTP_ISSUER = "机关党建"
# Usernames of accounts made from the roster: "pinyin" (zhangsan, zhangsan2) or "org"
# (fgw-b01-001); see members/member_accounts.py.
MEMBER_USERNAME_SCHEME = os.environ.get("DANGJIAN_MEMBER_USERNAME", "pinyin")
IDLE_TIMEOUT = timedelta(minutes=envint("DANGJIAN_IDLE_TIMEOUT_MINUTES", 30))
# A large first roster import checks rows ahead in a second process (members/roster/ahead.py)
# when a second core is idle: about 30 % faster, at the price of that process's memory (about
# 250 MB more at the import's peak). 0 keeps the import in one process.
IMPORT_AHEAD = envbool("DANGJIAN_IMPORT_AHEAD", True)
ADMIN_IDLE_TIMEOUT = timedelta(minutes=envint("DANGJIAN_ADMIN_IDLE_TIMEOUT_MINUTES", 15))
SESSION_COOKIE_AGE = envint("DANGJIAN_SESSION_MAX_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("DANGJIAN_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# Off unless the whole domain is HTTPS-only: HSTS for subdomains (and the preload list) would
# lock out any HTTP service on a sibling name of the same organ.
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and envbool("DANGJIAN_HSTS_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = HTTPS and envbool("DANGJIAN_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("DANGJIAN_BEHIND_PROXY", False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "dangjian.core.views.csrf_failure"
# Scripts only from our own static files: no inline script, no eval, no other origin. Inline
# style attributes stay allowed (style-src-attr): a few templates size bars and indents from
# data, and with every fetch limited to 'self' a style cannot send anything off the site.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The OpenAPI document and its page need a login (or an API token) unless opened here.
DANGJIAN_API_DOCS_PUBLIC = envbool("DANGJIAN_API_DOCS_PUBLIC", False)

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, gzip + brotli, cached for a year (after collectstatic; see core/storage.py).
    "staticfiles": {"BACKEND": "dangjian.core.storage.StaticFilesStorage"},
}
# Serve straight from the package when collectstatic has not run (tests, a fresh checkout).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Only the hashed names are kept (and compressed) in STATIC_ROOT; source maps are for developer
# tools and are not worth compressing.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Long work (roster imports) runs in the background: a database queue that `dangjian serve` and
# `dangjian demo` drain with a worker process of their own, so no broker is needed.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DANGJIAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
IMPORT_MAX_MB = envint("DANGJIAN_IMPORT_MAX_MB", 50)
DANGJIAN_ATTACHMENT_MAX_MB = envint("DANGJIAN_ATTACHMENT_MAX_MB", 20)
# Study materials (学习资料库): the largest file one may publish.
DANGJIAN_MATERIAL_MAX_MB = envint("DANGJIAN_MATERIAL_MAX_MB", 50)
# Scanned PDFs read by tesseract (when installed): the pages recognised at most per material.
DANGJIAN_OCR_MAX_PAGES = envint("DANGJIAN_OCR_MAX_PAGES", 30)
IMPORT_DIR = DATA_DIR / "imports"

NINJA_PAGINATION_PER_PAGE = 50
# Rows per page of every list, pages and API alike (and the first rows of the inbox's to-do
# lists).
PAGE_SIZE = envint("DANGJIAN_PAGE_SIZE", 50)
# A search by a whole ID number is a reveal: at most this many per user in this many minutes.
ID_SEARCH_LIMIT = envint("DANGJIAN_ID_SEARCH_LIMIT", 20)
ID_SEARCH_MINUTES = envint("DANGJIAN_ID_SEARCH_MINUTES", 60)

# The audit chain's anchor (docs/audit.md): `dangjian audit anchor` and the daily tick append
# the chain's head to this file, which should live where the database's users cannot write
# (another disk, a WORM share); and to syslog (authpriv) when DANGJIAN_AUDIT_ANCHOR_SYSLOG is on.
AUDIT_ANCHOR_FILE = os.environ.get("DANGJIAN_AUDIT_ANCHOR_FILE", "")
AUDIT_ANCHOR_SYSLOG = envbool("DANGJIAN_AUDIT_ANCHOR_SYSLOG", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No ID or phone number reaches a log line (docs/privacy.md).
    "filters": {"redact": {"()": "dangjian.core.logredact.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Lockout is by username on purpose (等保: lock the account); IP-based locking would lock a whole
# office behind one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Reminders before a work item's deadline (days; sent on the last working day on or before).
try:
    DUTY_REMINDER_DAYS = sorted(
        {int(d) for d in envlist("DANGJIAN_REMINDER_DAYS", ["7", "3", "1"])}, reverse=True
    )
except ValueError:
    raise ImproperlyConfigured("DANGJIAN_REMINDER_DAYS must list whole days, e.g. 7,3,1") from None
if any(d < 1 for d in DUTY_REMINDER_DAYS):
    raise ImproperlyConfigured("DANGJIAN_REMINDER_DAYS must be positive days, e.g. 7,3,1")

# Email for inbox notices: only when an SMTP host is configured (intranets often have none).
EMAIL_HOST = os.environ.get("DANGJIAN_EMAIL_HOST", "")
EMAIL_PORT = envint("DANGJIAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DANGJIAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DANGJIAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("DANGJIAN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DANGJIAN_EMAIL_FROM", "dangjian@localhost")
EMAIL_ENABLED = bool(EMAIL_HOST)

# The findings page keeps each computed report and brings it up to date from the audit log after
# every write; a full recomputation (about 0.7 s for a province) happens on a worker's first
# request, each new day, and at the latest after this many seconds (the bound on writes that
# bypass the services, such as hand edits in the database). 0 turns the cache off.
DANGJIAN_COMPLIANCE_CACHE_SECONDS = envint("DANGJIAN_COMPLIANCE_CACHE_SECONDS", 6 * 3600)
