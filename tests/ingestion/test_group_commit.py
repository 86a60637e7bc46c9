"""Group commit: writes made at the same time share a transaction, and keep their own outcomes."""

import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from django.db import DataError, connection, connections, transaction
from django.utils import timezone

from apps.ingestion import group_commit
from apps.ingestion.events import EntityEvent, decode_event
from apps.ingestion.group_commit import write_grouped
from apps.ingestion.normalize import order_key
from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import event, store

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("xmin tells which transaction wrote a row"),
]


def _events(*raw: dict) -> list[EntityEvent]:
    return [decode_event(r, scores_only=False)[1] for r in raw]


def _span(span_id: str, trace_id: str = "t-shared") -> EntityEvent:
    return _events(event("span-create", {"id": span_id, "traceId": trace_id}))[0]


def _too_big(span_id: str) -> EntityEvent:
    """An observation whose usage no BIGINT holds: the database refuses it (DataError)."""
    key = order_key(timezone.now(), update=False, envelope_id=span_id)
    fields = {"trace_id": "t-big", "provided_usage_details": {"input": 2**64}}
    return EntityEvent("observation", span_id, key, span_id, fields)


def _writers_of(project_id: str) -> dict[str, str]:
    """Observation id -> the transaction that wrote it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM traces_observation WHERE project_id = %s", [project_id])
        return dict(cursor.fetchall())


class _Writers:
    """Threads calling write_grouped; each one's exception (or None) kept by name."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: dict[str, BaseException | None] = {}

    def start(self, name: str, project_id: str, events: list[EntityEvent], wrap: Callable | None = None) -> None:
        def run() -> None:
            try:
                if wrap is None:
                    write_grouped(project_id=project_id, events=events)
                else:
                    wrap(lambda: write_grouped(project_id=project_id, events=events))
                self.errors[name] = None
            except BaseException as exc:  # reported to the test
                self.errors[name] = exc
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)
            assert not thread.is_alive()


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _queue(project_id: str) -> group_commit._Queue:
    return group_commit._QUEUES.of(project_id)


def _queued(project_id: str) -> int:
    queue = _queue(project_id)
    with queue._lock:
        return len(queue._waiting)


@pytest.fixture
def held_trace(tenant):
    """A stored trace whose row another connection holds locked until `release()`: a write that
    names it waits, and the writes made meanwhile queue behind it."""
    store(tenant.project.id, [event("trace-create", {"id": "held", "name": "before"})])
    params = connection.get_connection_params()
    blocker = psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")})
    blocker.execute("SELECT 1 FROM traces_trace WHERE project_id = %s AND id = 'held' FOR UPDATE", [tenant.project.id])
    yield blocker
    blocker.rollback()
    blocker.close()


def _lead_and_queue(writers: _Writers, tenant, followers: dict[str, tuple[str, list[EntityEvent]]]) -> None:
    """A leader held on the locked trace, then `followers` queued behind it."""
    queue = _queue(tenant.project.id)
    writers.start("leader", tenant.project.id, _events(event("trace-create", {"id": "held", "name": "after"}, at=5)))
    _wait_until(lambda: not queue._waiting and queue._busy)
    for name, (project_id, events) in followers.items():
        writers.start(name, project_id, events)
    _wait_until(lambda: _queued(tenant.project.id) == len(followers))


def test_writes_queued_behind_a_busy_one_commit_together_per_project(tenant, other_tenant, held_trace):
    writers = _Writers()
    _lead_and_queue(
        writers,
        tenant,
        {"a1": (tenant.project.id, [_span("a1")]), "a2": (tenant.project.id, [_span("a2"), _span("a3", "t-other")])},
    )
    # Another project's write does not wait for this project's held group: it is done meanwhile.
    writers.start("b1", other_tenant.project.id, [_span("b1")])
    writers.threads[-1].join(30)
    assert writers.errors["b1"] is None and _queued(tenant.project.id) == 2
    held_trace.rollback()
    writers.join()
    assert writers.errors == {"leader": None, "a1": None, "b1": None, "a2": None}
    mine = _writers_of(tenant.project.id)
    assert set(mine) == {"a1", "a2", "a3"}
    assert mine["a1"] == mine["a2"] == mine["a3"]  # one transaction for the project's queued writes
    assert _writers_of(other_tenant.project.id)["b1"] != mine["a1"]  # another project's: its own
    assert Trace.objects.get(project_id=tenant.project.id, id="held").name == "after"
    shared = Trace.objects.get(project_id=tenant.project.id, id="t-shared")
    assert shared.observation_count == 2  # aggregates from the whole group


def test_a_group_that_fails_is_redone_write_by_write_with_each_ones_own_error(tenant, held_trace):
    writers = _Writers()
    _lead_and_queue(
        writers,
        tenant,
        {
            "good": (tenant.project.id, [_span("good")]),
            "bad": (tenant.project.id, [_too_big("bad")]),
            "fine": (tenant.project.id, [_span("fine")]),
        },
    )
    held_trace.rollback()
    writers.join()
    assert isinstance(writers.errors.pop("bad"), DataError)
    assert writers.errors == {"leader": None, "good": None, "fine": None}
    stored = _writers_of(tenant.project.id)
    assert set(stored) == {"good", "fine"}
    assert stored["good"] != stored["fine"]  # each redone alone


def test_a_group_holds_at_most_the_configured_number_of_events(tenant, held_trace, settings):
    settings.INGESTION_GROUP_MAX_EVENTS = 3
    writers = _Writers()
    _lead_and_queue(
        writers,
        tenant,
        {
            "two": (tenant.project.id, [_span("w1"), _span("w2")]),
            "one": (tenant.project.id, [_span("w3")]),
            "more": (tenant.project.id, [_span("w4")]),
        },
    )
    held_trace.rollback()
    writers.join()
    assert set(writers.errors.values()) == {None}
    stored = _writers_of(tenant.project.id)
    assert stored["w1"] == stored["w2"] == stored["w3"] != stored["w4"]


def test_a_write_alone_leads_at_once_and_its_error_is_its_own(tenant):
    with pytest.raises(DataError):
        write_grouped(project_id=tenant.project.id, events=[_too_big("alone")])
    assert not _queue(tenant.project.id).busy
    write_grouped(project_id=tenant.project.id, events=[_span("next")])
    assert Observation.objects.filter(project_id=tenant.project.id, id="next").exists()


def test_a_write_inside_a_callers_transaction_is_never_grouped(tenant, held_trace):
    writers = _Writers()

    def rolled_back(write: Callable[[], None]) -> None:
        with transaction.atomic():
            write()
            transaction.set_rollback(True)

    writers.start("leader", tenant.project.id, _events(event("trace-create", {"id": "held", "name": "after"}, at=5)))
    _wait_until(lambda: _queue(tenant.project.id).busy)
    writers.start("nested", tenant.project.id, [_span("nested")], wrap=rolled_back)
    writers.threads[-1].join(30)  # done while the leader still waits: it did not queue
    assert writers.errors["nested"] is None and _queued(tenant.project.id) == 0
    held_trace.rollback()
    writers.join()
    assert not Observation.objects.filter(project_id=tenant.project.id, id="nested").exists()


def test_grouping_turned_off_writes_at_once_beside_a_busy_write(tenant, held_trace, settings):
    writers = _Writers()
    writers.start("leader", tenant.project.id, _events(event("trace-create", {"id": "held", "name": "after"}, at=5)))
    _wait_until(lambda: _queue(tenant.project.id).busy)
    settings.INGESTION_GROUP_MAX_EVENTS = 0
    writers.start("own", tenant.project.id, [_span("own")])
    writers.threads[-1].join(30)  # done while the leader still waits: it did not queue
    assert writers.errors["own"] is None and _queued(tenant.project.id) == 0
    assert Observation.objects.filter(project_id=tenant.project.id, id="own").exists()
    held_trace.rollback()
    writers.join()
    assert writers.errors["leader"] is None


def test_idle_queues_are_dropped_past_the_bound(monkeypatch):
    queues = group_commit._Queues()
    monkeypatch.setattr(group_commit._Queues, "_MAX_QUEUES", 3)
    first = queues.of("p1")
    first._busy = True  # a group being written: kept
    for project_id in ("p2", "p3", "p4"):
        queues.of(project_id)
    assert set(queues._by_project) == {"p1", "p4"}
    assert queues.of("p1") is first
