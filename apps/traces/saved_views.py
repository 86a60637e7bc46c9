"""Saved views of console tables: a name for a query string (filters, sort, columns).

Everybody who can read a table can keep personal views of it; sharing a view with the whole
project, or deleting a shared one, needs write access to the project's traces.
"""

from urllib.parse import parse_qsl, urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import InvalidRequest, NotFound
from apps.traces.models import SavedView

TABLES = ("traces",)
MAX_VIEWS_PER_USER = 50
MAX_QUERY_CHARS = 4000
NOT_SAVED = {"page"}  # where the user was in the table is not part of the view


def visible_views(*, access: Access, table: str) -> QuerySet[SavedView]:
    """The caller's own views of a table and the views shared with the project, by name."""
    return SavedView.objects.filter(
        Q(owner=access.user) | Q(shared=True), project_id=access.project.id, table=table
    ).order_by("name", "id")


def clean_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in NOT_SAVED]
    return urlencode(pairs)


def saved_view_create(*, access: Access, table: str, name: str, query: str, shared: bool) -> SavedView:
    access.require("traces:write" if shared else "traces:read")
    name = name.strip()
    if table not in TABLES:
        raise InvalidRequest("Unknown table")
    if not name or len(name) > 100:
        raise InvalidRequest("A view needs a name of 1 to 100 characters.")
    query = clean_query(query)
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"These filters are too long to save (more than {MAX_QUERY_CHARS} characters).")
    project_id = access.project.id
    owned = SavedView.objects.filter(project_id=project_id, owner=access.user, table=table)
    if owned.count() >= MAX_VIEWS_PER_USER:
        raise InvalidRequest(f"You have {MAX_VIEWS_PER_USER} saved views already; delete one first.")
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                project_id=project_id, owner=access.user, table=table, name=name, query=query, shared=shared
            )
            audit_record(
                access=access,
                action="saved_view.create",
                target_type="saved_view",
                target_id=view.id,
                after={"name": name, "table": table, "query": query, "shared": shared},
            )
    except IntegrityError:
        raise InvalidRequest(f"You already have a view named {name!r}.") from None
    return view


def saved_view_delete(*, access: Access, view_id: str) -> None:
    """Delete one of the caller's views, or (with write access) a view shared with the project."""
    access.require("traces:read")
    view = SavedView.objects.filter(project_id=access.project.id, id=view_id).first()
    if view is None or (view.owner_id != access.user.id and not view.shared):
        raise NotFound("No such saved view")
    if view.owner_id != access.user.id:
        access.require("traces:write")
    with transaction.atomic():
        view.delete()
        audit_record(
            access=access,
            action="saved_view.delete",
            target_type="saved_view",
            target_id=view_id,
            before={"name": view.name, "table": view.table, "query": view.query, "shared": view.shared},
        )
