"""Reads of model definitions and recompute jobs."""

from django.db.models import Q, QuerySet

from apps.core.access import Access
from apps.core.errors import NotFound
from apps.costs.models import CostRecomputeJob, ModelDefinition


def model_list(*, access: Access, own_only: bool = False) -> QuerySet[ModelDefinition]:
    """The project's models, then the managed ones, each by name (own_only: project models only)."""
    access.require("models:read")
    scope = (
        Q(project_id=access.project.id) if own_only else Q(project_id=access.project.id) | Q(project_id__isnull=True)
    )
    return ModelDefinition.objects.filter(scope).prefetch_related("tiers").order_by("project_id", "model_name", "id")


def model_get(*, access: Access, model_id: str) -> ModelDefinition:
    model = model_list(access=access).filter(id=model_id).first()
    if model is None:
        raise NotFound(f"Model {model_id} not found within authorized project")
    return model


def recompute_job_list(*, access: Access) -> QuerySet[CostRecomputeJob]:
    access.require("models:read")
    return CostRecomputeJob.objects.filter(project_id=access.project.id).order_by("-created_at")[:20]
