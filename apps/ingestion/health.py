"""Recording ingestion outcomes per project and API key, and reading them back for the console.

Recording is best-effort diagnostics: it runs after the data is committed, in its own short
statement, and a failure to record never fails the request that carried the data.
"""

import json
import logging
import os
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from apps.apikeys.services import public_key_owner
from apps.ingestion.models import Heartbeat, IngestionCounter, IngestionRejection

logger = logging.getLogger("langops.ingestion")
_KEEP_REJECTIONS = 50
_SAMPLE_CHARS = 2000
# Requests refused before authentication store a sample at most this often per key and outcome.
_REFUSED_WINDOW_SECONDS = 10
# Heartbeats that show a worker making progress: the sweeper's (Celery beat runs it every
# SWEEP_INTERVAL_SECONDS, busy or idle) and the enrichment tasks' (queued after each ingested write).
WORKER_HEARTBEATS = ("sweeper", "enrichment")
# When this process last wrote each throttled heartbeat (monotonic seconds).
_last_beat: dict[str, float] = {}

_UPSERT = """
INSERT INTO {table} (project_id, api_key_id, hour, outcome, reason, count, last_seen)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (project_id, api_key_id, hour, outcome, reason)
DO UPDATE SET count = {table}.count + EXCLUDED.count, last_seen = EXCLUDED.last_seen
"""


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


_buffer: dict[tuple[str, str, datetime, str, str], list] = {}
_buffer_lock = threading.Lock()
_last_flush = [0.0]


def record_outcomes(
    *,
    project_id: str,
    api_key_id: str | None,
    counts: dict[tuple[str, str], int],
    rejections: list[dict[str, Any]] | None = None,
) -> None:
    """Add counts {(outcome, reason): n}; keep the newest rejected samples.

    Counts are summed in memory and written at most every INGESTION_HEALTH_FLUSH_SECONDS (one
    statement for all of them), so a busy write path pays no extra transaction per request;
    samples of rejected events are written at once.
    """
    now = timezone.now()
    with _buffer_lock:
        for (outcome, reason), n in counts.items():
            if n:
                slot = _buffer.setdefault((project_id, api_key_id or "", _hour(now), outcome, reason[:200]), [0, now])
                slot[0] += n
                slot[1] = now
        due = rejections or time.monotonic() - _last_flush[0] >= settings.INGESTION_HEALTH_FLUSH_SECONDS
        if not due and _buffer:
            _flush_later()
    if due:
        flush_outcomes()
    if rejections:
        _store_rejections(project_id, api_key_id, rejections)


# The timer that writes what this process buffered, should no later request come to do it (per
# process id: a forked child does not inherit the parent's timer thread).
_timers: dict[int, threading.Timer] = {}


def _flush_later() -> None:
    """Write the buffer in INGESTION_HEALTH_FLUSH_SECONDS unless a timer already will (called with
    the buffer's lock held), so the counts of a process that falls idle still reach the page."""
    pid = os.getpid()
    if pid not in _timers:
        timer = _timers[pid] = threading.Timer(settings.INGESTION_HEALTH_FLUSH_SECONDS, _timed_flush)
        timer.daemon = True
        timer.start()


def _timed_flush() -> None:
    try:
        flush_outcomes()
    finally:
        connection.close()  # this thread's own connection


def flush_outcomes() -> None:
    """Write the buffered counts (one upsert statement for all)."""
    with _buffer_lock:
        pending = dict(_buffer)
        _buffer.clear()
        _last_flush[0] = time.monotonic()
        if (timer := _timers.pop(os.getpid(), None)) is not None:
            timer.cancel()  # nothing left for it to write
    if not pending:
        return
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(*key[:2], adapt(key[2]), *key[3:], count, adapt(seen)) for key, (count, seen) in sorted(pending.items())]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(_UPSERT.format(table=IngestionCounter._meta.db_table), rows)
    except DatabaseError:
        logger.warning("could not record %s ingestion counters", len(rows), exc_info=True)


def _store_rejections(project_id: str, api_key_id: str | None, rejections: list[dict[str, Any]]) -> None:
    try:
        with transaction.atomic():
            IngestionRejection.objects.bulk_create(
                [
                    IngestionRejection(project_id=project_id, api_key_id=api_key_id or "", **r)
                    for r in rejections[-_KEEP_REJECTIONS:]
                ]
            )
            stale = IngestionRejection.objects.filter(project_id=project_id).order_by("-created_at", "-id")
            stale_ids = list(stale.values_list("id", flat=True)[_KEEP_REJECTIONS:])
            if stale_ids:
                IngestionRejection.objects.filter(id__in=stale_ids).delete()
    except DatabaseError:
        logger.warning("could not record ingestion rejections for project %s", project_id, exc_info=True)


def rejection(*, outcome: str, status: int, reason: str, raw: Any = None, path: str = "") -> dict[str, Any]:
    """A rejected-sample row from whatever the client sent (truncated)."""
    envelope_id = event_type = ""
    if isinstance(raw, dict):
        envelope_id = str(raw.get("id") or "")[:800]
        event_type = str(raw.get("type") or "")[:60]
    try:
        sample = json.dumps(raw, ensure_ascii=False, default=str)[:_SAMPLE_CHARS] if raw is not None else ""
    except (TypeError, ValueError):
        sample = repr(raw)[:_SAMPLE_CHARS]
    return {
        "outcome": outcome,
        "status": status,
        "reason": reason[:1000],
        "envelope_id": envelope_id,
        "event_type": event_type,
        "path": path[:300],
        "sample": sample,
    }


def sample_due(api_key_id: str, outcome: str) -> bool:
    """Whether a refused request of this key and outcome should store a sample (once per window)."""
    return cache.add(f"ingestion:refused:{api_key_id}:{outcome}", 1, timeout=_REFUSED_WINDOW_SECONDS)


def record_for_public_key(*, public_key: str, outcome: str, reason: str, path: str, status: int) -> None:
    """Attribute a request that was refused before authentication to the project of its public key.

    Such requests are unauthenticated, so their cost is bounded: the key lookup is cached, the
    count goes to the in-memory buffer, and a sample row is stored at most once per key, outcome
    and window; a flood of bad requests costs no database write per request."""
    found = public_key_owner(public_key)
    if found is None:  # unknown public key: nobody to tell
        return
    project_id, api_key_id, revoked = found
    if outcome == "auth_failed" and revoked:  # the secret may be right: the key is what was withdrawn
        outcome, reason = "revoked_key", "API key was revoked"
    sample = sample_due(api_key_id, outcome)
    record_outcomes(
        project_id=project_id,
        api_key_id=api_key_id,
        counts={(outcome, reason): 1},
        rejections=[rejection(outcome=outcome, status=status, reason=reason, path=path)] if sample else None,
    )


def beat(name: str, *, at_most_every: float = 0) -> None:
    """Note that a background process made progress now.

    With `at_most_every`, a process that noted it less than that many seconds ago skips the write:
    a task that runs many times a second must not add a database write to each run. Two threads
    racing past the check cost one extra write, nothing more."""
    if at_most_every:
        moment = time.monotonic()
        if moment - _last_beat.get(name, -at_most_every) < at_most_every:
            return
        _last_beat[name] = moment
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def pipeline_lag(*, project_id: str | None = None) -> timedelta | None:
    """Age of the oldest event still waiting for background processing (None when nothing waits)."""
    from apps.traces.models import Observation

    pending = Observation.objects.filter(cost_status="pending")
    if project_id is not None:
        pending = pending.filter(project_id=project_id)
    oldest = pending.aggregate(oldest=Min("updated_at"))["oldest"]
    return timezone.now() - oldest if oldest else None


def pipeline_problems() -> list[str]:
    """Why ingestion is unhealthy, for the health endpoint; empty when all is well.

    Two independent signs: events staged for longer than the limit, and no worker progress, which
    is a heartbeat gone stale (a worker ran and stopped) or none at all while events wait too long
    (no worker ever started). No heartbeat and nothing waiting is a fresh install, not a problem."""
    problems = []
    lag = pipeline_lag()
    events_stale = lag is not None and lag > timedelta(seconds=settings.HEALTH_MAX_PIPELINE_LAG_SECONDS)
    if events_stale:
        problems.append(f"events waiting for processing for {int(lag.total_seconds())}s")
    if _worker_stalled(events_stale=events_stale):
        problems.append("no background worker has made progress recently")
    return problems


def _worker_stalled(*, events_stale: bool) -> bool:
    """Whether no worker makes progress, judged by the newest of their heartbeats."""
    last = Heartbeat.objects.filter(name__in=WORKER_HEARTBEATS).aggregate(last=Max("at"))["last"]
    if last is None:  # no worker has ever run: a fresh install, until events wait too long
        return events_stale
    return timezone.now() - last > _worker_stall_limit()


def _worker_stall_limit() -> timedelta:
    """How long without any heartbeat means no worker makes progress.

    An idle install only beats when the sweeper runs, once per SWEEP_INTERVAL_SECONDS: a limit
    close to that interval (or below it) would flap between healthy and unhealthy, so it is at
    least three intervals, which leaves room for a late or slow run."""
    seconds = max(settings.HEALTH_MAX_PIPELINE_LAG_SECONDS, 3 * settings.SWEEP_INTERVAL_SECONDS)
    return timedelta(seconds=seconds)


def project_summary(*, project_id: str, since: datetime) -> dict[str, Any]:
    """Counts by outcome, by key and by rejection reason since a moment, plus recent samples."""
    flush_outcomes()  # this process's buffered counts; other processes' timers write theirs within seconds
    counters = IngestionCounter.objects.filter(project_id=project_id, hour__gte=_hour(since))
    by_outcome = Counter({o: 0 for o in IngestionCounter.OUTCOMES})
    for row in counters.values("outcome").annotate(n=Sum("count")):
        by_outcome[row["outcome"]] = row["n"]
    by_key: dict[str, Counter] = {}
    for row in counters.values("api_key_id", "outcome").annotate(n=Sum("count")):
        by_key.setdefault(row["api_key_id"], Counter())[row["outcome"]] += row["n"]
    reasons = list(counters.exclude(reason="").values("outcome", "reason").annotate(n=Sum("count")).order_by("-n")[:20])
    return {
        "by_outcome": dict(by_outcome),
        "by_key": by_key,
        "reasons": reasons,
        "rejections": list(
            IngestionRejection.objects.filter(project_id=project_id).order_by("-created_at", "-id")[:20]
        ),
        "lag": pipeline_lag(project_id=project_id),
        "last_accepted": counters.filter(outcome="accepted")
        .order_by("-last_seen")
        .values_list("last_seen", flat=True)
        .first(),
    }
