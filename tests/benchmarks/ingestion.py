"""Ingestion benchmark: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/ingestion.py [--spans 80000] [--clients 8] [--web-workers N] [--threads 8]

The web runs as `manage.py serve` runs it: one gunicorn process per usable core (at least two),
8 threads each.

On PostgreSQL (127.0.0.1:5432, a scratch database it creates) with gunicorn, a Celery worker and
the database on this machine, in one run of --rounds rounds (3), each the floor then both
endpoints, with a last floor after them; a round's ratios are to the mean of the floors on either
side of it, and the figures given are the medians over the rounds:
  (a) the PostgreSQL floor: COPY into a staging table plus one upsert of observation-shaped rows,
      from one Python process (no HTTP, no parsing, no merging), 1,000 rows per transaction (and,
      for context, the same with 100 rows, one request's worth);
  (b) LangOps end to end (acknowledged = committed = queryable) with ~1.8 KB LLM spans from N
      concurrent clients, through OTLP (protobuf) and through the batch endpoint;
  (c) latency p50/p99 of one 100-span request at idle (40 in each round) and under saturation;
  (d) peak RSS (VmHWM) of the web processes and the worker;
  (e) for context, the background work the write leaves: the search indexer building the documents
      of the traces the rounds stored (as the worker's scheduled task does, in this process once
      the web and worker are stopped), its rate and CPU per trace, and that CPU per OTLP span;
  (f) for context, where an idle request's time goes: an empty export over HTTP (the fixed cost of
      HTTP, routing and the API key), and a 100-span request's decoding, mapping and write timed
      step by step in this process.
"""

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
DB = "langops_bench"
SPANS_PER_TRACE = 5  # in both payloads
WORDS = (
    "the model answered with a long explanation about retrieval augmented generation and the user asked a "
    "follow up question regarding embeddings vector stores latency and cost of tokens"
).split()


def text(rng: random.Random, size: int) -> str:
    words, total = [], 0
    while total < size:
        word = rng.choice(WORDS)
        words.append(word)
        total += len(word) + 1
    return " ".join(words)[:size]


# --- payloads ----------------------------------------------------------------------------------


def span_attributes(rng: random.Random) -> dict:
    prompt = [{"role": "system", "content": text(rng, 300)}, {"role": "user", "content": text(rng, 500)}]
    answer = [{"role": "assistant", "content": text(rng, 700)}]
    return {
        "langfuse.observation.type": "generation",
        "gen_ai.request.model": rng.choice(["gpt-4o", "gpt-4o-mini"]),
        "langfuse.observation.input": json.dumps(prompt),
        "langfuse.observation.output": json.dumps(answer),
        "langfuse.observation.usage_details": json.dumps(
            {"input": rng.randint(200, 900), "output": rng.randint(50, 400)}
        ),
        "user.id": f"user-{rng.randint(1, 50)}",
        "session.id": f"session-{rng.randint(1, 200)}",
    }


def otlp_body(rng: random.Random, spans: int) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    scope.scope.name = "bench"
    now = time.time_ns()
    for index in range(spans):
        if index % SPANS_PER_TRACE == 0:
            trace_id, root = rng.randbytes(16), rng.randbytes(8)
        span = scope.spans.add()
        span.trace_id = trace_id
        span.span_id = root if index % SPANS_PER_TRACE == 0 else rng.randbytes(8)
        if index % SPANS_PER_TRACE:
            span.parent_span_id = root
        span.name = "llm-call"
        span.start_time_unix_nano = now + index * 1000
        span.end_time_unix_nano = now + index * 1000 + 800_000_000
        for key, value in span_attributes(rng).items():
            span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
    return request.SerializeToString()


def batch_body(rng: random.Random, events: int) -> bytes:
    batch = []
    for index in range(events):
        if index % SPANS_PER_TRACE == 0:
            trace_id = uuid.uuid4().hex
        attributes = span_attributes(rng)
        batch.append(
            {
                "id": str(uuid.uuid4()),
                "type": "generation-create",
                "timestamp": "2026-11-28T12:00:00.000Z",
                "body": {
                    "id": uuid.uuid4().hex[:16],
                    "traceId": trace_id,
                    "name": "llm-call",
                    "model": attributes["gen_ai.request.model"],
                    "input": json.loads(attributes["langfuse.observation.input"]),
                    "output": json.loads(attributes["langfuse.observation.output"]),
                    "usageDetails": json.loads(attributes["langfuse.observation.usage_details"]),
                    "startTime": "2026-11-28T12:00:00.000Z",
                    "endTime": "2026-11-28T12:00:00.800Z",
                },
            }
        )
    return json.dumps({"batch": batch}).encode()


# --- HTTP clients ------------------------------------------------------------------------------


def send_all(args: tuple) -> list[float]:
    """One client: send every body sequentially on a keep-alive connection; return latencies (s)."""
    port, path, content_type, auth, bodies = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies = [_send(connection, path, content_type, auth, body) for body in bodies]
    connection.close()
    return latencies


def _send(connection: http.client.HTTPConnection, path: str, content_type: str, auth: str, body: bytes) -> float:
    """POST one body until it is taken; its latency (s)."""
    refused_since = None
    while True:
        started = time.perf_counter()
        connection.request("POST", path, body, {"Content-Type": content_type, "Authorization": auth})
        response = connection.getresponse()
        response.read()
        if response.status in (429, 503):
            # Retried like an SDK, but a server that refuses for a minute is broken, not busy.
            refused_since = refused_since or started
            if started - refused_since > 60:
                raise RuntimeError(f"{path}: HTTP {response.status} for 60 s")
            time.sleep(0.05)
            continue
        if response.status >= 300 and response.status != 207:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return time.perf_counter() - started


_CLIENT: dict = {}  # per client process: its connection and the request it sends


def _start_client(port: int, path: str, content_type: str, auth: str, bodies: list[bytes]) -> None:
    _CLIENT.update(
        connection=http.client.HTTPConnection("127.0.0.1", port, timeout=120),
        request=(path, content_type, auth),
        bodies=bodies,
    )


def _send_one(index: int) -> float:
    return _send(_CLIENT["connection"], *_CLIENT["request"], _CLIENT["bodies"][index])


def run_clients(port: int, path: str, content_type: str, auth: str, bodies: list[bytes], clients: int):
    """`clients` processes, each taking the next body as soon as it has its answer (a shared queue,
    as SDK exporters and ../shared/bench/otlp_load.py do: no client idles while others still send)."""
    started = time.perf_counter()
    with multiprocessing.Pool(clients, _start_client, (port, path, content_type, auth, bodies)) as pool:
        latencies = list(pool.imap_unordered(_send_one, range(len(bodies))))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the run -----------------------------------------------------------------------------------


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{db}", "-q", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each live process (clock ticks from /proc/<pid>/stat)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(start: dict[int, float], end: dict[int, float]) -> float:
    """CPU time used between two samples by the processes alive at the second (one that started
    meanwhile counts in full; one that exited meanwhile, an autovacuum worker say, is left out,
    rather than subtracted)."""
    return sum(seconds - start.get(pid, 0.0) for pid, seconds in end.items())


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


class CpuSplit:
    """Where the cores went during one phase: web processes, every PostgreSQL process, clients."""

    def __init__(self, web_pid: int) -> None:
        self.web_pid = web_pid

    def __enter__(self) -> "CpuSplit":
        self.start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        self.web, self.postgres = (cpu_used(a, b) for a, b in zip(self.start[:2], end[:2], strict=True))
        self.clients = end[2] - self.start[2]

    def _sample(self) -> tuple[dict[int, float], dict[int, float], float]:
        # Clients: the pool's processes (once joined) and this process, which hands out the bodies.
        clients = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
        return (
            cpu_seconds([self.web_pid, *children(self.web_pid)]),
            cpu_seconds(postgres_pids()),
            sum(usage.ru_utime + usage.ru_stime for usage in clients),
        )


def search_indexing(limit: int = 20_000) -> tuple[float, float, float, int]:
    """(e) Build pending search documents, at most about `limit`: traces/s and CPU seconds per trace
    of this process and of its PostgreSQL backend, and how many it built."""
    from django.db import connection

    from apps.traces.tasks import index_pending

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    started, python, postgres = time.perf_counter(), time.process_time(), cpu_seconds([backend])[backend]
    built = 0
    while built < limit and (count := index_pending()) > 0:
        built += count
    elapsed = time.perf_counter() - started
    if not built:
        return 0.0, 0.0, 0.0, 0
    python_used = time.process_time() - python
    postgres_used = cpu_seconds([backend])[backend] - postgres
    return built / elapsed, python_used / built, postgres_used / built, built


def empty_export_latency(port: int, auth: str, requests: int = 200) -> float:
    """(f) p50 latency (s) of an OTLP export without spans: what every request pays before its spans."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    body = ExportTraceServiceRequest().SerializeToString()
    send_all((port, "/api/public/otel/v1/traces", "application/x-protobuf", auth, [body] * 20))  # warm
    return percentile(
        send_all((port, "/api/public/otel/v1/traces", "application/x-protobuf", auth, [body] * requests)), 50
    )


def request_steps(project_id: str, bodies: list[bytes]) -> dict[str, float]:
    """(f) p50 wall time (s) of each step of a 100-span OTLP request, one request after another, in
    this process: protobuf decoding, mapping to events, and the write (durable on return)."""
    from django.utils import timezone

    from apps.ingestion.otel_decode import decode_protobuf
    from apps.ingestion.otel_mapping import spans_to_events
    from apps.ingestion.writer import write_events

    steps: dict[str, list[float]] = {"decode": [], "mapping": [], "write": []}
    for index, body in enumerate(bodies):
        started = time.perf_counter()
        spans = decode_protobuf(body)
        decoded = time.perf_counter()
        events, _rejected = spans_to_events(spans, received=timezone.now())
        mapped = time.perf_counter()
        write_events(project_id=project_id, events=events)
        written = time.perf_counter()
        if index >= 10:  # the first ones warm this process's caches and connection
            for name, seconds in zip(steps, (decoded - started, mapped - decoded, written - mapped), strict=True):
                steps[name].append(seconds)
    return {name: percentile(values, 50) for name, values in steps.items()}


def floor(rows: int, per_transaction: int = 1000) -> float:
    """(a) COPY + upsert of observation-shaped rows into a copy of the observations table."""
    import psycopg
    from psycopg.types.json import Jsonb

    rng = random.Random(1)
    prompt = json.loads(span_attributes(rng)["langfuse.observation.input"])
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute("CREATE TABLE bench_floor (LIKE traces_observation INCLUDING ALL)")
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'traces_observation' "
                "ORDER BY ordinal_position"
            ).fetchall()
        ]
        now = time.strftime("%Y-%m-%d %H:%M:%S+00")
        template = {c: None for c in columns}
        template.update(
            project_id="bench",
            type="GENERATION",
            start_time=now,
            created_at=now,
            updated_at=now,
            level="DEFAULT",
            environment="default",
            metadata=Jsonb({}),
            input=Jsonb(prompt),
            output=Jsonb(prompt),
            provided_usage_details=Jsonb({"input": 10}),
            provided_cost_details=Jsonb({}),
            usage_details=Jsonb({"input": 10}),
            cost_details=Jsonb({}),
            merge_state=Jsonb({}),
            input_tokens=10,
            output_tokens=0,
            total_tokens=10,
            cost_status="none",
            model="gpt-4o",
            name="llm-call",
        )
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ("project_id", "id"))
        started = time.perf_counter()
        for start in range(0, rows, per_transaction):
            with conn.transaction():
                conn.execute("CREATE TEMP TABLE stage (LIKE bench_floor) ON COMMIT DROP")
                with conn.cursor().copy(f"COPY stage ({', '.join(columns)}) FROM STDIN") as copy:
                    for n in range(start, min(start + per_transaction, rows)):
                        row = dict(template, id=f"obs-{n}", trace_id=f"trace-{n // 5}")
                        copy.write_row([row[c] for c in columns])
                conn.execute(
                    f"INSERT INTO bench_floor SELECT * FROM stage ON CONFLICT (project_id, id) DO UPDATE SET {updates}"
                )
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_floor")
    return rows / elapsed


def otlp_bodies(rng: random.Random, spans: int) -> list[bytes]:
    return [otlp_body(rng, 100) for _ in range(spans // 100)]


class Phase:
    """One endpoint under load, over the rounds: rates, latencies, CPU and what was stored."""

    def __init__(self, path: str, content_type: str) -> None:
        self.path, self.content_type = path, content_type
        self.rates: list[float] = []
        self.latencies: list[float] = []
        self.sent = self.stored = 0
        self.cpu = [0.0, 0.0, 0.0]  # web, PostgreSQL, clients (seconds)

    def run(self, port: int, auth: str, bodies: list[bytes], clients: int, web_pid: int, project_id: str) -> None:
        from apps.traces.models import Observation  # noqa: PLC0415 - Django is set up by main()

        before = Observation.objects.filter(project_id=project_id).count()
        with CpuSplit(web_pid) as cpu:
            elapsed, latencies = run_clients(port, self.path, self.content_type, auth, bodies, clients)
        items = len(bodies) * 100
        self.rates.append(items / elapsed)
        self.latencies += latencies
        self.sent += items
        self.stored += Observation.objects.filter(project_id=project_id).count() - before
        self.cpu = [total + part for total, part in zip(self.cpu, (cpu.web, cpu.postgres, cpu.clients), strict=True)]

    def cpu_per_hundred(self) -> str:
        web, postgres, clients = (seconds * 100_000 / self.sent for seconds in self.cpu)
        return f"web {web:.1f}, PostgreSQL {postgres:.1f}, clients {clients:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=80_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=None, help="default: as `manage.py serve`")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=3191)
    parser.add_argument("--rounds", type=int, default=3, help="floor, OTLP and batch phases, interleaved")
    options = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")  # its own scratch database
    psql(f"CREATE DATABASE {DB}")
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "DJANGO_SETTINGS_MODULE": "langops.settings.prod",
        "SESSION_COOKIE_SECURE": "false",
        "LANGOPS_DATA_DIR": str(ROOT / "data" / "bench"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from apps.apikeys.services import api_key_create
    from apps.core.access import system_access
    from apps.core.management.commands.serve import default_web_workers
    from apps.organizations.models import Organization
    from apps.projects.models import Project

    options.web_workers = options.web_workers or default_web_workers()
    organization = Organization.objects.create(name="Bench")
    project = Project.objects.create(organization=organization, name="Bench project")
    key, secret = api_key_create(access=system_access(organization), project=project, note="bench")
    auth = "Basic " + base64.b64encode(f"{key.public_key}:{secret}".encode()).decode()

    slots = options.web_workers * options.threads
    warm = 4 * slots  # warm-up requests: every web thread imports, connects and loads its caches
    print(f"Building {options.spans} spans per endpoint and round, {options.rounds} rounds ...", flush=True)
    rng = random.Random(7)
    idle_requests = 40  # per round, one after the other
    extra = otlp_bodies(rng, (warm + idle_requests * options.rounds) * 100)  # warm-up, then the idle ones
    in_process = otlp_bodies(rng, 110 * 100)  # (f)
    otlp = [otlp_bodies(rng, options.spans) for _ in range(options.rounds)]
    batch = [[batch_body(rng, 100) for _ in range(options.spans // 100)] for _ in range(options.rounds)]
    span_bytes = sum(map(len, otlp[0])) / options.spans
    event_bytes = sum(map(len, batch[0])) / options.spans

    # For context, not the target: the floor with one request's worth of rows per transaction.
    request_floor = floor(options.spans, 100)
    web = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "langops.wsgi:application",
            "--bind",
            f"127.0.0.1:{options.port}",
            "--workers",
            str(options.web_workers),
            "--threads",
            str(options.threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [python, "-m", "celery", "-A", "langops", "worker", "--concurrency", "1", "--loglevel", "WARNING"]
        + ["-Q", "default,ingestion"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    otlp_phase = Phase("/api/public/otel/v1/traces", "application/x-protobuf")
    batch_phase = Phase("/api/public/ingestion", "application/json")
    floors: list[float] = []
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", options.port, timeout=1).request("GET", "/api/public/health")
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)
        run_clients(options.port, otlp_phase.path, otlp_phase.content_type, auth, extra[:warm], slots)
        # The machine's speed drifts by a fifth or more within minutes: the floor is measured
        # before, between and after the rounds (web and worker idle meanwhile), and each round's
        # ratios use the floors on either side of it, so that each compares like with like. The
        # idle latency is sampled in every round too, after its floor.
        idle_rounds: list[list[float]] = []
        for round_ in range(options.rounds):
            floors.append(floor(options.spans))
            idle_bodies = extra[warm + round_ * idle_requests : warm + (round_ + 1) * idle_requests]
            idle_rounds.append(send_all((options.port, otlp_phase.path, otlp_phase.content_type, auth, idle_bodies)))
            for phase, bodies in ((otlp_phase, otlp[round_]), (batch_phase, batch[round_])):
                phase.run(options.port, auth, bodies, options.clients, web.pid, project.id)
        floors.append(floor(options.spans))
        empty_export = empty_export_latency(options.port, auth)
        web_rss = [peak_rss_mb(p) for p in [web.pid, *children(web.pid)]]
        worker_rss = [peak_rss_mb(p) for p in [worker.pid, *children(worker.pid)]]
    finally:
        web.terminate()
        worker.terminate()
        web.wait()
        worker.wait()
    indexing = search_indexing()
    steps = request_steps(project.id, in_process)

    round_floors = [(a + b) / 2 for a, b in zip(floors, floors[1:], strict=False)]
    otlp_ratios = [rate / f for rate, f in zip(otlp_phase.rates, round_floors, strict=True)]
    batch_ratios = [rate / f for rate, f in zip(batch_phase.rates, round_floors, strict=True)]
    print()
    print(
        f"Machine: {os.cpu_count()} cores; web: gunicorn {options.web_workers} workers x {options.threads} threads;"
        f" {options.clients} concurrent clients; payload ~{span_bytes:.0f} B/span (OTLP), ~{event_bytes:.0f} B/event"
    )
    print(
        f"Rounds: {options.rounds}, each: the floor, {idle_requests} OTLP requests at idle, then {options.spans:,} spans"
        " by OTLP, then as many events by batch"
    )
    for index in range(options.rounds):
        print(
            f"  round {index + 1}: floor {round_floors[index]:8,.0f} rows/s   OTLP {otlp_phase.rates[index]:8,.0f} spans/s"
            f" ({otlp_ratios[index]:.2f}x)   batch {batch_phase.rates[index]:8,.0f} events/s ({batch_ratios[index]:.2f}x)"
        )
    print(
        f"(a) PostgreSQL floor, COPY + upsert, one process:   {statistics.median(floors):10,.0f} rows/s "
        f"(median of {', '.join(f'{r:,.0f}' for r in floors)}; 1,000 rows per transaction)"
    )
    print(
        f"    the same, 100 rows per transaction:          {request_floor:10,.0f} rows/s "
        f"(context: one request's worth; the ratios are to the line above)"
    )
    for label, phase, ratios, unit in (
        ("(b) OTLP end to end (acked = committed):       ", otlp_phase, otlp_ratios, "spans"),
        ("    batch endpoint end to end:                 ", batch_phase, batch_ratios, "events"),
    ):
        print(
            f"{label}{statistics.median(phase.rates):10,.0f} {unit}/s, median of rounds "
            f"({statistics.median(ratios):.2f}x floor, median of the rounds' ratios; stored {phase.stored}/{phase.sent})"
        )
    print(f"    CPU ms per 100 spans, OTLP:  {otlp_phase.cpu_per_hundred()}")
    print(f"    CPU ms per 100 events, batch: {batch_phase.cpu_per_hundred()}")
    idle = [latency for latencies in idle_rounds for latency in latencies]
    print(
        f"(c) 100-span OTLP request at idle:      p50 {percentile(idle, 50) * 1000:7.1f} ms   "
        f"p99 {percentile(idle, 99) * 1000:7.1f} ms   "
        f"(p50 by round: {', '.join(f'{percentile(r, 50) * 1000:.1f}' for r in idle_rounds)})"
    )
    for label, phase in (
        ("100-span OTLP request, saturated:  ", otlp_phase),
        ("100-event batch request, saturated:", batch_phase),
    ):
        print(
            f"    {label} p50 {percentile(phase.latencies, 50) * 1000:7.1f} ms   "
            f"p99 {percentile(phase.latencies, 99) * 1000:7.1f} ms"
        )
    print(
        f"(d) peak RSS web: {max(web_rss):.0f} MB per process ({sum(web_rss):.0f} MB all); "
        f"worker: {max(worker_rss):.0f} MB per process ({sum(worker_rss):.0f} MB all)"
    )
    rate, python_cpu, postgres_cpu, built = indexing
    per_span = (python_cpu + postgres_cpu) * 1000 * 100 / SPANS_PER_TRACE
    print(
        f"(e) search indexer, background, not in (b): {rate:,.0f} traces/s on one process ({built:,} traces); "
        f"CPU per trace: worker {python_cpu * 1e6:.0f} us, PostgreSQL {postgres_cpu * 1e6:.0f} us; "
        f"per 100 OTLP spans ({SPANS_PER_TRACE} per trace): {per_span:.1f} ms"
    )
    print(
        f"(f) idle request steps, p50: an empty OTLP export over HTTP {empty_export * 1000:.1f} ms; "
        f"a 100-span request in process: decode {steps['decode'] * 1000:.1f} ms, "
        f"mapping {steps['mapping'] * 1000:.1f} ms, write {steps['write'] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
