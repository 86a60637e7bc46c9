"""Console pages for API keys: project keys and organization keys. Secrets are shown once."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.apikeys.services import api_key_create, api_key_list, api_key_revoke
from apps.core.views import ConsoleView

_NEW_KEY = "new_api_key"


def _render_keys(view: ConsoleView, request: HttpRequest, template: str) -> HttpResponse:
    project = view.access.project
    # The secret lives in the session only until the page that shows it is rendered once.
    new_key = request.session.pop(_NEW_KEY, None)
    return render(
        request,
        template,
        {
            "keys": api_key_list(access=view.access, project=project),
            "new_key": new_key,
            "can_write": view.access.has("apikeys:write"),
            "public_url": settings.LANGOPS_PUBLIC_URL,
        },
    )


def _create_key(view: ConsoleView, request: HttpRequest) -> None:
    key, secret = api_key_create(access=view.access, project=view.access.project, note=request.POST.get("note", ""))
    request.session[_NEW_KEY] = {"public_key": key.public_key, "secret_key": secret, "note": key.note}
    messages.success(request, _("API key created. Copy the secret key now: it will not be shown again."))


class ProjectApiKeysView(ConsoleView):
    scope = "apikeys"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        return _render_keys(self, request, "apikeys/project_keys.html")

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        _create_key(self, request)
        return redirect("projects:api_keys", project_id=project_id)


class ProjectApiKeyRevokeView(ConsoleView):
    scopes = {"POST": "apikeys:write"}

    def post(self, request: HttpRequest, project_id: str, key_id: str) -> HttpResponse:
        api_key_revoke(access=self.access, key_id=key_id, project=self.access.project)
        messages.success(request, _("API key revoked."))
        return redirect("projects:api_keys", project_id=project_id)


class OrganizationApiKeysView(ConsoleView):
    level = "organization"
    # Organization keys administer every project: Admins and Owners only.
    scopes = {"GET": "apikeys:write", "POST": "apikeys:write"}

    def get(self, request: HttpRequest, org_id: str) -> HttpResponse:
        return _render_keys(self, request, "apikeys/organization_keys.html")

    def post(self, request: HttpRequest, org_id: str) -> HttpResponse:
        _create_key(self, request)
        return redirect("organizations:api_keys", org_id=org_id)


class OrganizationApiKeyRevokeView(ConsoleView):
    level = "organization"
    scopes = {"POST": "apikeys:write"}

    def post(self, request: HttpRequest, org_id: str, key_id: str) -> HttpResponse:
        api_key_revoke(access=self.access, key_id=key_id, project=None)
        messages.success(request, _("API key revoked."))
        return redirect("organizations:api_keys", org_id=org_id)
