"""Production settings: the base plus stricter defaults; still configured from the environment."""

from langops.settings.base import *  # noqa: F401,F403
from langops.settings.env import env_bool

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
