"""Test settings: the same stack as production, with fast password hashing."""

from langops.settings.base import *  # noqa: F401,F403
from langops.settings.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGIN_RATE_LIMIT = "5/m"

# pytest-xdist workers share one Redis: give each worker its own database number so that
# clearing the cache in one worker never touches another's keys.
import os as _os  # noqa: E402

from langops.settings.base import CACHES, REDIS_URL  # noqa: E402

_worker = _os.environ.get("PYTEST_XDIST_WORKER", "gw0")
if REDIS_URL:
    _db = 10 + int(_worker.removeprefix("gw") or 0)
    _base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    CACHES = {**CACHES, "default": {**CACHES["default"], "LOCATION": f"{_base}/{_db}"}}
