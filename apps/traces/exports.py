"""Streaming exports of console tables: CSV, JSON and JSONL, row by row."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

FORMATS = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=_default)
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def _json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(row, ensure_ascii=False, default=_default)
    yield "]"


def _jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, default=_default) + "\n"


def encode(rows: Iterable[dict[str, Any]], export_format: str) -> Iterator[str]:
    """The rows as text pieces of one file in `export_format`, produced as the rows arrive."""
    return {"csv": _csv, "json": _json, "jsonl": _jsonl}[export_format](rows)


def streaming_response(rows: Iterable[dict[str, Any]], export_format: str, *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        encode(rows, export_format), content_type=f"{FORMATS[export_format]}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    return response
