"""Console pages of a project: overview (connection snippet), settings and role overrides."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.roles import ROLE_CHOICES
from apps.core.views import ConsoleView
from apps.organizations.selectors import membership_list
from apps.projects import selectors, services


class ProjectOverviewView(ConsoleView):
    scope = "project"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        return render(request, "projects/overview.html", {"public_url": settings.LANGOPS_PUBLIC_URL})


class ProjectSettingsView(ConsoleView):
    scopes = {"GET": "project:read", "POST": "projects:write"}

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        return render(request, "projects/settings.html")

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        services.project_update(access=self.access, project_id=project_id, name=request.POST.get("name", ""))
        messages.success(request, _("Project renamed."))
        return redirect("projects:settings", project_id=project_id)


class ProjectDeleteView(ConsoleView):
    scopes = {"POST": "projects:delete"}

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        if request.POST.get("confirm", "") != self.access.project.name:
            messages.error(request, _("Type the project's name to confirm deletion."))
            return redirect("projects:settings", project_id=project_id)
        organization_id = self.access.organization.id
        services.project_delete(access=self.access, project_id=project_id)
        messages.success(request, _("Project deleted."))
        return redirect("organizations:detail", org_id=organization_id)


class ProjectMembersView(ConsoleView):
    """Organization members with their effective role here; admins set per-project overrides."""

    scopes = {"GET": "members:read", "POST": "members:write"}

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        overrides = {
            o.user_id: o.role for o in selectors.project_override_list(access=self.access, project=self.access.project)
        }
        rows = [{"membership": m, "override": overrides.get(m.user_id)} for m in membership_list(access=self.access)]
        return render(request, "projects/members.html", {"rows": rows, "roles": ROLE_CHOICES})

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        user_id = request.POST.get("user_id", "")
        role = request.POST.get("role", "")
        if role == "":
            services.project_role_remove(access=self.access, project_id=project_id, user_id=user_id)
        else:
            services.project_role_set(access=self.access, project_id=project_id, user_id=user_id, role=role)
        messages.success(request, _("Project role updated."))
        return redirect("projects:members", project_id=project_id)
