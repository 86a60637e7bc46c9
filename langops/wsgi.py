import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from langops.heap import settle_boot_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langops.settings.base")
_console = get_wsgi_application()

from apps.core.wsgi import application_for  # noqa: E402 - needs the apps loaded

application = application_for(_console)
# Import the URL configuration, and with it every view module, while the worker boots: otherwise
# the first request each new worker serves waits about a second for those imports.
_urls = get_resolver().url_patterns
settle_boot_objects()
