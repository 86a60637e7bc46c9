"""Usage and cost: model matching, pricing tiers, ingested cost precedence, price unknown, tokenizing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.costs.catalogue import sync_managed_models
from apps.costs.models import ModelDefinition, PricingTier
from apps.costs.tokenizers import count_tokens, encoding_for
from apps.ingestion.tasks import enrich_pending, sweep_pending_enrichment
from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core


def _generation(tenant, api_client, **body):
    body = {"id": "g", "traceId": "t", **body}
    assert post_batch(api_client, tenant.project_key.header, [event("generation-create", body)]).status_code == 207
    return Observation.objects.get(project_id=tenant.project.id, id=body["id"])


def test_price_list_is_seeded(db):
    assert ModelDefinition.objects.filter(project_id__isnull=True).count() >= 100
    assert ModelDefinition.objects.get(id="b9854a5c92dc496b997d99d20").model_name == "gpt-4o"
    assert sync_managed_models() == 0  # idempotent: nothing newer in the list


def test_cost_from_the_default_tier(tenant, api_client):
    generation = _generation(tenant, api_client, model="openai/GPT-4o", usageDetails={"input": 1000, "output": 100})
    assert generation.cost_status == "computed" and generation.model_id == "b9854a5c92dc496b997d99d20"
    assert generation.pricing_tier_name == "Standard"
    assert generation.total_cost == Decimal("0.0035")
    assert Decimal(generation.cost_details["input"]) == Decimal("0.0025")


def test_conditional_tier_on_model_parameters(tenant, api_client):
    generation = _generation(
        tenant,
        api_client,
        model="gpt-4o",
        modelParameters={"service_tier": "priority"},
        usageDetails={"input": 1000, "output": 100},
    )
    assert generation.pricing_tier_name == "Fast mode"
    assert generation.total_cost == Decimal("0.00595")


def test_ingested_cost_wins(tenant, api_client):
    generation = _generation(
        tenant, api_client, model="gpt-4o", usageDetails={"input": 1000}, costDetails={"input": 0.5, "output": 0.25}
    )
    assert generation.cost_status == "provided" and generation.total_cost == Decimal("0.75")


def test_absurd_counts_are_dropped_and_an_unstorable_cost_is_unknown(tenant, api_client):
    generation = _generation(tenant, api_client, model="gpt-4o", usageDetails={"input": 2 * 10**12, "output": 7})
    assert generation.usage_details == {"output": 7, "total": 7}  # two trillion tokens: not a count
    expensive = ModelDefinition.objects.create(
        project_id=tenant.project.id, model_name="gold", match_pattern="(?i)^gold$", unit="TOKENS"
    )
    PricingTier.objects.create(model=expensive, name="Standard", is_default=True, priority=0, prices={"input": "5000"})
    generation = _generation(tenant, api_client, id="g2", model="gold", usageDetails={"input": 900_000_000})
    assert (generation.cost_status, generation.total_cost) == ("unknown", None)  # $4.5e12 fits no column


def test_unknown_model_is_price_unknown_not_zero(tenant, api_client):
    generation = _generation(tenant, api_client, model="my-private-llm", usageDetails={"input": 10})
    assert generation.cost_status == "unknown" and generation.total_cost is None
    assert Trace.objects.get(project_id=tenant.project.id, id="t").total_cost is None


def test_project_model_beats_managed_one(tenant, api_client):
    model = ModelDefinition.objects.create(
        project_id=tenant.project.id, model_name="gpt-4o-custom", match_pattern="(?i)^gpt-4o$"
    )
    PricingTier.objects.create(model=model, name="Negotiated", is_default=True, prices={"input": "0.000001"})
    generation = _generation(tenant, api_client, model="gpt-4o", usageDetails={"input": 1000})
    assert generation.model_id == model.id and generation.total_cost == Decimal("0.001")


def test_other_projects_models_do_not_apply(tenant, other_tenant, api_client):
    model = ModelDefinition.objects.create(
        project_id=other_tenant.project.id, model_name="secret", match_pattern="(?i)^secret-model$"
    )
    PricingTier.objects.create(model=model, name="S", is_default=True, prices={"input": "1"})
    generation = _generation(tenant, api_client, model="secret-model", usageDetails={"input": 10})
    assert generation.cost_status == "unknown"


def test_missing_usage_is_tokenized_in_the_background(tenant, api_client):
    messages = [{"role": "user", "content": "How many tokens is this sentence?"}]
    generation = _generation(tenant, api_client, model="gpt-4o", input=messages, output="Exactly eleven, I think.")
    assert generation.cost_status == "pending" and generation.total_cost is None
    assert enrich_pending(project_id=tenant.project.id) == 1
    generation.refresh_from_db()
    encoding = encoding_for("gpt-4o")
    expected_input = 3 + 3 + len(encoding.encode("user")) + len(encoding.encode(messages[0]["content"]))
    expected_output = len(encoding.encode("Exactly eleven, I think."))
    assert generation.usage_details == {
        "input": expected_input,
        "output": expected_output,
        "total": expected_input + expected_output,
    }
    assert generation.cost_status == "computed" and generation.total_cost > 0
    assert Trace.objects.get(project_id=tenant.project.id, id="t").total_tokens == expected_input + expected_output


def test_errors_are_not_tokenized(tenant, api_client):
    generation = _generation(tenant, api_client, model="gpt-4o", input="hi", level="ERROR")
    assert generation.cost_status == "unknown"


def test_sweeper_redoes_what_a_lost_task_left_pending(tenant, api_client, settings):
    settings.ENRICHMENT_GRACE_SECONDS = 0
    _generation(tenant, api_client, model="gpt-4o", input="lost task", output="still priced")
    assert sweep_pending_enrichment() == 1
    assert Observation.objects.get(project_id=tenant.project.id, id="g").cost_status == "computed"


def test_sweeper_leaves_observations_whose_task_is_still_due(tenant, api_client, settings):
    settings.ENRICHMENT_GRACE_SECONDS = 60
    _generation(tenant, api_client, id="old", model="gpt-4o", input="lost task")
    _generation(tenant, api_client, id="new", model="gpt-4o", input="task on its way")
    pending = Observation.objects.filter(project_id=tenant.project.id)
    pending.filter(id="old").update(updated_at=timezone.now() - timedelta(minutes=5))
    assert sweep_pending_enrichment() == 1
    assert dict(pending.values_list("id", "cost_status")) == {"old": "computed", "new": "pending"}


def test_tokenizer_uses_the_bundled_files_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # replaced by our offline cache on first use
    assert count_tokens("hello world", tokenizer_id="openai", config={"tokenizerModel": "gpt-4o"}) == 2
    assert count_tokens("hello world", tokenizer_id="openai", config={"tokenizerModel": "gpt-4"}) == 2
    assert count_tokens("x", tokenizer_id="unknown", config={}) is None


def test_structured_values_are_counted_as_their_compact_json_and_chat_only_for_langfuses_chat_models():
    """As Langfuse counts them: JSON.stringify's text (no spaces), and OpenAI's chat formula only
    for the tokenizer models it lists; another model's messages are their JSON text."""
    value = {"question": "What is the capital of France?", "context": {"k": [1, 2, 3], "a": "b"}}
    compact = '{"question":"What is the capital of France?","context":{"k":[1,2,3],"a":"b"}}'
    for config in ({"tokenizerModel": "gpt-4o"}, None):
        tokenizer = "openai" if config else "claude"
        assert count_tokens(value, tokenizer_id=tokenizer, config=config) == count_tokens(
            compact, tokenizer_id=tokenizer, config=config
        )
    messages = [{"role": "user", "content": "hello world"}]
    chat = {"tokenizerModel": "gpt-4o", "tokensPerMessage": 3, "tokensPerName": 1}
    assert count_tokens(messages, tokenizer_id="openai", config=chat) == 3 + 3 + 1 + 2  # primer, message, role, text
    plain = count_tokens(json.dumps(messages, separators=(",", ":")), tokenizer_id="openai", config=chat)
    assert count_tokens(messages, tokenizer_id="openai", config={**chat, "tokenizerModel": "gpt-4o-mini"}) == plain


def test_claude_tokenizer_counts_like_anthropics_package():
    # The cases of @anthropic-ai/tokenizer's own tests, plus NFKC normalisation and special tokens.
    assert count_tokens("hello world!", tokenizer_id="claude", config=None) == 3
    assert count_tokens("™", tokenizer_id="claude", config=None) == 1
    assert count_tokens("ϰ", tokenizer_id="claude", config=None) == 1
    assert count_tokens("<EOT>", tokenizer_id="claude", config=None) == 1
    assert count_tokens(None, tokenizer_id="claude", config=None) is None


def test_a_claude_generation_without_usage_is_tokenized(tenant, api_client):
    generation = _generation(
        tenant, api_client, model="claude-3-5-sonnet-20241022", input="hello world!", output="hello world!"
    )
    assert generation.cost_status == "pending"
    assert enrich_pending(project_id=tenant.project.id) == 1
    generation.refresh_from_db()
    assert generation.usage_details == {"input": 3, "output": 3, "total": 6}
    assert generation.cost_status == "computed" and generation.total_cost > 0


def test_the_jobs_table_keeps_polling_while_an_older_job_runs(tenant, member_client):
    from datetime import UTC, datetime, timedelta

    from django.urls import reverse

    from apps.costs.models import CostRecomputeJob

    window = {"window_start": datetime(2026, 1, 1, tzinfo=UTC), "window_end": datetime(2026, 2, 1, tzinfo=UTC)}
    older = CostRecomputeJob.objects.create(project_id=tenant.project.id, status="running", **window)
    newer = CostRecomputeJob.objects.create(project_id=tenant.project.id, status="done", **window)
    CostRecomputeJob.objects.filter(id=older.id).update(created_at=newer.created_at - timedelta(minutes=1))
    table = member_client.get(reverse("projects:cost_recompute", args=[tenant.project.id]))
    assert 'hx-trigger="every 2s"' in table.content.decode()
    assert "2026-01-01 – 2026-01-31" in table.content.decode()  # the window's days, its last one included
    CostRecomputeJob.objects.filter(id=older.id).update(status="done")
    table = member_client.get(reverse("projects:cost_recompute", args=[tenant.project.id]))
    assert 'hx-trigger="every 2s"' not in table.content.decode()
