from django.urls import include, path, re_path
from django.views.i18n import set_language

from apps.media.views import media_blob
from apps.organizations.views import HomeView, InviteAcceptView
from langops.api import api, api_not_found

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("apps.accounts.urls")),
    path("organization/", include("apps.organizations.urls")),
    path("project/", include("apps.projects.urls")),
    path("invites/<str:token>/", InviteAcceptView.as_view(), name="invite_accept"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/public/media/blob/<str:token>", media_blob, name="media_blob"),
    path("api/public/", include("apps.ingestion.urls")),
    path("api/public/", api.urls),
    re_path(r"^api/public/", api_not_found, name="api_not_found"),  # last: what nothing above serves
]
