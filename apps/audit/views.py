"""The organization audit log page (Admins and Owners)."""

from datetime import datetime, time

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.audit.selectors import audit_action_names, audit_entry_list
from apps.core.views import ConsoleView
from apps.projects.selectors import project_list


def _day_start(value: str, *, next_day: bool = False) -> datetime | None:
    day = parse_date(value or "")
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return moment + timezone.timedelta(days=1) if next_day else moment


class AuditLogView(ConsoleView):
    level = "organization"
    scope = "audit"

    def get(self, request: HttpRequest, org_id: str) -> HttpResponse:
        filters = {key: request.GET.get(key, "").strip() for key in ("action", "actor", "project", "since", "until")}
        entries = audit_entry_list(
            access=self.access,
            action=filters["action"],
            actor=filters["actor"],
            project_id=filters["project"],
            since=_day_start(filters["since"]),
            until=_day_start(filters["until"], next_day=True),
        )
        page = Paginator(entries, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "audit/log.html",
            {
                "page": page,
                "filters": filters,
                "actions": audit_action_names(access=self.access),
                "projects": project_list(access=self.access),
            },
        )
