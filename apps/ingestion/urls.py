from django.urls import path

from apps.ingestion import views

urlpatterns = [
    path("ingestion", views.IngestionView.as_view(), name="ingestion"),
    path("scores", views.scores_route, name="scores_create"),
    path("otel/v1/traces", views.OtelTracesView.as_view(), name="otel_traces"),
    path("otel/v1/metrics", views.OtelMetricsView.as_view(), name="otel_metrics"),
    *[
        path(resource, views.LegacyObjectView.as_view(resource=resource), name=f"legacy_{resource}")
        for resource in ("generations", "spans", "events")
    ],
]
