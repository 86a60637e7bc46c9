"""Console: exporting a table (streamed at once or as a job), the project's exports with progress, downloads."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.blobs import LocalBlobStore, blob_store
from apps.core.errors import InvalidRequest
from apps.core.views import ConsoleView
from apps.exports import selectors, services
from apps.traces import export_tables, exports

DOWNLOAD_URL_SECONDS = 300


def _jobs(access) -> dict:
    jobs = list(selectors.export_job_list(access=access))
    return {"jobs": jobs, "polling": any(job.active for job in jobs)}


class TableExportView(ConsoleView):
    """POST from a table's export menu: the table's filters are the query string, the format is posted.

    Small exports stream at once; large ones (or `background`) become a job shown on the exports page.
    Exporting is reading, so a Viewer may do it.
    """

    scopes = {"POST": "traces:read"}

    def post(self, request: HttpRequest, project_id: str, table: str) -> HttpResponse:
        spec = export_tables.TABLES.get(table)
        if spec is None:
            raise Http404("Unknown table")
        export_format = request.POST.get("format") or spec.formats[0]
        if export_format not in spec.formats:
            raise Http404("Unknown export format")
        params = export_tables.clean_params(spec, request.GET)
        try:
            export_tables.queryset(spec, project_id, params)  # builds (not runs) the query: refuses bad filters
            background = request.POST.get("background") or services.export_runs_in_background(
                access=self.access, table=spec, params=params
            )
        except InvalidRequest as exc:  # a filter the table refuses: back to the table, which says why
            messages.error(request, exc.message)
            return redirect(f"{reverse(spec.page, args=[project_id])}?{request.GET.urlencode()}")
        if background:
            services.export_start(access=self.access, table=spec, export_format=export_format, params=params)
            messages.success(request, _("Export started. Its progress is shown below; download it when it is done."))
            return redirect("projects:exports", project_id=project_id)
        services.export_direct_record(access=self.access, table=spec, export_format=export_format, params=params)
        rows = (row for row in export_tables.rows(spec, project_id, params) if row is not None)
        return exports.streaming_response(rows, export_format, filename=f"{spec.name}-{project_id}")


class ExportsView(ConsoleView):
    """The project's recent exports with their progress and downloads."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        context = {**_jobs(self.access), "retention_days": settings.EXPORT_RETENTION_DAYS}
        return render(request, "exports/list.html", context)


class ExportJobsView(ConsoleView):
    """The jobs table alone: polled by the exports page while a job is queued or running."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        return render(request, "exports/_jobs.html", _jobs(self.access))


class ExportDownloadView(ConsoleView):
    """A finished export's file: served from the local store, or a short-lived presigned S3 URL."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, job_id: str) -> HttpResponse:
        job = selectors.export_file_get(access=self.access, job_id=job_id)
        store = blob_store()
        content_type = exports.FORMATS[job.format]
        if isinstance(store, LocalBlobStore):
            if not store.exists(job.file_key):
                raise Http404("Export file not found")
            handle = open(store.path(job.file_key), "rb")  # noqa: SIM115 (FileResponse closes it)
            return FileResponse(handle, as_attachment=True, filename=job.filename, content_type=content_type)
        url = store.presign_get(
            job.file_key, content_type=content_type, expires_in=timedelta(seconds=DOWNLOAD_URL_SECONDS)
        )
        return redirect(url.url)
