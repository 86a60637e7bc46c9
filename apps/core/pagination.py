"""Langfuse's page/limit pagination: page from 1, limit 1-100 (default 50)."""

from typing import Any

from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from ninja import Schema
from pydantic import Field


class PageParams(Schema):
    page: int = Field(1, ge=1)
    limit: int = Field(50, ge=1, le=100)


class PageMeta(Schema):
    page: int
    limit: int
    totalItems: int
    totalPages: int


def rows_slice(queryset: QuerySet, start: int, stop: int) -> list[Any]:
    """`queryset[start:stop]`, as a deferred join for model rows: the keys of the window first
    (an index-only scan when an index covers the ordering and the key), then only those rows.
    Deep pages then skip index entries instead of reading every skipped row from the table."""
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not ModelIterable:
        return list(queryset[start:stop])
    if start == 0 or queryset.query.annotations:
        return list(queryset[start:stop])
    keys = list(queryset.values_list("pk", flat=True)[start:stop])
    if not keys:
        return []
    # From the same queryset, so its select_related, prefetch_related, only and defer still apply.
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
    return [rows[key] for key in keys if key in rows]


def paginate(queryset: QuerySet, params: PageParams) -> tuple[list[Any], dict[str, int]]:
    total = queryset.count()
    start = (params.page - 1) * params.limit
    items = rows_slice(queryset, start, start + params.limit)
    pages = (total + params.limit - 1) // params.limit
    return items, {"page": params.page, "limit": params.limit, "totalItems": total, "totalPages": pages}


class Window:
    """One page of a console table without counting the whole table (COUNT(*) grows with it)."""

    def __init__(self, queryset: QuerySet, page: object, per_page: int = 50) -> None:
        try:
            self.number = max(int(page), 1)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * per_page
        rows = rows_slice(queryset, start, start + per_page + 1)
        self.object_list = rows[:per_page]
        self.has_next = len(rows) > per_page
        self.has_previous = self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
