from django.urls import path

from apps.apikeys import views as apikey_views
from apps.costs import views as cost_views
from apps.exports import views as export_views
from apps.ingestion.console import IngestionHealthView
from apps.media.console import MediaContentView
from apps.projects import views
from apps.traces import views as trace_views

app_name = "projects"

urlpatterns = [
    path("<str:project_id>/", views.ProjectOverviewView.as_view(), name="overview"),
    path("<str:project_id>/settings/", views.ProjectSettingsView.as_view(), name="settings"),
    path("<str:project_id>/settings/delete/", views.ProjectDeleteView.as_view(), name="delete"),
    path("<str:project_id>/settings/members/", views.ProjectMembersView.as_view(), name="members"),
    path("<str:project_id>/settings/api-keys/", apikey_views.ProjectApiKeysView.as_view(), name="api_keys"),
    path(
        "<str:project_id>/settings/api-keys/<str:key_id>/revoke/",
        apikey_views.ProjectApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("<str:project_id>/settings/models/", cost_views.ProjectModelsView.as_view(), name="models"),
    path(
        "<str:project_id>/settings/models/<str:model_id>/delete/",
        cost_views.ProjectModelDeleteView.as_view(),
        name="model_delete",
    ),
    path("<str:project_id>/ingestion/", IngestionHealthView.as_view(), name="ingestion_health"),
    path("<str:project_id>/traces/", trace_views.TracesView.as_view(), name="traces"),
    path("<str:project_id>/traces/views/", trace_views.SavedViewCreateView.as_view(), name="saved_view_create"),
    path(
        "<str:project_id>/traces/views/<str:view_id>/delete/",
        trace_views.SavedViewDeleteView.as_view(),
        name="saved_view_delete",
    ),
    path("<str:project_id>/traces/<str:trace_id>/", trace_views.TraceDetailView.as_view(), name="trace"),
    path("<str:project_id>/traces/<str:trace_id>/delete/", trace_views.TraceDeleteView.as_view(), name="trace_delete"),
    path(
        "<str:project_id>/traces/<str:trace_id>/bookmark/",
        trace_views.TraceBookmarkView.as_view(),
        name="trace_bookmark",
    ),
    path("<str:project_id>/traces/<str:trace_id>/tags/", trace_views.TraceTagsView.as_view(), name="trace_tags"),
    path(
        "<str:project_id>/traces/<str:trace_id>/comments/",
        trace_views.TraceCommentView.as_view(),
        name="trace_comment",
    ),
    path("<str:project_id>/media/<str:media_id>/", MediaContentView.as_view(), name="media"),
    path("<str:project_id>/sessions/", trace_views.SessionsView.as_view(), name="sessions"),
    path("<str:project_id>/users/", trace_views.UsersView.as_view(), name="users"),
    path("<str:project_id>/users/<str:user_id>/", trace_views.UserView.as_view(), name="user"),
    path("<str:project_id>/observations/", trace_views.ObservationsView.as_view(), name="observations"),
    path("<str:project_id>/errors/", trace_views.ErrorsView.as_view(), name="errors"),
    path("<str:project_id>/sessions/<str:session_id>/", trace_views.SessionReplayView.as_view(), name="session"),
    path("<str:project_id>/settings/models/recompute/", cost_views.CostRecomputeView.as_view(), name="cost_recompute"),
    path("<str:project_id>/exports/", export_views.ExportsView.as_view(), name="exports"),
    path("<str:project_id>/exports/jobs/", export_views.ExportJobsView.as_view(), name="export_jobs"),
    path(
        "<str:project_id>/exports/jobs/<str:job_id>/download/",
        export_views.ExportDownloadView.as_view(),
        name="export_download",
    ),
    path("<str:project_id>/exports/tables/<str:table>/", export_views.TableExportView.as_view(), name="export"),
]
