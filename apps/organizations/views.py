"""Console pages of an organization: create, projects, settings, members and invitations."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.auth import client_ip
from apps.core.roles import ROLE_CHOICES
from apps.core.views import ConsoleView
from apps.organizations import selectors, services
from apps.projects.selectors import project_list
from apps.projects.services import project_create


class HomeView(ConsoleView):
    """Send a signed-in user to their first project, or to creating an organization."""

    level = "user"

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = selectors.organization_list_for_user(user=request.user).first()
        if organization is None:
            return redirect("organizations:create")
        return redirect("organizations:detail", org_id=organization.id)


class OrganizationCreateView(ConsoleView):
    level = "user"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "organizations/create.html")

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = services.organization_create(
            user=request.user, name=request.POST.get("name", ""), ip=client_ip(request)
        )
        messages.success(request, _("Organization created. Now create its first project."))
        return redirect("organizations:detail", org_id=organization.id)


class OrganizationDetailView(ConsoleView):
    """The organization's projects, with a form to create one."""

    level = "organization"
    scopes = {"GET": "organization:read", "POST": "projects:create"}

    def get(self, request: HttpRequest, org_id: str) -> HttpResponse:
        return render(request, "organizations/detail.html", {"projects": project_list(access=self.access)})

    def post(self, request: HttpRequest, org_id: str) -> HttpResponse:
        project = project_create(access=self.access, name=request.POST.get("name", ""))
        messages.success(request, _("Project created. Create an API key to start sending traces."))
        return redirect("projects:api_keys", project_id=project.id)


class OrganizationSettingsView(ConsoleView):
    level = "organization"
    scope = "organization"

    def get(self, request: HttpRequest, org_id: str) -> HttpResponse:
        return render(request, "organizations/settings.html")

    def post(self, request: HttpRequest, org_id: str) -> HttpResponse:
        services.organization_rename(access=self.access, name=request.POST.get("name", ""))
        messages.success(request, _("Organization renamed."))
        return redirect("organizations:settings", org_id=org_id)


class OrganizationDeleteView(ConsoleView):
    level = "organization"
    scopes = {"POST": "organization:delete"}

    def post(self, request: HttpRequest, org_id: str) -> HttpResponse:
        if request.POST.get("confirm", "") != self.access.organization.name:
            messages.error(request, _("Type the organization's name to confirm deletion."))
            return redirect("organizations:settings", org_id=org_id)
        services.organization_delete(access=self.access)
        messages.success(request, _("Organization deleted."))
        return redirect("home")


class MembersView(ConsoleView):
    level = "organization"
    scopes = {"GET": "members:read", "POST": "members:write"}

    def get(self, request: HttpRequest, org_id: str) -> HttpResponse:
        return render(
            request,
            "organizations/members.html",
            {
                "memberships": selectors.membership_list(access=self.access),
                "invites": selectors.invite_list_open(access=self.access),
                "roles": ROLE_CHOICES,
                "invite_link": request.session.pop("invite_link", None),
            },
        )

    def post(self, request: HttpRequest, org_id: str) -> HttpResponse:
        """Invite by e-mail; the accept link is shown once to the inviter."""
        invite, token = services.invite_create(
            access=self.access, email=request.POST.get("email", ""), role=request.POST.get("role", "")
        )
        request.session["invite_link"] = request.build_absolute_uri(reverse("invite_accept", args=[token]))
        messages.success(
            request, _("Invitation created for %(email)s. Send them the link below.") % {"email": invite.email}
        )
        return redirect("organizations:members", org_id=org_id)


class MemberRoleView(ConsoleView):
    level = "organization"
    scopes = {"POST": "members:write"}

    def post(self, request: HttpRequest, org_id: str, user_id: str) -> HttpResponse:
        services.membership_set_role(access=self.access, user_id=user_id, role=request.POST.get("role", ""))
        messages.success(request, _("Role changed."))
        return redirect("organizations:members", org_id=org_id)


class MemberRemoveView(ConsoleView):
    level = "organization"
    scopes = {"POST": "members:write"}

    def post(self, request: HttpRequest, org_id: str, user_id: str) -> HttpResponse:
        services.membership_remove(access=self.access, user_id=user_id)
        messages.success(request, _("Member removed."))
        return redirect("organizations:members", org_id=org_id)


class InviteRevokeView(ConsoleView):
    level = "organization"
    scopes = {"POST": "members:write"}

    def post(self, request: HttpRequest, org_id: str, invite_id: str) -> HttpResponse:
        services.invite_revoke(access=self.access, invite_id=invite_id)
        messages.success(request, _("Invitation withdrawn."))
        return redirect("organizations:members", org_id=org_id)


class InviteAcceptView(ConsoleView):
    """The link from an invitation; signing in (or up) first returns here."""

    level = "user"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invite = services.invite_find(token=token)
        return render(request, "organizations/invite_accept.html", {"invite": invite}, status=200 if invite else 404)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        membership = services.invite_accept(user=request.user, token=token, ip=client_ip(request))
        messages.success(request, _("Welcome to %(name)s.") % {"name": membership.organization.name})
        return redirect("organizations:detail", org_id=membership.organization_id)
