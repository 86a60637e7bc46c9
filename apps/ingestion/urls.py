from django.urls import path

from apps.ingestion import views

urlpatterns = [
    path("ingestion", views.IngestionView.as_view(), name="ingestion"),
    path("scores", views.ScoresView.as_view(), name="scores_create"),
    *[
        path(resource, views.LegacyObjectView.as_view(resource=resource), name=f"legacy_{resource}")
        for resource in ("traces", "generations", "spans", "events")
    ],
]
