"""The /models API and the console page for custom models."""

import pytest

from apps.audit.models import AuditEntry
from apps.costs.models import ModelDefinition

pytestmark = pytest.mark.core

MODEL_KEYS = {
    "id",
    "modelName",
    "matchPattern",
    "startDate",
    "unit",
    "inputPrice",
    "outputPrice",
    "totalPrice",
    "tokenizerId",
    "tokenizerConfig",
    "isLangfuseManaged",
    "createdAt",
    "prices",
    "pricingTiers",
}


def _post(api_client, tenant, body):
    return api_client.post(
        "/api/public/models", body, content_type="application/json", HTTP_AUTHORIZATION=tenant.project_key.header
    )


def test_list_includes_managed_models_with_the_full_shape(tenant, api_client):
    response = api_client.get("/api/public/models?limit=100", HTTP_AUTHORIZATION=tenant.project_key.header)
    body = response.json()
    assert body["meta"]["totalItems"] >= 100 and body["meta"]["limit"] == 100
    gpt4o = next(m for m in body["data"] if m["modelName"] == "gpt-4o")
    assert set(gpt4o) == MODEL_KEYS and gpt4o["isLangfuseManaged"] is True
    assert gpt4o["inputPrice"] == 2.5e-6 and gpt4o["prices"]["input"] == {"price": 2.5e-6}
    assert {t["name"] for t in gpt4o["pricingTiers"]} == {"Standard", "Fast mode"}
    assert (
        api_client.get("/api/public/models?limit=101", HTTP_AUTHORIZATION=tenant.project_key.header).status_code == 400
    )


def test_create_get_delete(tenant, api_client):
    response = _post(
        api_client,
        tenant,
        {
            "modelName": "ft-model",
            "matchPattern": "(?i)^ft:.*$",
            "inputPrice": 0.000001,
            "outputPrice": 0.000002,
            "unit": "TOKENS",
        },
    )
    assert response.status_code == 200, response.content
    model = response.json()
    assert model["isLangfuseManaged"] is False and model["outputPrice"] == 0.000002
    assert model["pricingTiers"][0]["isDefault"] is True
    header = tenant.project_key.header
    assert api_client.get(f"/api/public/models/{model['id']}", HTTP_AUTHORIZATION=header).json()["id"] == model["id"]
    assert AuditEntry.objects.filter(action="model.create", target_id=model["id"]).exists()
    assert _post(api_client, tenant, {"modelName": "ft-model", "matchPattern": "x"}).status_code == 409
    assert api_client.delete(f"/api/public/models/{model['id']}", HTTP_AUTHORIZATION=header).status_code == 204
    assert api_client.get(f"/api/public/models/{model['id']}", HTTP_AUTHORIZATION=header).status_code == 404


def test_managed_models_cannot_be_deleted(tenant, api_client):
    response = api_client.delete(
        "/api/public/models/b9854a5c92dc496b997d99d20", HTTP_AUTHORIZATION=tenant.project_key.header
    )
    assert response.status_code == 404
    assert ModelDefinition.objects.filter(id="b9854a5c92dc496b997d99d20").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"modelName": "x", "matchPattern": "(unclosed"},
        {"modelName": "", "matchPattern": "x"},
        {"modelName": "x", "matchPattern": "x", "inputPrice": -1},
        {"modelName": "x", "matchPattern": "x", "inputPrice": 1, "totalPrice": 2},
        {
            "modelName": "x",
            "matchPattern": "x",
            "pricingTiers": [
                {"name": "a", "isDefault": False, "priority": 1, "conditions": [], "prices": {"input": 1}}
            ],
        },
        {"modelName": "x", "matchPattern": "x", "unit": "PARSECS"},
    ],
)
def test_bad_models_are_refused(body, tenant, api_client):
    assert _post(api_client, tenant, body).status_code == 400
    assert not ModelDefinition.objects.filter(project_id=tenant.project.id).exists()


def test_tiered_model(tenant, api_client):
    tiers = [
        {"name": "Standard", "isDefault": True, "priority": 0, "conditions": [], "prices": {"input": 1e-6}},
        {
            "name": "Long context",
            "isDefault": False,
            "priority": 1,
            "prices": {"input": 2e-6},
            "conditions": [{"usageDetailPattern": "input", "operator": "gt", "value": 200000, "caseSensitive": False}],
        },
    ]
    response = _post(api_client, tenant, {"modelName": "tiered", "matchPattern": "^tiered$", "pricingTiers": tiers})
    assert response.status_code == 200, response.content
    from apps.traces.models import Observation
    from tests.ingestion.helpers import event, post_batch

    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event(
                "generation-create", {"id": "small", "traceId": "t", "model": "tiered", "usageDetails": {"input": 10}}
            ),
            event(
                "generation-create", {"id": "big", "traceId": "t", "model": "tiered", "usageDetails": {"input": 300000}}
            ),
        ],
    )
    rows = {o.id: o for o in Observation.objects.filter(project_id=tenant.project.id)}
    assert rows["small"].pricing_tier_name == "Standard" and rows["big"].pricing_tier_name == "Long context"
    assert float(rows["big"].total_cost) == pytest.approx(0.6)


def test_console_models_page(tenant, member_client):
    url = f"/project/{tenant.project.id}/settings/models/"
    response = member_client.post(
        url,
        {
            "model_name": "console-model",
            "match_pattern": "^console$",
            "input_price": "2.5",
            "output_price": "10",
            "tokenizer_model": "gpt-4o",
        },
    )
    assert response.status_code == 302
    model = ModelDefinition.objects.get(project_id=tenant.project.id, model_name="console-model")
    assert model.tiers.get().prices == {"input": "0.0000025", "output": "0.00001"}
    assert model.tokenizer_config == {"tokenizerModel": "gpt-4o"}
    page = member_client.get(url)
    assert b"console-model" in page.content
    bad = member_client.post(url, {"model_name": "broken", "match_pattern": "(", "input_price": "1"})
    assert any("not a valid regex" in str(m) for m in bad.wsgi_request._messages)
