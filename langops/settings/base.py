"""Settings shared by every mode. Everything comes from the environment; nothing is required.

Without DATABASE_URL / REDIS_URL LangOps runs embedded: an SQLite file, a folder broker for
Celery and local folders, all under LANGOPS_DATA_DIR.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from langops.settings.env import env_bool, env_int, env_list, env_str, persistent_secret

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("LANGOPS_DATA_DIR", str(BASE_DIR / "data"))).resolve()

SECRET_KEY = env_str("SECRET_KEY") or persistent_secret(DATA_DIR / "secret_key")
# Keyed hash for API secret keys; separate from SECRET_KEY so rotating sessions keeps keys valid.
API_KEY_HASH_SALT = env_str("LANGOPS_API_KEY_SALT") or persistent_secret(DATA_DIR / "api_key_salt")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where clients reach LangOps (connection snippets, presigned media URLs). By default the address
# `manage.py serve` listens on (HOST and PORT, which it also sets for its web and worker processes).
_LISTEN_HOST = env_str("HOST", "127.0.0.1")
_LOCAL_HOST = "127.0.0.1" if _LISTEN_HOST in ("", "0.0.0.0", "::") else _LISTEN_HOST
LANGOPS_PUBLIC_URL = env_str("LANGOPS_PUBLIC_URL", f"http://{_LOCAL_HOST}:{env_str('PORT', '3000')}").rstrip("/")
LANGOPS_VERSION = "0.1.0"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "ninja",
    "auditlog",
    "apps.core",
    "apps.accounts",
    "apps.organizations",
    "apps.projects",
    "apps.apikeys",
    "apps.audit",
    "apps.traces",
    "apps.scores",
    "apps.ingestion",
    "apps.costs",
    "apps.media",
    "apps.exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "apps.core.middleware.PublicApiBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "langops.urls"
WSGI_APPLICATION = "langops.wsgi.application"

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
                "apps.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "apps.core.postgresql"  # its health check sends no query
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "langops.sqlite3",
            # WAL + immediate transactions + busy timeout: web and worker both write safely.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
USES_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (API key cache, login rate limit) ---------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer is an outage (a miss), not a request left waiting.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        # The login rate limit: during a Redis outage it counts in process memory (apps.core.cache).
        "guarded": {
            "BACKEND": "apps.core.cache.GuardedRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    RATELIMIT_USE_CACHE = "guarded"
else:
    # Embedded mode serves the web from one process (threads), so process memory is shared
    # by every request that reads or invalidates it.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "langops"}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003"]

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# The sweeper redoes enrichment left pending by lost tasks; its runs are also the worker's heartbeat.
SWEEP_INTERVAL_SECONDS = env_int("LANGOPS_SWEEP_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-pending-enrichment": {
        "task": "apps.ingestion.tasks.sweep_pending_enrichment",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "sweep-cost-recompute-jobs": {
        "task": "apps.costs.tasks.sweep_cost_recompute_jobs",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "sweep-export-jobs": {
        "task": "apps.exports.tasks.sweep_export_jobs",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "sweep-deleted-projects": {
        "task": "apps.projects.tasks.sweep_deleted_projects",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "index-trace-search": {
        "task": "apps.traces.tasks.index_pending_traces",
        "schedule": float(env_int("LANGOPS_SEARCH_INDEX_INTERVAL_SECONDS", 3)),
    },
}
# One run of the search indexer works at most this long before the next scheduled run takes over.
SEARCH_INDEX_BUDGET_SECONDS = env_int("LANGOPS_SEARCH_INDEX_BUDGET_SECONDS", 20)
ENRICHMENT_GRACE_SECONDS = env_int("LANGOPS_ENRICHMENT_GRACE_SECONDS", 30)
# A running background job (cost recompute, export) without progress for this long lost its worker.
JOB_STALL_SECONDS = env_int("LANGOPS_JOB_STALL_SECONDS", 300)
# Ingestion-health counters are summed in memory and written at most this often (seconds).
INGESTION_HEALTH_FLUSH_SECONDS = env_int("LANGOPS_INGESTION_HEALTH_FLUSH_SECONDS", 2)
HEALTH_MAX_PIPELINE_LAG_SECONDS = env_int("LANGOPS_HEALTH_MAX_PIPELINE_LAG_SECONDS", 600)
# Requests per minute per project on the write path; empty disables it (the embedded default).
INGESTION_RATE_LIMIT_PER_MINUTE = env_int("LANGOPS_INGESTION_RATE_LIMIT_PER_MINUTE", 0)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGOPS_SIGNUP_ENABLED = env_bool("LANGOPS_SIGNUP_ENABLED", True)
LOGIN_RATE_LIMIT = env_str("LANGOPS_LOGIN_RATE_LIMIT", "10/m")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
INVITE_TTL_DAYS = env_int("LANGOPS_INVITE_TTL_DAYS", 7)

# --- API keys -----------------------------------------------------------------------------
API_KEY_CACHE_SECONDS = env_int("LANGOPS_API_KEY_CACHE_SECONDS", 30)
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60

# --- Blob storage (media; later exports) ---------------------------------------------------
LANGOPS_S3_BUCKET = env_str("LANGOPS_S3_BUCKET")
LANGOPS_S3_ENDPOINT_URL = env_str("LANGOPS_S3_ENDPOINT_URL")
LANGOPS_S3_REGION = env_str("LANGOPS_S3_REGION", "us-east-1")
MEDIA_MAX_BYTES = env_int("LANGOPS_MEDIA_MAX_BYTES", 1024 * 1024 * 1024)
MEDIA_URL_TTL_SECONDS = env_int("LANGOPS_MEDIA_URL_TTL_SECONDS", 3600)

# --- Exports ------------------------------------------------------------------------------
# A table export with more rows than this runs as a background job with progress (else it streams at once).
EXPORT_DIRECT_MAX_ROWS = env_int("LANGOPS_EXPORT_DIRECT_MAX_ROWS", 10_000)
EXPORT_RETENTION_DAYS = env_int("LANGOPS_EXPORT_RETENTION_DAYS", 7)
EXPORT_PROGRESS_EVERY_ROWS = 1000
# A job's progress bar counts rows up to this many; past it the total shows as "at least".
EXPORT_ESTIMATE_CAP = 1_000_000
CELERY_BEAT_SCHEDULE["delete-expired-exports"] = {
    "task": "apps.exports.tasks.delete_expired_exports",
    "schedule": 3600.0,
}

# --- Public API ---------------------------------------------------------------------------
CORS_URLS_REGEX = r"^/api/public/.*$"
# A regex that matches every origin makes django-cors-headers reflect the request's Origin.
CORS_ALLOWED_ORIGIN_REGEXES = [r"^.*$"]
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["*"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MB, Langfuse's default for JSON routes
# Per-prefix overrides of the body limit under /api/public/ (the ingestion issue adds its own).
INGESTION_MAX_BODY_BYTES = env_int("LANGOPS_INGESTION_MAX_BODY_BYTES", 4_500_000)  # Langfuse's 4.5 MB
INGESTION_RETRY_AFTER_SECONDS = env_int("LANGOPS_INGESTION_RETRY_AFTER_SECONDS", 5)
INGESTION_LOCK_TIMEOUT_MS = env_int("LANGOPS_INGESTION_LOCK_TIMEOUT_MS", 5000)
# Concurrent writes of one web process share a transaction up to this many events (group commit,
# apps.ingestion.group_commit); 0 turns grouping off (each request writes on its own, at once).
INGESTION_GROUP_MAX_EVENTS = env_int("LANGOPS_INGESTION_GROUP_MAX_EVENTS", 2000)
OTEL_MAX_BODY_BYTES = env_int("LANGOPS_OTEL_MAX_BODY_BYTES", 64 * 1024 * 1024)
PUBLIC_API_BODY_LIMITS: dict[str, int] = {
    "/api/public/ingestion": INGESTION_MAX_BODY_BYTES,
    "/api/public/otel/": OTEL_MAX_BODY_BYTES,
    "/api/public/media/blob/": MEDIA_MAX_BYTES,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.drf.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.negotiation.JsonOnlyNegotiation",
}

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here after collectstatic
# Third-party assets come from npm (package.json); only their dist folders are served.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/alpinejs", BASE_DIR / "node_modules" / "alpinejs" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "files"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Audit --------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
