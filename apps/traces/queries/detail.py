"""Reads for the console's trace page beyond the shared trace queries."""

from apps.traces.models import Observation


def observation_in_trace(*, project_id: str, trace_id: str, observation_id: str) -> bool:
    """Whether the observation exists in this trace of this project."""
    return Observation.objects.filter(project_id=project_id, trace_id=trace_id, id=observation_id).exists()


def observation_of_trace(*, project_id: str, trace_id: str, observation_id: str) -> Observation | None:
    """One observation of this trace of this project, whole (input, output, metadata), or None."""
    return Observation.objects.filter(project_id=project_id, trace_id=trace_id, id=observation_id).first()
