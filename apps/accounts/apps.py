from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from apps.accounts.models import User

        # Account-level changes (not tied to an organization) go through django-auditlog.
        auditlog.register(User, include_fields=["email", "name", "is_active", "password"], mask_fields=["password"])
