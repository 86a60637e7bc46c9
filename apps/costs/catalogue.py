"""The model catalogue: managed definitions from the bundled price list, plus project models.

`model_matcher(project_id)` returns a matcher cached per process and revalidated against a
cheap database fingerprint, so every web and worker process sees changes immediately.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.dateparse import parse_datetime

from apps.costs.conditions import Predicate, compile_conditions
from apps.costs.models import ModelDefinition, PricingTier

PRICE_LIST = Path(__file__).resolve().parent / "data" / "default-model-prices.json"


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    is_default: bool
    priority: int
    conditions: list[dict[str, Any]]
    prices: dict[str, str]
    # The prices as Decimals and the conditions as one predicate, made once per catalogue load
    # rather than once per priced row.
    unit_prices: dict[str, Decimal] = field(init=False, compare=False)
    holds: Predicate = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_prices", {k: Decimal(str(v)) for k, v in self.prices.items()})
        object.__setattr__(self, "holds", compile_conditions(self.conditions))


@dataclass(frozen=True)
class CatalogueModel:
    id: str
    project_id: str | None
    model_name: str
    pattern: re.Pattern
    start_date: datetime | None
    tokenizer_id: str | None
    tokenizer_config: dict | None
    tiers: tuple[Tier, ...]
    default_tier: Tier | None = field(init=False, compare=False)
    conditional_tiers: tuple[Tier, ...] = field(init=False, compare=False)  # by priority

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_tier", next((t for t in self.tiers if t.is_default), None))
        conditional = tuple(t for t in self.tiers if not t.is_default and t.conditions)
        object.__setattr__(self, "conditional_tiers", conditional)


def compile_pattern(pattern: str) -> re.Pattern:
    """Langfuse patterns are PostgreSQL regexes starting with (?i); Python's `re` reads them too."""
    return re.compile(pattern)


_MEMO_MAX = 10_000


@dataclass
class Matcher:
    models: list[CatalogueModel]
    _memo: dict[str, CatalogueModel | None] = field(default_factory=dict)

    def match(self, model: str | None) -> CatalogueModel | None:
        """Project models first, then newest start date; the first whose pattern is found wins."""
        if not model:
            return None
        if model not in self._memo:
            if len(self._memo) >= _MEMO_MAX:  # clients choose model names: keep the memo bounded
                self._memo.clear()
            self._memo[model] = next((m for m in self.models if m.pattern.search(model)), None)
        return self._memo[model]


_matchers: dict[str | None, tuple[tuple, Matcher, float]] = {}
_lock = threading.Lock()


def _fingerprint(project_id: str) -> tuple:
    scope = Q(project_id=project_id) | Q(project_id__isnull=True)
    stats = ModelDefinition.objects.filter(scope).aggregate(n=Count("id"), changed=Max("updated_at"))
    return stats["n"], stats["changed"]


def _load(project_id: str) -> Matcher:
    rows = ModelDefinition.objects.filter(Q(project_id=project_id) | Q(project_id__isnull=True)).prefetch_related(
        "tiers"
    )
    models = []
    for row in rows:
        try:
            pattern = compile_pattern(row.match_pattern)
        except re.error:
            continue  # a broken custom pattern must not break pricing for everything else
        tiers = tuple(
            Tier(t.id, t.name, t.is_default, t.priority, t.conditions or [], t.prices or {})
            for t in sorted(row.tiers.all(), key=lambda t: t.priority)
        )
        models.append(
            CatalogueModel(
                row.id,
                row.project_id,
                row.model_name,
                pattern,
                row.start_date,
                row.tokenizer_id,
                row.tokenizer_config,
                tiers,
            )
        )
    # Project-owned first, then newest start date (none last), then name for a stable order.
    models.sort(
        key=lambda m: (m.project_id is None, -(m.start_date.timestamp() if m.start_date else -1e12), m.model_name)
    )
    return Matcher(models)


_REVALIDATE_SECONDS = 2.0


def model_matcher(project_id: str) -> Matcher:
    """The project's matcher; the database fingerprint is re-read at most every two seconds."""
    now = time.monotonic()
    with _lock:
        cached = _matchers.get(project_id)
        if cached is not None and now - cached[2] < _REVALIDATE_SECONDS:
            return cached[1]
    fingerprint = _fingerprint(project_id)
    if cached is not None and cached[0] == fingerprint:
        matcher = cached[1]
    else:
        matcher = _load(project_id)
    with _lock:
        _matchers[project_id] = (fingerprint, matcher, now)
    return matcher


def _tier_rows(model: ModelDefinition, tiers: list[dict[str, Any]]) -> list[PricingTier]:
    return [
        PricingTier(
            id=t.get("id") or None,
            model=model,
            name=t["name"],
            is_default=bool(t.get("isDefault")),
            priority=int(t.get("priority") or 0),
            conditions=t.get("conditions") or [],
            prices={k: str(v) for k, v in (t.get("prices") or {}).items()},
        )
        for t in tiers
    ]


def sync_managed_models(path: Path = PRICE_LIST) -> int:
    """Upsert the managed definitions whose entry in the price list is newer; returns how many changed."""
    entries = json.loads(path.read_text())
    existing = {m.id: m for m in ModelDefinition.objects.filter(project_id__isnull=True)}
    changed = 0
    with transaction.atomic():
        for entry in entries:
            updated = parse_datetime(entry["updatedAt"])
            current = existing.get(entry["id"])
            if current is not None and current.source_updated_at and current.source_updated_at >= updated:
                continue
            model, _ = ModelDefinition.objects.update_or_create(
                id=entry["id"],
                defaults={
                    "project_id": None,
                    "model_name": entry["modelName"],
                    "match_pattern": entry["matchPattern"],
                    "tokenizer_id": entry.get("tokenizerId"),
                    "tokenizer_config": entry.get("tokenizerConfig"),
                    "source_updated_at": updated,
                },
            )
            model.tiers.all().delete()
            tiers = _tier_rows(model, entry.get("pricingTiers") or [])
            for tier in tiers:
                tier.id = tier.id or f"{model.id}_{tier.priority}"
            PricingTier.objects.bulk_create(tiers)
            changed += 1
    return changed
