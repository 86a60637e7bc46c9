"""Public API: /models (list, create, get, delete), with Langfuse's Model shape."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import ConfigDict

from apps.core.api import TenantRouter
from apps.core.pagination import PageMeta, PageParams, paginate
from apps.core.schemas import IsoDateTime
from apps.costs import selectors, services
from apps.costs.models import ModelDefinition

router = TenantRouter(tags=["Models"])
Unit = Literal["CHARACTERS", "TOKENS", "MILLISECONDS", "SECONDS", "IMAGES", "REQUESTS"]


class TierOut(Schema):
    id: str
    name: str
    isDefault: bool
    priority: int
    conditions: list[dict[str, Any]]
    prices: dict[str, float]


class ModelOut(Schema):
    id: str
    modelName: str
    matchPattern: str
    startDate: IsoDateTime | None
    unit: Unit | None
    inputPrice: float | None
    outputPrice: float | None
    totalPrice: float | None
    tokenizerId: str | None
    tokenizerConfig: Any
    isLangfuseManaged: bool
    createdAt: IsoDateTime
    prices: dict[str, dict[str, float]]
    pricingTiers: list[TierOut]


class ModelsOut(Schema):
    data: list[ModelOut]
    meta: PageMeta


class TierIn(Schema):
    name: str
    isDefault: bool
    priority: int
    conditions: list[dict[str, Any]] = []
    prices: dict[str, float]


class ModelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    modelName: str
    matchPattern: str
    startDate: datetime | None = None
    unit: Unit | None = None
    inputPrice: float | None = None
    outputPrice: float | None = None
    totalPrice: float | None = None
    pricingTiers: list[TierIn] | None = None
    tokenizerId: str | None = None
    tokenizerConfig: Any = None


def model_out(model: ModelDefinition) -> dict[str, Any]:
    tiers = sorted(model.tiers.all(), key=lambda t: t.priority)
    default = next((t.prices for t in tiers if t.is_default), {})
    return {
        "id": model.id,
        "modelName": model.model_name,
        "matchPattern": model.match_pattern,
        "startDate": model.start_date,
        "unit": model.unit,
        "inputPrice": float(default["input"]) if "input" in default else None,
        "outputPrice": float(default["output"]) if "output" in default else None,
        "totalPrice": float(default["total"]) if "total" in default else None,
        "tokenizerId": model.tokenizer_id,
        "tokenizerConfig": model.tokenizer_config,
        "isLangfuseManaged": model.project_id is None,
        "createdAt": model.created_at,
        "prices": {k: {"price": float(v)} for k, v in default.items()},
        "pricingTiers": [
            {
                "id": t.id,
                "name": t.name,
                "isDefault": t.is_default,
                "priority": t.priority,
                "conditions": t.conditions,
                "prices": {k: float(v) for k, v in t.prices.items()},
            }
            for t in tiers
        ],
    }


@router.get("/models", scope="models:read", response=ModelsOut)
def model_list(request: HttpRequest, params: Query[PageParams]):
    items, meta = paginate(selectors.model_list(access=request.auth), params)
    return {"data": [model_out(m) for m in items], "meta": meta}


@router.post("/models", scope="models:write", response=ModelOut)
def model_create(request: HttpRequest, body: ModelIn):
    model = services.model_create(
        access=request.auth,
        model_name=body.modelName,
        match_pattern=body.matchPattern,
        start_date=body.startDate,
        unit=body.unit,
        input_price=body.inputPrice,
        output_price=body.outputPrice,
        total_price=body.totalPrice,
        pricing_tiers=[t.model_dump() for t in body.pricingTiers] if body.pricingTiers else None,
        tokenizer_id=body.tokenizerId,
        tokenizer_config=body.tokenizerConfig,
    )
    return model_out(selectors.model_get(access=request.auth, model_id=model.id))


@router.get("/models/{model_id}", scope="models:read", response=ModelOut)
def model_get(request: HttpRequest, model_id: str):
    return model_out(selectors.model_get(access=request.auth, model_id=model_id))


@router.delete("/models/{model_id}", scope="models:write", response={204: None})
def model_delete(request: HttpRequest, model_id: str):
    services.model_delete(access=request.auth, model_id=model_id)
    return Status(204, None)
