"""Generate realistic traces and observations into a project, fast (COPY on PostgreSQL).

    manage.py generate_traces --project <id> --traces 1000000 --observations-per-trace 10

For load tests and benchmarks of the read path: users, sessions, tags, environments, models,
errors and Japanese and English text vary; per-trace aggregates are filled as the writer would.
One extra trace (id "big-trace") gets --big-trace-observations observations.
"""

import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from apps.traces import search
from apps.traces.models import Observation, Trace

NAMES = ["chat", "workflow", "rag-answer", "summarize", "classify", "agent-run", "翻訳", "問い合わせ対応"]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022", None]
TEXTS = [
    "How do I reset my password?",
    "東京の天気を教えてください。",
    "Summarize the attached contract.",
    "返品の手続きについて知りたいです。",
    "What is retrieval augmented generation?",
    "請求書の再発行をお願いします。",
]
TAGS = ["prod", "beta", "dify", "rag", "agent", "vip", "日本語"]
# Rarer words, each in about 1 of 400 traces: what a selective full-text search looks for.
TOPICS = [f"{a}{b}{c}" for a in ("ka", "mi", "to", "re", "su") for b in ("lo", "na", "ri", "ve") for c in range(20)]


class Command(BaseCommand):
    help = "Generate traces and observations into a project for load tests and read benchmarks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True)
        parser.add_argument("--traces", type=int, default=10_000)
        parser.add_argument("--observations-per-trace", type=int, default=10)
        parser.add_argument("--big-trace-observations", type=int, default=1000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("generate_traces uses COPY and needs PostgreSQL")
        rng = random.Random(options["seed"])
        self.project_id = options["project"]
        self.now = datetime.now(tz=UTC)
        self.trace_columns = [f.column for f in Trace._meta.concrete_fields]
        self.obs_columns = [f.column for f in Observation._meta.concrete_fields]
        started = time.monotonic()
        total, per_trace, chunk = options["traces"], options["observations_per_trace"], 2000
        for start in range(0, total, chunk):
            traces, observations = [], []
            for n in range(start, min(start + chunk, total)):
                trace, obs = self._trace(rng, f"trace-{n:09d}", per_trace, options["days"])
                traces.append(trace)
                observations.extend(obs)
            self._copy(traces, observations)
            if (start // chunk) % 25 == 0:
                self.stdout.write(
                    f"  {min(start + chunk, total):,} / {total:,} traces ({time.monotonic() - started:.0f} s)"
                )
        big, obs = self._trace(rng, "big-trace", options["big_trace_observations"], 1)
        self._copy([big], obs)
        self.stdout.write(
            f"Generated {total + 1:,} traces and {total * per_trace + len(obs):,} observations "
            f"in {time.monotonic() - started:.0f} s"
        )

    def _trace(self, rng: random.Random, trace_id: str, count: int, days: int) -> tuple[list, list]:
        timestamp = self.now - timedelta(seconds=rng.randint(0, days * 86400))
        user = f"user-{rng.randint(1, 2000)}"
        session = f"session-{rng.randint(1, 50000)}"
        observations, cost, tokens, errors, level_max = [], Decimal(0), [0, 0], 0, 1
        cursor = timestamp
        for index in range(count):
            model = rng.choice(MODELS)
            duration = timedelta(milliseconds=rng.randint(20, 3000))
            level = "ERROR" if rng.random() < 0.02 else "DEFAULT"
            usage = {"input": rng.randint(50, 2000), "output": rng.randint(10, 500)} if model else {}
            if usage:
                usage["total"] = usage["input"] + usage["output"]
            obs_cost = Decimal(usage.get("total", 0)) * Decimal("0.000002") if model else None
            row = {
                "project_id": self.project_id,
                "id": f"{trace_id}-o{index}",
                "trace_id": trace_id,
                "type": "GENERATION" if model else "SPAN",
                "parent_observation_id": None if index == 0 else f"{trace_id}-o0",
                "name": f"step-{index % 7}",
                "start_time": cursor,
                "end_time": cursor + duration,
                "completion_start_time": None,
                "level": level,
                "status_message": "Rate limit exceeded (429)" if level == "ERROR" else None,
                "version": None,
                "environment": "production",
                "model": model,
                "model_parameters": None,
                "input": json.dumps(rng.choice(TEXTS), ensure_ascii=False),
                "output": json.dumps(rng.choice(TEXTS), ensure_ascii=False),
                "metadata": "{}",
                "prompt_name": None,
                "prompt_version": None,
                "provided_usage_details": json.dumps(usage),
                "provided_cost_details": "{}",
                "usage_details": json.dumps(usage),
                "cost_details": "{}",
                "usage_unit": "TOKENS" if usage else None,
                "total_cost": obs_cost,
                "input_tokens": usage.get("input", 0),
                "output_tokens": usage.get("output", 0),
                "total_tokens": usage.get("total", 0),
                "cost_status": "computed" if model else "none",
                "model_id": None,
                "pricing_tier_id": None,
                "pricing_tier_name": None,
                "merge_state": "{}",
                "created_at": cursor,
                "updated_at": cursor,
            }
            observations.append(row)
            cursor += duration / 2
            cost += obs_cost or 0
            tokens[0] += usage.get("input", 0)
            tokens[1] += usage.get("output", 0)
            errors += level == "ERROR"
            level_max = 3 if errors else level_max
        end = max((o["end_time"] for o in observations), default=timestamp)
        trace = {
            "project_id": self.project_id,
            "id": trace_id,
            "timestamp": timestamp,
            "name": rng.choice(NAMES),
            "user_id": user,
            "session_id": session,
            "release": "v1.4.2",
            "version": None,
            "environment": rng.choice(["production", "production", "staging"]),
            "public": False,
            "bookmarked": False,
            "external_id": None,
            "tags": json.dumps(rng.sample(TAGS, rng.randint(0, 3)), ensure_ascii=False),
            "metadata": json.dumps({"tenant": f"t{rng.randint(1, 40)}", "channel": rng.choice(["web", "line"])}),
            "input": json.dumps({"query": f"{rng.choice(TEXTS)} {rng.choice(TOPICS)}"}, ensure_ascii=False),
            "output": json.dumps({"answer": rng.choice(TEXTS)}, ensure_ascii=False),
            "merge_state": "{}",
            "created_at": timestamp,
            "updated_at": timestamp,
            "observation_count": count,
            "error_count": errors,
            "level_max": level_max,
            "total_cost": cost if count else None,
            "input_tokens": tokens[0],
            "output_tokens": tokens[1],
            "total_tokens": sum(tokens),
            "start_time_min": timestamp if count else None,
            "end_time_max": end if count else None,
            "search_pending": False,
        }
        trace["search_document"] = search.document(
            name=trace["name"],
            input=json.loads(trace["input"]),
            output=json.loads(trace["output"]),
            metadata=json.loads(trace["metadata"]),
        )
        return [trace], observations

    @transaction.atomic
    def _copy(self, traces: list, observations: list) -> None:
        # Traces go through a staging copy whose search document is plain text, turned into a
        # tsvector by PostgreSQL itself (the same parser the indexer's to_tsvector uses).
        columns = ", ".join(self.trace_columns)
        document = ", ".join(
            "to_tsvector('simple'::regconfig, search_document)" if c == "search_document" else c
            for c in self.trace_columns
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS gen_traces ON COMMIT DELETE ROWS AS "
                "SELECT * FROM traces_trace WITH NO DATA"
            )
            cursor.execute("ALTER TABLE gen_traces ALTER COLUMN search_document TYPE text")
            for table, names, rows in (
                ("gen_traces", self.trace_columns, [r for t in traces for r in t]),
                ("traces_observation", self.obs_columns, observations),
            ):
                with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in names])
            cursor.execute(f"INSERT INTO traces_trace ({columns}) SELECT {document} FROM gen_traces")
