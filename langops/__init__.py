from langops.compiled import install as _install_compiled

_install_compiled()  # before any app module is imported: the compiled hot path, when it is current

from langops.celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
__version__ = "0.1.0"
