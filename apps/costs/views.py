"""Console: the project's custom models, and recomputing historical costs with progress."""

from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from apps.core.errors import InvalidRequest
from apps.core.views import ConsoleView
from apps.costs import selectors, services

_PER_MILLION = Decimal(1_000_000)


def _per_token(value: str, label: str) -> str | None:
    """Prices are typed per million tokens in the console and stored per token."""
    if not value.strip():
        return None
    try:
        return str(Decimal(value.strip()) / _PER_MILLION)
    except InvalidOperation:
        raise InvalidRequest(_("%(label)s must be a number") % {"label": label}) from None


def _day(value: str, *, end: bool = False) -> datetime:
    day = parse_date(value or "")
    if day is None:
        raise InvalidRequest(_("Choose both dates of the window"))
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if end else moment


class ProjectModelsView(ConsoleView):
    scope = "models"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        return render(
            request,
            "costs/models.html",
            {
                "models": selectors.model_list(access=self.access, own_only=True),
                "managed_count": selectors.model_list(access=self.access).filter(project_id__isnull=True).count(),
                **_jobs_context(self.access),
                "today": timezone.now().date().isoformat(),
                "month_ago": (timezone.now() - timedelta(days=30)).date().isoformat(),
            },
        )

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        services.model_create(
            access=self.access,
            model_name=request.POST.get("model_name", ""),
            match_pattern=request.POST.get("match_pattern", ""),
            input_price=_per_token(request.POST.get("input_price", ""), _("Input price")),
            output_price=_per_token(request.POST.get("output_price", ""), _("Output price")),
            tokenizer_id="openai" if request.POST.get("tokenizer_model") else None,
            tokenizer_config={"tokenizerModel": request.POST["tokenizer_model"]}
            if request.POST.get("tokenizer_model")
            else None,
        )
        messages.success(request, _("Model added. Recompute past costs below if earlier generations should use it."))
        return redirect("projects:models", project_id=project_id)


class ProjectModelDeleteView(ConsoleView):
    scopes = {"POST": "models:write"}

    def post(self, request: HttpRequest, project_id: str, model_id: str) -> HttpResponse:
        services.model_delete(access=self.access, model_id=model_id)
        messages.success(request, _("Model deleted."))
        return redirect("projects:models", project_id=project_id)


def _jobs_context(access) -> dict:
    """The recompute jobs table, polled while any of its jobs (not only the newest) is active."""
    jobs = list(selectors.recompute_job_list(access=access))
    return {"jobs": jobs, "polling": any(job.active for job in jobs)}


class CostRecomputeView(ConsoleView):
    scopes = {"GET": "models:read", "POST": "models:write"}

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        """The jobs table alone: polled by the page while a job runs."""
        return render(request, "costs/_jobs.html", _jobs_context(self.access))

    def post(self, request: HttpRequest, project_id: str) -> HttpResponse:
        services.cost_recompute_start(
            access=self.access,
            window_start=_day(request.POST.get("from", "")),
            window_end=_day(request.POST.get("to", ""), end=True),
        )
        messages.success(request, _("Recomputing costs. Progress is shown below."))
        return redirect("projects:models", project_id=project_id)
