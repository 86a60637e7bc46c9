"""Read-path benchmark of the trace explorer: prints p50/p95 figures, asserts nothing.

    .venv/bin/python tests/benchmarks/explorer.py [--traces 100000] [--observations-per-trace 10]

Creates a scratch PostgreSQL database (langops_bench_read), fills it with `manage.py
generate_traces`, then times repeated requests in-process (Django test client, no network):
the first traces page, a filtered page (user + tag + time range), the detail of a trace with
1,000 observations, a session replay, the console's traces page, its full-text search and filters.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
DB = "langops_bench_read"


def timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--observations-per-trace", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    options = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "DJANGO_SETTINGS_MODULE": "langops.settings.base",
        "LANGOPS_DATA_DIR": str(ROOT / "data" / "bench"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "*",
    }
    os.environ.update(env)
    if not options.reuse:
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {DB}"], check=True)
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f"CREATE DATABASE {DB}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from apps.apikeys.services import api_key_create
    from apps.core.access import system_access
    from apps.organizations.models import Membership, Organization
    from apps.projects.models import Project
    from apps.traces.models import Trace
    from tests.factories import UserFactory

    project = Project.objects.filter(name="Read bench").first()
    if project is None:
        organization = Organization.objects.create(name="Read bench")
        project = Project.objects.create(organization=organization, name="Read bench")
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "generate_traces",
                "--project",
                project.id,
                "--traces",
                str(options.traces),
                "--observations-per-trace",
                str(options.observations_per_trace),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"generated in {time.monotonic() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    key, secret = api_key_create(access=system_access(project.organization), project=project, note="bench")
    import base64

    header = "Basic " + base64.b64encode(f"{key.public_key}:{secret}".encode()).decode()
    api = Client(HTTP_AUTHORIZATION=header)
    user = UserFactory(email=f"bench-{time.time_ns()}@example.com")
    Membership.objects.create(organization=project.organization, user=user, role="MEMBER")
    console = Client()
    console.force_login(user)
    sample = Trace.objects.filter(project_id=project.id).exclude(session_id=None).order_by("-timestamp").first()
    week_ago = (sample.timestamp.replace(microsecond=0)).isoformat().replace("+00:00", "Z")
    counts = Trace.objects.filter(project_id=project.id).count()
    cases = [
        ("API traces, first page (limit 50)", lambda: api.get("/api/public/traces", {"limit": 50})),
        (
            "API traces, user + tag + time range",
            lambda: api.get(
                "/api/public/traces",
                {
                    "userId": sample.user_id,
                    "tags": "prod",
                    "fromTimestamp": "2000-01-01T00:00:00Z",
                    "toTimestamp": week_ago,
                },
            ),
        ),
        ("API trace detail, 1,000 observations", lambda: api.get("/api/public/traces/big-trace")),
        ("Console traces page", lambda: console.get(f"/project/{project.id}/traces/")),
        (
            "Console search, a pasted user id",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "user-17"}),
        ),
        (
            "Console full-text search, common Japanese word",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "天気"}),
        ),
        (
            "Console full-text search, Japanese phrase",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "請求書の再発行"}),
        ),
        (
            "Console full-text search, rare word (~0.25%)",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "kalo7"}),
        ),
        (
            "Console full-text search, rare word + 24 h",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "kalo7", "range": "24h"}),
        ),
        (
            "Console full-text search, no match",
            lambda: console.get(f"/project/{project.id}/traces/", {"q": "zzzyx"}),
        ),
        (
            "Console filter, metadata channel = line",
            lambda: console.get(
                f"/project/{project.id}/traces/",
                {
                    "filter": '[{"type":"stringObject","column":"metadata","key":"channel",'
                    '"operator":"=","value":"line"}]'
                },
            ),
        ),
        (
            "Console filter, user + tag + 7 d",
            lambda: console.get(
                f"/project/{project.id}/traces/", {"user": sample.user_id, "tag": "prod", "range": "7d"}
            ),
        ),
        ("Console session replay", lambda: console.get(f"/project/{project.id}/sessions/{sample.session_id}/")),
        ("Console sessions list", lambda: console.get(f"/project/{project.id}/sessions/")),
        ("Console users list", lambda: console.get(f"/project/{project.id}/users/")),
        ("Console errors view, 24 h", lambda: console.get(f"/project/{project.id}/errors/")),
        ("Console traces page 2,000 (deep)", lambda: console.get(f"/project/{project.id}/traces/", {"page": 2000})),
        ("Console trace page, 1,000 observations", lambda: console.get(f"/project/{project.id}/traces/big-trace/")),
    ]
    print(f"\n{counts:,} traces in the project; {options.repeat} requests per case, in-process\n")
    for label, call in cases:
        p50, p95 = timed(call, options.repeat)
        print(f"{label:45s} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")


if __name__ == "__main__":
    main()
