"""The errors view: kinds of failure, counts over time, filtering by kind (page and export)."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.traces import error_kinds
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core

MESSAGES = {
    "rate_limit": [
        "Error code: 429 - Too Many Requests",
        "RateLimitError: Rate limit reached for gpt-4o",
        "レート制限を超えました",
    ],
    "auth": ["401 Unauthorized", "Incorrect API key provided: invalid api key", "Error code: 403"],
    "timeout": ["Request timed out.", "ReadTimeout", "504 Gateway Timeout", "タイムアウトしました"],
    "context_length": ["This model's maximum context length is 8192 tokens", "context_length_exceeded"],
    "server": ["500 Internal Server Error", "Error code: 529 Overloaded", "503 Service Unavailable"],
    "content_filter": ["The response was filtered due to the prompt triggering content management policy"],
    "other": ["division by zero", None, "error 4290 in step 5000"],
}


@pytest.mark.parametrize(("kind", "message"), [(k, m) for k, ms in MESSAGES.items() for m in ms])
def test_messages_are_classified(kind, message):
    assert error_kinds.classify(message) == kind


@pytest.fixture
def failures(tenant, api_client):
    now = timezone.now()
    events = []
    for index, (kind, messages) in enumerate(MESSAGES.items()):
        for n, message in enumerate(messages):
            at = (now - timezone.timedelta(minutes=10 * index + n)).isoformat()
            events.append(
                event(
                    "span-create",
                    {
                        "id": f"{kind}-{n}",
                        "traceId": f"t-{kind}",
                        "name": f"step-{kind}",
                        "startTime": at,
                        "endTime": at,
                        "level": "ERROR",
                        "statusMessage": message,
                    },
                )
            )
    post_batch(api_client, tenant.project_key.header, events)
    return tenant


def test_errors_view_counts_kinds_over_time_and_filters(failures, member_client):
    url = reverse("projects:errors", args=[failures.project.id])
    page = member_client.get(url)
    assert page.status_code == 200
    counts = {key: count for key, _label, count in page.context["kinds"]}
    assert counts == {kind: len(messages) for kind, messages in MESSAGES.items()}
    assert sum(bar["count"] for bar in page.context["timeline"]) == sum(counts.values())
    assert all(sum(b["count"] for b in g["bars"]) == g["count"] for g in page.context["groups"])
    limited = member_client.get(url, {"kind": "rate_limit"})
    assert {g["kind"] for g in limited.context["groups"]} == {"rate_limit"}
    assert sum(bar["count"] for bar in limited.context["timeline"]) == 3
    assert member_client.get(url, {"kind": "bogus"}).context["kind"] == ""


@pytest.mark.parametrize("kind", list(MESSAGES))
def test_the_export_applies_the_kind_in_the_database(failures, member_client, kind):
    response = member_client.post(
        reverse("projects:export", args=[failures.project.id, "errors"]) + f"?range=24h&kind={kind}",
        {"format": "csv"},
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["statusMessage"] for r in rows) == sorted(m or "" for m in MESSAGES[kind])
    assert {r["kind"] for r in rows} == {kind}


def test_the_page_lists_a_kind_beyond_the_groups_it_classifies(failures, member_client, monkeypatch):
    """Chips count the largest groups only; the kind's table comes from the database, as its export does."""
    from apps.traces.views import observations

    monkeypatch.setattr(observations, "ERROR_GROUPS_CLASSIFIED", 1)
    page = member_client.get(reverse("projects:errors", args=[failures.project.id]), {"kind": "content_filter"})
    assert [g["status_message"] for g in page.context["groups"]] == MESSAGES["content_filter"]
