"""Test settings: the same stack as production, with fast password hashing."""

from langops.settings.base import *  # noqa: F401,F403
from langops.settings.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGIN_RATE_LIMIT = "5/m"
INGESTION_HEALTH_FLUSH_SECONDS = 0  # tests read the counters right after each request

# pytest-xdist workers share one Redis: give each worker its own database number so that
# clearing the cache in one worker never touches another's keys.
import os as _os  # noqa: E402

from langops.settings.base import CACHES, REDIS_URL  # noqa: E402

_worker = _os.environ.get("PYTEST_XDIST_WORKER", "gw0")
if REDIS_URL:
    _n = int(_worker.removeprefix("gw") or 0)
    # Redis has 16 databases: base, base+2, ... for caches, base+1, base+3, ... for brokers.
    # LANGOPS_TEST_REDIS_DB_BASE lets two test runs share one Redis without touching each other.
    _db = int(_os.environ.get("LANGOPS_TEST_REDIS_DB_BASE", "2")) + 2 * _n
    _base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    # Every alias in it (the guarded one too), so clearing the default cache clears them all.
    CACHES = {alias: {**config, "LOCATION": f"{_base}/{_db}"} for alias, config in CACHES.items()}
    # The broker gets its own database too: clearing the cache must not drop queued tasks.
    CELERY_BROKER_URL = f"{_base}/{_db + 1}"
