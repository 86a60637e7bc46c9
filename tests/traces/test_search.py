"""Full-text search over traces (name, input, output, metadata), Japanese included."""

import pytest
from django.urls import reverse

from apps.traces import search
from apps.traces.models import Trace
from apps.traces.tasks import index_pending, index_pending_traces, pending_count
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


def test_unspaced_scripts_become_bigrams_and_text_is_normalised():
    assert search.expand("東京タワーに行く").split() == ["東京", "京タ", "タワ", "ワー", "ーに", "に行", "行く"]
    assert search.expand("ＧＰＴ-4o の回答").split() == ["gpt-4o", "の回", "回答"]
    assert search.expand("ｶﾀｶﾅ").split() == ["カタ", "タカ", "カナ"]  # half-width katakana
    assert search.expand("東、京").split() == ["東", "京"]  # CJK punctuation separates
    assert search.query_terms("タワー  Timeout !!") == ["タワ ワー", "timeout"]
    # A document also holds each run's last character alone (a one-character search finds it).
    assert search.expand("東京タワーに行く", document=True).split()[-2:] == ["行く", "く"]
    assert search.expand("東 ab 京都", document=True).split() == ["東", "ab", "京都", "都"]
    assert search.query_terms("  ") == []


def test_document_takes_strings_of_input_output_and_metadata_within_a_budget():
    doc = search.document(
        name="chat",
        input={"messages": [{"role": "user", "content": "天気は?"}]},
        output="Sunny",
        metadata={"region": "tokyo", "n": 3, "flag": True},
    )
    assert doc.split() == ["chat", "user", "天気", "気は", "は", "?", "sunny", "region", "tokyo", "n", "3", "flag"]
    # Where an OpenTelemetry trace came from is the same for a whole service: not searched.
    origin = {"resourceAttributes": {"telemetry.sdk.language": "python"}, "scope": {"name": "langfuse-sdk"}}
    assert search.document(name="chat", input=None, output=None, metadata={**origin, "team": "web"}).split() == [
        "chat",
        "team",
        "web",
    ]
    long = search.document(name=None, input="x" * 10_000, output="lost", metadata={})
    assert "lost" not in long and len(long) <= search.MAX_SOURCE_CHARS + 2


def test_tsquery_quotes_every_term():
    assert search.tsquery(["it's", "a\\b"]) == "'it''s':* & 'a\\\\b':*"


@pytest.fixture
def corpus(tenant, other_tenant, api_client):
    def trace(key, trace_id, **body):
        return event("trace-create", {"id": trace_id, "timestamp": iso(len(trace_id)), **body})

    post_batch(
        api_client,
        tenant.project_key.header,
        [
            trace(tenant, "jp", name="chat", input={"query": "東京タワーの高さは?"}, output="333メートルです"),
            trace(tenant, "en", name="support", input="My request timed out", output={"text": "Retry later"}),
            trace(tenant, "meta", name="rag", metadata={"customer": "acme-corp", "tier": "gold"}),
        ],
    )
    post_batch(
        api_client,
        other_tenant.project_key.header,
        [trace(other_tenant, "theirs", name="chat", input={"query": "東京タワーの高さは?"})],
    )
    return tenant


def _found(client, project_id, q):
    page = client.get(reverse("projects:traces", args=[project_id]), {"q": q})
    assert page.status_code == 200
    return sorted(t.id for t in page.context["page"].object_list)


def test_console_search_finds_japanese_english_and_metadata(corpus, member_client):
    assert pending_count(project_id=corpus.project.id) == 3
    assert _found(member_client, corpus.project.id, "タワー") == []  # not indexed yet, and the page says so
    waiting = member_client.get(reverse("projects:traces", args=[corpus.project.id]), {"q": "タワー"})
    assert waiting.context["search_pending"] == 3 and b"still being indexed" in waiting.content
    index_pending()
    assert pending_count(project_id=corpus.project.id) == 0
    project = corpus.project.id
    assert _found(member_client, project, "タワー") == ["jp"]
    assert _found(member_client, project, "東京") == ["jp"]
    assert _found(member_client, project, "メートル") == ["jp"]
    assert _found(member_client, project, "東京 メートル") == ["jp"]
    assert _found(member_client, project, "東京 timeout") == []  # every term must match
    assert _found(member_client, project, "timed") == ["en"]
    assert _found(member_client, project, "RETRY") == ["en"]
    assert _found(member_client, project, "acme") == ["meta"]  # prefix of acme-corp
    assert _found(member_client, project, "tier gold") == ["meta"]
    assert _found(member_client, project, "suppo") == ["en"]  # name, as a prefix
    assert _found(member_client, project, "jp") == ["jp"]  # a pasted trace id
    assert _found(member_client, project, "タワーの高さ") == ["jp"]
    assert _found(member_client, project, "タワーは") == []  # a phrase, not scattered bigrams
    # One character, wherever it stands in its run: the last ("は", "す") included.
    for character in ("東", "ワ", "は", "す", "ト"):
        assert _found(member_client, project, character) == ["jp"], character


def test_search_never_crosses_projects_and_survives_odd_input(corpus, member_client):
    index_pending()
    assert Trace.objects.get(project_id=corpus.project.id, id="jp").search_pending is False
    assert _found(member_client, corpus.project.id, "東京タワー") == ["jp"]  # not "theirs"
    for odd in ["'", "\\", "a:*|b", "!&", "' OR 1=1 --", "(", "東'京", "x" * 3000]:
        _found(member_client, corpus.project.id, odd)


def test_an_updated_trace_is_reindexed(corpus, api_client, member_client):
    index_pending()
    post_batch(
        api_client,
        corpus.project_key.header,
        [event("trace-create", {"id": "en", "output": "解決しました"}, at=5)],
    )
    assert Trace.objects.get(project_id=corpus.project.id, id="en").search_pending is True
    assert index_pending_traces() == 1  # the beat task works through the backlog
    assert _found(member_client, corpus.project.id, "解決") == ["en"]


def test_a_write_during_indexing_keeps_the_trace_pending(corpus, monkeypatch):
    """The indexer writes back only rows nobody changed since it read them."""
    index_pending()
    project = corpus.project.id
    rows = Trace.objects.filter(project_id=project, id="en")
    rows.update(search_pending=True)
    build = search.document

    def write_while_building(**kwargs):  # the ingestion writer updates the trace meanwhile
        rows.update(updated_at=rows.get().updated_at.replace(year=2030))
        return build(**kwargs)

    monkeypatch.setattr(search, "document", write_while_building)
    index_pending()
    assert rows.get().search_pending is True
    monkeypatch.setattr(search, "document", build)
    index_pending()
    assert rows.get().search_pending is False


def test_traces_indexed_before_the_last_character_was_kept_are_indexed_again(corpus, member_client):
    import importlib

    from django.apps import apps

    index_pending()
    assert pending_count(project_id=corpus.project.id) == 0
    migration = importlib.import_module("apps.traces.migrations.0008_reindex_search_documents")
    migration.mark_pending(apps, None)
    assert pending_count(project_id=corpus.project.id) == 3
    assert _found(member_client, corpus.project.id, "タワー") == ["jp"]  # the old document still answers
    index_pending()
    assert pending_count(project_id=corpus.project.id) == 0
    assert _found(member_client, corpus.project.id, "す") == ["jp"]
