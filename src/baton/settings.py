"""Django settings, read from the environment.

BATON_DATA_DIR   folder for the SQLite database, the generated secret key and uploads (default ./data)
DATABASE_URL     PostgreSQL URL; when unset the embedded SQLite database in BATON_DATA_DIR is used
BATON_SECRET_KEY secret key; when unset one is generated once and kept in BATON_DATA_DIR
BATON_DEBUG      "1" for Django debug pages
BATON_ALLOWED_HOSTS comma-separated host names (default: localhost, 127.0.0.1)
BATON_BASE_URL   the address people reach Baton at, for links in e-mails and webhooks (default http://localhost:8000)
BATON_SMTP_HOST, _PORT, _USER, _PASSWORD, _TLS (starttls, ssl or none), _FROM: the e-mail channel of
                 notifications; without BATON_SMTP_HOST it is off (docs/notifications.md)
BATON_WEBHOOK_ALLOW_PRIVATE "1": webhooks may call loopback and private addresses (off unless BATON_DEBUG)
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("BATON_DATA_DIR", "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    given = os.environ.get("BATON_SECRET_KEY")
    if given:
        return given
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written with O_EXCL so two processes starting at once agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("BATON_DEBUG") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("BATON_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("BATON_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "baton.org",
    "baton.leads",
    "baton.scoring",
    "baton.routing",
    "baton.handoffs",
    "baton.qualification",
    "baton.sla",
    "baton.pipeline",
    "baton.notifications",
    "baton.analytics",
    "baton.imports",
    "baton.consent",
    "baton.behaviour",
    "baton.tags",
    "baton.enrichment",
    "baton.web",
    "baton.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "baton.web.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "baton.urls"
WSGI_APPLICATION = "baton.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "baton.web.context.baton_context",
            ]
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend with a fair queue for writers (see baton/sqlite/base.py).
            "ENGINE": "baton.sqlite",
            "NAME": DATA_DIR / "baton.sqlite3",
            # Kept open between requests, as on PostgreSQL: opening one costs the pragmas below each time.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the lock at BEGIN, so two writers never
                # deadlock upgrading a read lock (the classic "database is locked" on SQLite).
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=30000; PRAGMA cache_size=-64000;"
                ),
            },
            # Tests use a real file too (not shared-cache memory), so concurrency behaves as in production.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Bulk JSON bodies (5,000 behaviour events, target lists) exceed Django's 2.5 MB default; files are
# streamed to disk above FILE_UPLOAD_MAX_MEMORY_SIZE whatever this says.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "baton.logging.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("BATON_LOG_LEVEL", "WARNING")},
}

BATON = {
    # Public web-form capture: requests per minute per client address.
    "FORM_RATE_PER_MIN": int(os.environ.get("BATON_FORM_RATE_PER_MIN", "30")),
    # Links in e-mails and webhook payloads.
    "BASE_URL": os.environ.get("BATON_BASE_URL", "http://localhost:8000").rstrip("/"),
    # Webhooks to loopback, private and link-local addresses (an internal receiver, tests).
    "WEBHOOK_ALLOW_PRIVATE": os.environ.get("BATON_WEBHOOK_ALLOW_PRIVATE", "1" if DEBUG else "0") == "1",
    "WEBHOOK_TIMEOUT": float(os.environ.get("BATON_WEBHOOK_TIMEOUT", "5")),
}

# The e-mail channel of notifications (baton.notifications.email): Django's SMTP backend. Without
# BATON_SMTP_HOST the channel is off, and says so on the preferences page; nothing is queued for it.
_SMTP_TLS = os.environ.get("BATON_SMTP_TLS", "starttls").strip().lower()
if _SMTP_TLS not in ("starttls", "ssl", "none"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"BATON_SMTP_TLS must be starttls, ssl or none, not {_SMTP_TLS!r}")
EMAIL_HOST = os.environ.get("BATON_SMTP_HOST", "").strip()
EMAIL_PORT = int(os.environ.get("BATON_SMTP_PORT") or {"starttls": 587, "ssl": 465, "none": 25}[_SMTP_TLS])
EMAIL_HOST_USER = os.environ.get("BATON_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("BATON_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _SMTP_TLS == "starttls"
EMAIL_USE_SSL = _SMTP_TLS == "ssl"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("BATON_SMTP_FROM", "Baton <baton@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
