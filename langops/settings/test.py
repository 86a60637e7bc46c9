"""Test settings: the same stack as production, with fast password hashing."""

from langops.settings.base import *  # noqa: F401,F403
from langops.settings.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGIN_RATE_LIMIT = "5/m"
