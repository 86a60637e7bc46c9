"""Write-path behaviour that needs real concurrency: PostgreSQL, committed data, threads."""

import threading
import time

import psycopg
import pytest
from django.db import DataError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.ingestion.events import EntityEvent, decode_event
from apps.ingestion.normalize import order_key
from apps.ingestion.writer import write_events
from apps.scores.models import Score
from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("row locks and concurrent writers are PostgreSQL behaviour"),
]


def _raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")})


def test_concurrent_writers_to_one_new_trace_lose_nothing(tenant):
    header = tenant.project_key.header
    barrier = threading.Barrier(6)
    statuses = []

    def send(n: int) -> None:
        try:
            barrier.wait()
            batch = [
                event("trace-create", {"id": "busy", "tags": [f"tag-{n}"], "metadata": {f"k{n}": n}}, at=n),
                event("span-create", {"id": f"span-{n}", "traceId": "busy", "startTime": iso(n)}),
            ]
            statuses.append(post_batch(Client(), header, batch).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [207] * 6
    trace = Trace.objects.get(project_id=tenant.project.id, id="busy")
    assert trace.tags == sorted(f"tag-{n}" for n in range(6))
    assert trace.metadata == {f"k{n}": n for n in range(6)}
    assert trace.observation_count == 6
    assert Observation.objects.filter(project_id=tenant.project.id, trace_id="busy").count() == 6


def test_a_write_the_database_cannot_take_is_503_and_acknowledges_nothing(tenant, settings):
    settings.INGESTION_LOCK_TIMEOUT_MS = 200
    header = tenant.project_key.header
    client = Client()
    post_batch(client, header, [event("trace-create", {"id": "locked", "name": "before"})])
    blocker = _raw_connection()
    try:
        blocker.execute(
            "SELECT 1 FROM traces_trace WHERE project_id = %s AND id = 'locked' FOR UPDATE", [tenant.project.id]
        )
        batch = [
            event("trace-create", {"id": "locked", "name": "after"}, at=5),
            event("trace-create", {"id": "other", "name": "x"}),
        ]
        response = post_batch(client, header, batch)
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert not Trace.objects.filter(project_id=tenant.project.id, id="other").exists()
    finally:
        blocker.rollback()
        blocker.close()
    assert post_batch(client, header, batch).status_code == 207
    assert Trace.objects.get(project_id=tenant.project.id, id="locked").name == "after"


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_writer_that_loses_the_race_for_a_new_id_merges_into_the_winner(tenant):
    """The second writer of a new trace waits for the first one's commit, then merges into its row."""
    project_id = tenant.project.id
    first = decode_event(event("trace-create", {"id": "race", "name": "first", "tags": ["a"]}, at=0), scores_only=False)
    written, release, failures = threading.Event(), threading.Event(), []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                write_events(project_id=project_id, events=[first[1]])
                written.set()
                assert release.wait(20)
        except Exception as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    statuses = []

    def second_writer() -> None:
        try:
            batch = [
                event("trace-create", {"id": "race", "name": "second", "tags": ["b"]}, at=5),
                event("span-create", {"id": "race-span", "traceId": "race", "startTime": iso(5)}),
            ]
            statuses.append(post_batch(Client(), tenant.project_key.header, batch).status_code)
        finally:
            connections.close_all()

    winner = threading.Thread(target=first_writer)
    loser = threading.Thread(target=second_writer)
    winner.start()
    try:
        assert written.wait(20)
        loser.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_a_lock()  # the second writer holds still until the first commits
    finally:  # whatever failed above, no thread keeps its transaction (and its locks) open
        release.set()
        winner.join()
        if loser.ident is not None:  # started
            loser.join()
    assert failures == []
    assert statuses == [207]
    trace = Trace.objects.get(project_id=project_id, id="race")
    assert (trace.name, trace.tags, trace.observation_count) == ("second", ["a", "b"], 1)


def _updated_rows(table: str) -> int:
    """Rows this transaction has updated in `table` so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_new_trace_is_written_once_with_its_aggregates_and_an_existing_one_is_refreshed(tenant):
    project_id = tenant.project.id

    def events(*raw):
        return [decode_event(item, scores_only=False)[1] for item in raw]

    def generation(span_id: str, at: float, cost: float, level: str = "DEFAULT") -> dict:
        body = {"id": span_id, "traceId": "agg", "startTime": iso(at), "endTime": iso(at + 2), "level": level}
        body |= {"usageDetails": {"input": 10, "output": 5}, "costDetails": {"total": cost}}
        return event("generation-create", body, at=at)

    first = events(generation("g1", 0, 0.1234567890123456), generation("g2", 1, 2.5, level="ERROR"))
    with transaction.atomic():
        write_events(project_id=project_id, events=first)
        assert _updated_rows("traces_trace") == 0  # inserted with its aggregates, never rewritten
    with transaction.atomic():
        write_events(project_id=project_id, events=events(generation("g3", 10, 1)))
        assert _updated_rows("traces_trace") == 2  # a stored trace: merged, then its aggregates recomputed
    trace = Trace.objects.get(project_id=project_id, id="agg")
    assert (trace.observation_count, trace.error_count, trace.level_max) == (3, 1, 3)
    assert (trace.input_tokens, trace.output_tokens, trace.total_tokens) == (30, 15, 45)
    assert str(trace.total_cost) == "3.623456789012"
    assert trace.start_time_min.isoformat() == "2026-11-28T12:00:00+00:00"
    assert trace.end_time_max.isoformat() == "2026-11-28T12:00:12+00:00"


def _probe(queries) -> str:
    """The write's first statement (its options, and the probe)."""
    return next(q["sql"] for q in queries.captured_queries if "SET LOCAL" in q["sql"])


def test_creates_are_assumed_new_and_a_create_for_a_stored_id_still_merges(tenant):
    """A batch of creates does not ask whether its observations exist; one that does (a client
    resending after a timeout) fails the direct insert and the write is redone, merging it."""

    project_id = tenant.project.id
    first = [
        event("generation-create", {"id": "g1", "traceId": "t1", "output": "first", "startTime": iso(0)}, at=0),
        event("span-create", {"id": "s1", "traceId": "t1", "startTime": iso(0)}, at=0),
    ]
    with CaptureQueriesContext(connection) as queries:
        write_events(project_id=project_id, events=[decode_event(e, scores_only=False)[1] for e in first])
    assert "traces_observation" not in _probe(queries)  # the probe asks only for traces

    resent = [
        event("generation-create", {"id": "g1", "traceId": "t1", "output": "second", "startTime": iso(0)}, at=5),
        event("span-create", {"id": "s2", "traceId": "t1", "startTime": iso(1)}, at=5),
    ]
    write_events(project_id=project_id, events=[decode_event(e, scores_only=False)[1] for e in resent])
    stored = dict(Observation.objects.filter(project_id=project_id).values_list("id", "output"))
    assert stored == {"g1": "second", "s1": None, "s2": None}
    assert Trace.objects.get(project_id=project_id, id="t1").observation_count == 3

    update = [event("generation-update", {"id": "g1", "traceId": "t1", "output": "third"}, at=9)]
    with CaptureQueriesContext(connection) as queries:
        write_events(project_id=project_id, events=[decode_event(e, scores_only=False)[1] for e in update])
    assert "traces_observation" in _probe(queries)  # an update asks first
    assert Observation.objects.get(project_id=project_id, id="g1").output == "third"


def test_an_integer_its_column_cannot_hold_is_a_data_error_and_writes_nothing(tenant):
    # Rows go to PostgreSQL in COPY's binary format, dumped by psycopg: a value past BIGINT is
    # refused as the server would refuse its text, a DataError the endpoints reject per event.
    key = order_key(timezone.now(), update=False, envelope_id="e1")
    fields = {"trace_id": "t-big", "provided_usage_details": {"input": 2**64}}
    with pytest.raises(DataError, match="out of range"):
        write_events(project_id=tenant.project.id, events=[EntityEvent("observation", "o-big", key, "e1", fields)])
    assert not Observation.objects.filter(project_id=tenant.project.id).exists()
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()


def test_every_column_type_round_trips_through_the_binary_copy(tenant):
    """Values of every written column type come back as they were sent, through the direct insert
    and through staging (the second write merges into the stored rows)."""
    project_id = tenant.project.id
    text = "日本語 ✓ emoji 🚀 tab\tnewline\nquote' backslash\\ "
    metadata = {"nested": {"list": [1, 2.5, None, True, "ü"]}, "empty": {}, "big": 2**62}
    batch = [
        event(
            "trace-create",
            {"id": "t-rt", "name": text, "tags": ["b", "a"], "public": True, "metadata": metadata, "sessionId": "s-rt"},
        ),
        event(
            "generation-create",
            {
                "id": "g-rt",
                "traceId": "t-rt",
                "name": text,
                "startTime": "2026-11-28T12:00:00.123456Z",
                "endTime": "2026-11-28T21:00:01.654321+09:00",
                "input": [{"role": "user", "content": text}],
                "output": "plain string output",
                "metadata": metadata,
                "model": "gpt-4o",
                "usageDetails": {"input": 10**12, "output": 7},
                "costDetails": {"input": 0.000000123456789123, "output": 12345.5},
                "promptName": "p",
                "promptVersion": 2**31 - 1,
                "level": "WARNING",
            },
        ),
        event("score-create", {"id": "sc-rt", "name": "q", "value": 0.1 + 0.2, "traceId": "t-rt", "comment": text}),
    ]
    for round_ in (0, 1):  # 1: every id is stored, so the rows go through staging and merge
        write_events(project_id=project_id, events=[decode_event(e, scores_only=False)[1] for e in batch])
        generation = Observation.objects.get(project_id=project_id, id="g-rt")
        assert generation.name == text and generation.level == "WARNING" and generation.prompt_version == 2**31 - 1
        assert generation.start_time.isoformat() == "2026-11-28T12:00:00.123456+00:00"
        assert generation.end_time.isoformat() == "2026-11-28T12:00:01.654321+00:00"
        assert generation.input == [{"role": "user", "content": text}] and generation.output == "plain string output"
        assert generation.metadata == metadata
        assert (generation.input_tokens, generation.output_tokens, generation.total_tokens) == (10**12, 7, 10**12 + 7)
        assert str(generation.total_cost) == "12345.500000123457"  # numeric(24, 12) rounds, as it did for text
        trace = Trace.objects.get(project_id=project_id, id="t-rt")
        assert (trace.name, trace.tags, trace.public, trace.metadata) == (text, ["a", "b"], True, metadata)
        assert trace.total_cost == generation.total_cost and trace.level_max == 2 and trace.observation_count == 1
        score = Score.objects.get(project_id=project_id, id="sc-rt")
        assert score.value == 0.1 + 0.2 and score.comment == text, round_


def test_a_query_while_the_copy_streams_fails_at_once_instead_of_waiting_for_itself(tenant, monkeypatch):
    # Rows are merged and priced while the COPY sends them; the connection is busy with the COPY,
    # so a query there used to hang the thread. It now fails loudly and the write is rolled back.
    # The query is made where every row is priced: when its model is matched against the price
    # list (a plain Python method; the writer itself is compiled, see langops/compiled.py).
    from apps.costs.catalogue import Matcher
    from apps.projects.models import Project

    match = Matcher.match

    def match_and_query(self, model):
        Project.objects.filter(id=tenant.project.id).exists()
        return match(self, model)

    monkeypatch.setattr(Matcher, "match", match_and_query)
    batch = [event("generation-create", {"id": "g-q", "traceId": "t-q", "model": "gpt-4o"})]
    with pytest.raises(RuntimeError, match="while a COPY streams"):
        write_events(project_id=tenant.project.id, events=[decode_event(e, scores_only=False)[1] for e in batch])
    assert not Observation.objects.filter(project_id=tenant.project.id).exists()
    monkeypatch.undo()  # and the connection is usable again
    write_events(project_id=tenant.project.id, events=[decode_event(e, scores_only=False)[1] for e in batch])
    assert Observation.objects.filter(project_id=tenant.project.id, id="g-q").exists()
