"""Group commit: the writes that request threads of one process make at the same time share a
transaction.

A write costs a fixed price per transaction besides its rows: round trips (options and probe,
each COPY, the commit), statements planned, a WAL flush. Under load a web process has several
requests writing at once; instead of each opening its own transaction, the first one in leads:
it writes its events together with those of every write of the same project that queued meanwhile
(up to `INGESTION_GROUP_MAX_EVENTS`), in one call of `write_events`, and then wakes them. While a
group is written the next writes of its project queue, and the first of them leads the next
group, so no thread ever writes another's events after its own are done. Each project has its own
queue: a write never waits for another project's (a slow one, say, held by a row lock). A write
alone (an idle server) leads at once and waits for nothing.

Nothing changes for a write's outcome: it returns once its events are committed, and if the
group's transaction fails for any reason, every write of the group is redone on its own, so its
errors (a value the database refuses, a lock timeout) are exactly those it would have met alone.
A write inside a caller's transaction is never grouped: it must commit or roll back with it.
`INGESTION_GROUP_MAX_EVENTS = 0` turns grouping off: every write goes its own way at once.
"""

import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from apps.ingestion.events import EntityEvent
from apps.ingestion.writer import write_events


@dataclass(eq=False)
class _Write:
    project_id: str
    events: list[EntityEvent]
    woken: threading.Event = field(default_factory=threading.Event)
    # What its thread does when woken: "lead" (write the next group), "done" (committed by a
    # group), "alone" (the group failed: write it on its own).
    role: str = "wait"


class _Queue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Write] = []
        self._busy = False  # a group is being written

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy or bool(self._waiting)

    def write(self, project_id: str, events: list[EntityEvent]) -> None:
        mine = _Write(project_id, events)
        with self._lock:
            self._waiting.append(mine)
            if not self._busy:
                self._busy = True
                mine.role = "lead"
        if mine.role != "lead":
            mine.woken.wait()
        if mine.role == "lead":
            self._lead(mine)
        if mine.role == "alone":
            write_events(project_id=project_id, events=events)

    def _lead(self, mine: _Write) -> None:
        """Write the group `mine` heads; then hand the lead to the first write still queued."""
        group = self._take(mine)
        if len(group) == 1:  # nothing to share: its errors are its own
            try:
                write_events(project_id=mine.project_id, events=mine.events)
                mine.role = "done"
            finally:
                self._hand_on()
            return
        outcome = "alone"
        try:
            write_events(project_id=mine.project_id, events=[e for write in group for e in write.events])
            outcome = "done"
        except Exception:  # each write is redone alone and meets its own error, if it has one
            pass
        finally:
            self._hand_on()
            for write in group:
                write.role = outcome
                if write is not mine:
                    write.woken.set()

    def _take(self, mine: _Write) -> list[_Write]:
        """`mine` and the queued writes that fit beside it, out of the queue."""
        limit = settings.INGESTION_GROUP_MAX_EVENTS
        with self._lock:
            group, size, kept = [mine], len(mine.events), []
            for write in self._waiting:
                if write is mine:
                    continue
                if size + len(write.events) <= limit:
                    group.append(write)
                    size += len(write.events)
                else:
                    kept.append(write)
            self._waiting = kept
        return group

    def _hand_on(self) -> None:
        with self._lock:
            if self._waiting:
                follower = self._waiting[0]
                follower.role = "lead"
                follower.woken.set()
            else:
                self._busy = False


class _Queues:
    """The queue of each project that wrote in this process. Past `_MAX_QUEUES` the idle ones are
    dropped: a thread still holding one it just got writes through it as a queue of its own."""

    _MAX_QUEUES = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_project: dict[str, _Queue] = {}

    def of(self, project_id: str) -> _Queue:
        with self._lock:
            queue = self._by_project.get(project_id)
            if queue is None:
                if len(self._by_project) >= self._MAX_QUEUES:
                    self._by_project = {p: q for p, q in self._by_project.items() if q.busy}
                queue = self._by_project[project_id] = _Queue()
            return queue


_QUEUES = _Queues()


def write_grouped(*, project_id: str, events: list[EntityEvent]) -> None:
    """`write_events`, in one transaction with the writes other threads make meanwhile; durable
    and queryable on return, as `write_events`."""
    if connection.in_atomic_block or settings.INGESTION_GROUP_MAX_EVENTS <= 0:
        write_events(project_id=project_id, events=events)
    else:
        _QUEUES.of(project_id).write(project_id, events)
