"""Observation-shaped plain objects for tests of code that only reads observations (tree, graph)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass
class Obs:
    id: str
    parent_observation_id: str | None = None
    type: str = "SPAN"
    name: str | None = None
    level: str = "DEFAULT"
    start: float = 0
    end: float | None = 1
    total_tokens: int = 0
    total_cost: float | None = None

    @property
    def start_time(self):
        return T0 + timedelta(seconds=self.start)

    @property
    def end_time(self):
        return None if self.end is None else T0 + timedelta(seconds=self.end)
