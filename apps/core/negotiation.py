"""DRF content negotiation for the public API (kept apart from apps.core.drf, which DRF imports late)."""

from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The public API answers JSON whatever the client's Accept says (OTLP exporters send odd ones)."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type
