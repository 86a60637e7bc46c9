"""Counting tokens offline with tiktoken: OpenAI's encodings and Anthropic's Claude tokenizer.

tiktoken normally downloads its BPE files on first use. The two encodings we need ship with
LangOps (data/*.tiktoken.gz, byte-identical to OpenAI's files) and are placed in tiktoken's own
cache under the data directory, where tiktoken verifies their SHA-256 before use: nothing is
downloaded at run time.

Claude models (tokenizerId "claude" in the price list) are counted with the tokenizer Anthropic
published as the npm package @anthropic-ai/tokenizer 0.0.4 (data/claude.json.gz, its BPE ranks,
pattern and special tokens, verified by SHA-256; license in data/claude-tokenizer.LICENSE), run
by tiktoken on NFKC-normalised text, as that package does. It is the tokenizer of the Claude 2
generation: for newer Claude models it is an estimate, which is why clients that send usage win.
"""

import base64
import gzip
import hashlib
import json
import os
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.core.javascript import js_json

_DATA = Path(__file__).resolve().parent / "data"
_SOURCES = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
# The tokenizer models whose message lists Langfuse counts with OpenAI's chat formula (its exact
# list; any other model's messages are counted as their JSON text).
_CHAT_MODELS = frozenset(
    {
        "gpt-4",
        "gpt-4-0314",
        "gpt-4-0613",
        "gpt-4-32k",
        "gpt-4-32k-0314",
        "gpt-4-32k-0613",
        "gpt-3.5-turbo",
        "gpt-35-turbo",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-16k-0613",
        "gpt-4-1106-preview",
        "gpt-4-vision-preview",
        "gpt-4o-2024-05-13",
        "gpt-4o",
    }
)
# The message keys the chat formula counts.
_CHAT_KEYS = ("content", "role", "name", "tool_calls", "function_call", "toolCalls", "functionCall")
_lock = threading.Lock()


def _install_offline_cache() -> None:
    cache_dir = Path(settings.DATA_DIR) / "tiktoken"
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, url in _SOURCES.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if not target.exists():
            temporary = target.with_suffix(".tmp")
            temporary.write_bytes(gzip.decompress((_DATA / f"{name}.tiktoken.gz").read_bytes()))
            temporary.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)


@lru_cache(maxsize=8)
def encoding_for(model: str) -> Any:
    """The tiktoken encoding for a model name (o200k for the gpt-4o family, else cl100k)."""
    import tiktoken

    with _lock:
        _install_offline_cache()
        try:
            name = tiktoken.encoding_name_for_model(model)
        except KeyError:
            name = "cl100k_base"
        if name not in _SOURCES:
            name = "cl100k_base"
        return tiktoken.get_encoding(name)


_CLAUDE_SHA256 = "58dad83d85e9cd57be209172449ebfbc395df2b455c11fe8b7e5b661e6f462ad"


@lru_cache(maxsize=1)
def claude_encoding() -> Any:
    """Anthropic's Claude tokenizer as a tiktoken Encoding (ranks: "<pad> <offset> <b64 token>...")."""
    import tiktoken

    raw = gzip.decompress((_DATA / "claude.json.gz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != _CLAUDE_SHA256:
        raise RuntimeError("data/claude.json.gz does not hold the published Claude tokenizer")
    data = json.loads(raw)
    fields = data["bpe_ranks"].split(" ")
    offset = int(fields[1])
    ranks = {base64.b64decode(token): offset + index for index, token in enumerate(fields[2:])}
    return tiktoken.Encoding(
        "claude", pat_str=data["pat_str"], mergeable_ranks=ranks, special_tokens=data["special_tokens"]
    )


def _text(value: Any) -> str:
    """Text as it is; anything else as its compact JSON text, as JavaScript writes it."""
    return value if isinstance(value, str) else js_json(value)


def _is_chat(value: Any) -> bool:
    """A list of messages with text roles and contents (and names, if any)."""
    return isinstance(value, list) and all(
        isinstance(m, dict)
        and isinstance(m.get("role"), str)
        and isinstance(m.get("content"), str)
        and isinstance(m.get("name", ""), str)
        for m in value
    )


def count_tokens(value: Any, *, tokenizer_id: str | None, config: dict | None) -> int | None:
    """Tokens of an input or output the way Langfuse counts them; None when it cannot count."""
    if value is None:
        return None
    if tokenizer_id == "claude":
        text = unicodedata.normalize("NFKC", _text(value))
        return len(claude_encoding().encode(text, allowed_special="all"))
    if tokenizer_id != "openai" or not isinstance(config, dict):
        return None
    model = config.get("tokenizerModel")
    if not isinstance(model, str) or not model:
        return None
    encoding = encoding_for(model)
    if model in _CHAT_MODELS and _is_chat(value):
        per_message = int(config.get("tokensPerMessage") or 3)
        per_name = int(config.get("tokensPerName") or 1)
        total = 3  # every reply is primed with the assistant's header
        for message in value:
            total += per_message
            for key in _CHAT_KEYS:
                if message.get(key):
                    total += len(encoding.encode(_text(message[key]), disallowed_special=()))
            if "name" in message:
                total += per_name
        return total
    return len(encoding.encode(_text(value), disallowed_special=()))
