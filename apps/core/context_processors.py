"""Template context for the console shell: the switcher's organizations and projects."""

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from apps.organizations.selectors import organization_list_for_user
    from apps.projects.selectors import project_list

    access = getattr(request, "access", None)
    organizations = list(organization_list_for_user(user=user))
    current_org = access.organization if access else None
    projects = []
    if current_org is not None:
        projects = list(project_list(access=access))
    return {
        "access": access,
        "nav_organizations": organizations,
        "nav_projects": projects,
        "current_organization": current_org,
        "current_project": access.project if access else None,
    }
