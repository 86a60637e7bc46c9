"""Console views of the trace explorer, one module per page family."""

from apps.traces.views.activity import SessionReplayView, SessionsView, UsersView
from apps.traces.views.detail import (
    TraceBookmarkView,
    TraceCommentView,
    TraceDeleteView,
    TraceDetailView,
    TraceTagsView,
)
from apps.traces.views.observations import ErrorsView, ObservationsView
from apps.traces.views.saved import SavedViewCreateView, SavedViewDeleteView
from apps.traces.views.table import TracesView
from apps.traces.views.user import UserView

__all__ = [
    "ErrorsView",
    "ObservationsView",
    "SavedViewCreateView",
    "SavedViewDeleteView",
    "SessionReplayView",
    "SessionsView",
    "TraceBookmarkView",
    "TraceCommentView",
    "TraceDeleteView",
    "TraceDetailView",
    "TraceTagsView",
    "TracesView",
    "UserView",
    "UsersView",
]
