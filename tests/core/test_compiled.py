"""The compiled hot path (langops/compiled.py): used by this suite, only while it matches the sources,
and mapping spans exactly as the source does."""

import importlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from langops import compiled

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
needs_compiler = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler: the source runs as it is")


@pytest.fixture(scope="module")
def build_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A usable build in a directory of its own (scripts/setup.sh's, copied; else built here)."""
    directory = tmp_path_factory.mktemp("compiled") / "build"
    if compiled.usable(compiled.BUILD_DIR) is not None:
        shutil.copytree(compiled.BUILD_DIR, directory)
    else:
        assert compiled.build(directory)
    return directory


@needs_compiler
def test_the_suite_runs_the_compiled_modules():
    stale = "no current build: `make test` compiles one (scripts/setup.sh dev) after a compiled module changed"
    for module in compiled.MODULES:
        assert importlib.import_module(module).__file__.endswith(SUFFIX), f"{module} runs as source: {stale}"


@needs_compiler
def test_a_build_is_used_only_while_it_matches_the_sources_and_the_interpreter(build_copy: Path, tmp_path: Path):
    directory = tmp_path / "build"
    shutil.copytree(build_copy, directory)
    assert set(compiled.usable(directory)) == {*compiled.MODULES, f"{compiled.GROUP}__mypyc"}
    stamp = json.loads((directory / "stamp.json").read_text())

    edited = json.loads(json.dumps(stamp))
    edited["sources"]["apps.ingestion.merge"] = "0" * 64  # the source changed since the build
    (directory / "stamp.json").write_text(json.dumps(edited))
    assert compiled.usable(directory) is None

    (directory / "stamp.json").write_text(json.dumps({**stamp, "python": "3.11.0 (another build)"}))
    assert compiled.usable(directory) is None

    (directory / "stamp.json").write_text(json.dumps(stamp))
    assert compiled.usable(directory) is not None
    (directory / "apps" / "ingestion" / f"otel_mapping{SUFFIX}").unlink()
    assert compiled.usable(directory) is None

    (directory / "stamp.json").unlink()
    assert compiled.usable(directory) is None


_MAP = """
import json, os, sys
import django
django.setup()
from django.utils.dateparse import parse_datetime
import apps.ingestion.otel_mapping as mapping
from apps.ingestion.otel_decode import decode_protobuf
from apps.ingestion.merge import apply_first_event, apply_event
events, rejected = mapping.spans_to_events(decode_protobuf(sys.stdin.buffer.read()), received=parse_datetime("2026-11-29T12:00:00Z"))
rows = {}
for event in events:
    row = rows.get((event.kind, event.id))
    if row is None:
        row = rows[(event.kind, event.id)] = {"merge_state": {}}
        apply_first_event(row, event.kind, event.fields, event.weak_fields, event.key)
    else:
        apply_event(row, event.kind, event.fields, event.key)
print(json.dumps({"file": mapping.__file__, "rejected": [r.reason for r in rejected],
    "rows": sorted([[*key, row] for key, row in rows.items()], key=str)}, default=str, sort_keys=True))
"""


def _map_in_process(body: bytes, **env: str) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "langops.settings.test", **env}
    result = subprocess.run(
        [sys.executable, "-c", _MAP], input=body, capture_output=True, check=True, env=environment, cwd=compiled.ROOT
    )
    return json.loads(result.stdout)


@needs_compiler
def test_a_new_process_maps_spans_with_the_build_exactly_as_with_the_source(build_copy: Path):
    from tests.ingestion.otlp import protobuf_request

    trace = "0af7651916cd43dd8448eb211c80319c"
    body = protobuf_request(
        [
            {
                "trace_id": trace,
                "span_id": "b7ad6b7169203331",
                "name": "agent",
                "attributes": {
                    "langfuse.trace.name": "chat",
                    "user.id": "u-1",
                    "session.id": "s-1",
                    "langfuse.trace.tags": ["a", "b"],
                    "langfuse.observation.input": json.dumps({"question": "東京タワーの高さは?"}),
                    "langfuse.observation.metadata.step": 3,
                },
            },
            {
                "trace_id": trace,
                "span_id": "00f067aa0ba902b7",
                "parent": "b7ad6b7169203331",
                "name": "llm",
                "start_ms": 5,
                "end_ms": 900,
                "error": "rate limited",
                "attributes": {
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.request.temperature": 0.2,
                    "gen_ai.prompt.0.role": "user",
                    "gen_ai.prompt.0.content": "hi",
                    "gen_ai.completion.0.role": "assistant",
                    "gen_ai.completion.0.content": "hello",
                    "gen_ai.usage.input_tokens": 12,
                    "gen_ai.usage.output_tokens": 3,
                    "gen_ai.usage.cache_read.input_tokens": 2,
                    "custom.flag": True,
                },
                "events": [{"name": "exception", "attributes": {"exception.message": "429"}}],
            },
            {
                "trace_id": trace,
                "span_id": "1111111111111111",
                "parent": "b7ad6b7169203331",
                "name": "ai.generateText.doGenerate",
                "attributes": {
                    "operation.name": "ai.generateText.doGenerate",
                    "ai.model.id": "claude-3-5-sonnet-20241022",
                    "ai.prompt.messages": json.dumps([{"role": "user", "content": [{"type": "text", "text": "x"}]}]),
                    "ai.response.text": "y",
                    "ai.usage.promptTokens": 7,
                    "ai.usage.completionTokens": 1,
                    "ai.settings.maxRetries": 2,
                },
            },
        ],
        scope="ai",
        scope_version="5.0.0",
    )
    built = _map_in_process(body, LANGOPS_COMPILED_DIR=str(build_copy))
    source = _map_in_process(body, LANGOPS_COMPILED="0")
    assert built["file"].endswith(SUFFIX) and source["file"].endswith(".py")
    assert built["rows"] and built["rows"] == source["rows"] and built["rejected"] == source["rejected"]
