"""Console: saving the traces table's filters as a named view, and deleting one."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.errors import InvalidRequest
from apps.core.views import ConsoleView
from apps.traces import saved_views


def _table_url(project_id: str, query: str) -> str:
    return reverse("projects:traces", args=[project_id]) + (f"?{query}" if query else "")


class SavedViewCreateView(ConsoleView):
    # Personal views are a reader's own preference; sharing one is checked by the service.
    scopes = {"POST": "traces:read"}

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        query = request.POST.get("query", "")
        try:
            view = saved_views.saved_view_create(
                access=self.access,
                table="traces",
                name=request.POST.get("name", ""),
                query=query,
                shared=request.POST.get("shared") == "1",
            )
        except InvalidRequest as exc:  # back to the table as it was, saying why
            messages.error(request, exc.message)
            return redirect(_table_url(project_id, saved_views.clean_query(query)))
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(_table_url(project_id, view.query))


class SavedViewDeleteView(ConsoleView):
    scopes = {"POST": "traces:read"}

    def post(self, request: HttpRequest, project_id: str, view_id: str) -> HttpResponse:
        saved_views.saved_view_delete(access=self.access, view_id=view_id)
        messages.success(request, _("View deleted."))
        return redirect(_table_url(project_id, ""))
