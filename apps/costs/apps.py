from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_price_list(sender, **kwargs) -> None:
    from apps.costs.catalogue import sync_managed_models

    sync_managed_models()


class CostsConfig(AppConfig):
    name = "apps.costs"
    label = "costs"

    def ready(self) -> None:
        # The managed model definitions follow the bundled price list after every migrate.
        post_migrate.connect(_sync_price_list, sender=self)
