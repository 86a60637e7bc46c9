from django.urls import path

from apps.apikeys import views as apikey_views
from apps.audit import views as audit_views
from apps.organizations import views

app_name = "organizations"

urlpatterns = [
    path("new/", views.OrganizationCreateView.as_view(), name="create"),
    path("<str:org_id>/", views.OrganizationDetailView.as_view(), name="detail"),
    path("<str:org_id>/settings/", views.OrganizationSettingsView.as_view(), name="settings"),
    path("<str:org_id>/delete/", views.OrganizationDeleteView.as_view(), name="delete"),
    path("<str:org_id>/members/", views.MembersView.as_view(), name="members"),
    path("<str:org_id>/members/<str:user_id>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("<str:org_id>/members/<str:user_id>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path("<str:org_id>/invites/<str:invite_id>/revoke/", views.InviteRevokeView.as_view(), name="invite_revoke"),
    path("<str:org_id>/api-keys/", apikey_views.OrganizationApiKeysView.as_view(), name="api_keys"),
    path(
        "<str:org_id>/api-keys/<str:key_id>/revoke/",
        apikey_views.OrganizationApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("<str:org_id>/audit/", audit_views.AuditLogView.as_view(), name="audit"),
]
