"""How the trace page shows stored values: chat messages, markdown (HTML never passed through) or JSON."""

import re
from functools import lru_cache
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

MAX_MARKDOWN_CHARS = 100_000  # longer strings are shown as plain text

# Block and inline constructs that plain prose rarely contains.
_MARKDOWN_HINTS = re.compile(
    r"^\s{0,3}(#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|>\s|```|~~~|\|.*\|\s*$)"  # headings, lists, quotes, fences, tables
    r"|\*\*[^*\n]+\*\*|__[^_\n]+__|`[^`\n]+`|\[[^\]\n]+\]\(https?://",  # bold, inline code, links
    re.MULTILINE,
)


def as_chat(value: Any) -> list[dict] | None:
    """Messages to render as a conversation: a list of {role, ...} (each may be wrapped as
    OpenInference's `{"message": {...}}`), a single such message, or the messages of a call's
    input that carries its tools (`{"messages": [...], "tools": [...]}`, shown whole as JSON)."""
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if isinstance(value, dict) and "role" in value and "content" in value:
        return [value]
    if isinstance(value, list) and value:
        messages = [unwrapped_message(m) for m in value]
        if all(isinstance(m, dict) and "role" in m for m in messages):
            return messages
    return None


def unwrapped_message(value: Any) -> Any:
    """OpenInference's `{"message": {"role": ...}}` as the message itself; anything else as it is."""
    if isinstance(value, dict) and "role" not in value and isinstance(value.get("message"), dict):
        return value["message"]
    return value


def looks_like_markdown(value: Any) -> bool:
    """Whether a string is worth rendering as markdown (it uses markdown syntax and is not huge)."""
    return isinstance(value, str) and len(value) <= MAX_MARKDOWN_CHARS and bool(_MARKDOWN_HINTS.search(value))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False escapes any HTML in the text; images are off so a trace cannot make the browser
    # fetch URLs of its choosing; markdown-it refuses javascript:, vbscript: and data: links.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")

    def link_open(renderer, tokens, idx, options, env):  # links from traces open elsewhere, without referrer
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        tokens[idx].attrSet("target", "_blank")
        return renderer.renderToken(tokens, idx, options, env)

    parser.add_render_rule("link_open", link_open)
    return parser


def render_markdown(text: str) -> SafeString:
    """HTML of a markdown string, with any HTML in the string escaped."""
    return mark_safe(_parser().render(text))  # noqa: S308 - the parser escapes all HTML input
