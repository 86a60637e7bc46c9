"""Console views of the trace explorer, one module per page family."""

from apps.traces.views.activity import SessionReplayView, SessionsView, UsersView
from apps.traces.views.detail import TraceBookmarkView, TraceDeleteView, TraceDetailView
from apps.traces.views.observations import ErrorsView, ObservationsView
from apps.traces.views.table import TracesExportView, TracesView

__all__ = [
    "ErrorsView",
    "ObservationsView",
    "SessionReplayView",
    "SessionsView",
    "TraceBookmarkView",
    "TraceDeleteView",
    "TraceDetailView",
    "TracesExportView",
    "TracesView",
    "UsersView",
]
