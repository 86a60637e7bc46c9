"""Full-text search over traces: name, input, output and metadata, in any language.

Scripts written without spaces (Japanese, Chinese, Korean, Thai, ...) are indexed as overlapping
character bigrams, so "東京タワー" becomes "東京 京タ タワ ワー ー" (with the run's last character
alone, which a one-character search finds) and a search for "タワー" is the phrase "タワ <-> ワー".
Everything else is split into words by PostgreSQL's parser. Text is NFKC-normalised and
case-folded on both sides (full-width "ＧＰＴ" finds "gpt", half-width katakana finds full-width).

PostgreSQL keeps the document as a `tsvector` with a GIN index and answers with phrase queries;
SQLite (the embedded mode) keeps the same expanded text and matches it with LIKE. The document
is built by a background job (`apps.traces.tasks.index_pending_traces`) from traces the writer
marks `search_pending`, so the ingestion hot path never pays for it.
"""

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from django.db import connection, models
from django.db.models import Q

# Characters of scripts that do not separate words with spaces.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0002ffff"  # CJK extensions B and later
)
_RUN = re.compile(f"[{_UNSPACED}]+")
# CJK punctuation and symbols separate words like spaces do.
_SEPARATORS = re.compile("[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u30fb]")
MAX_SOURCE_CHARS = 3000  # of each trace, before expansion: what a search can find
MAX_QUERY_TERMS = 8


def _bigrams(match: re.Match) -> str:
    run = match.group()
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


def _document_bigrams(match: re.Match) -> str:
    """A document's bigrams, and the run's last character alone: a search for one character is a
    prefix match, which finds it at the start of a bigram; the last one starts none."""
    run = match.group()
    return _bigrams(match) if len(run) == 1 else f"{_bigrams(match)}{run[-1]} "


def expand(text: str, *, document: bool = False) -> str:
    """Normalise text and split unspaced scripts into bigrams (the same for documents and queries,
    but for the last character of each run, which a `document` also holds alone)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _RUN.sub(_document_bigrams if document else _bigrams, _SEPARATORS.sub(" ", text))


def _strings(value: Any, budget: list[int], keys: bool) -> Iterator[str]:
    """The strings inside a JSON value (and its object keys if asked), within a character budget."""
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        piece = value[: budget[0]]
        budget[0] -= len(piece) + 1
        yield piece
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        yield from _strings(str(value), budget, keys)
    elif isinstance(value, dict):
        for key, item in value.items():
            if keys:
                yield from _strings(str(key), budget, keys)
            yield from _strings(item, budget, keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, budget, keys)


# Metadata that says where an OpenTelemetry trace came from (its resource and instrumentation
# scope), the same for every trace of a service: not searched, or "python" or "scope" would find
# them all.
_ORIGIN_METADATA = ("resourceAttributes", "scope")


def document(*, name: str | None, input: Any, output: Any, metadata: Any) -> str:
    """The searchable text of a trace: its name, the strings of input and output, metadata keys
    and values (but for where an OpenTelemetry trace came from)."""
    if isinstance(metadata, dict) and any(key in metadata for key in _ORIGIN_METADATA):
        metadata = {k: v for k, v in metadata.items() if k not in _ORIGIN_METADATA}
    budget = [MAX_SOURCE_CHARS]
    parts = list(_strings(name, budget, keys=False))
    for value, keys in ((input, False), (output, False), (metadata, True)):
        parts.extend(_strings(value, budget, keys))
    return expand("\n".join(parts), document=True)


def query_terms(text: str) -> list[str]:
    """A search box's text as expanded terms; every term must match (a term's bigrams as a phrase)."""
    terms = [" ".join(expand(word).split()) for word in text.split()]
    return [t for t in terms if any(ch.isalnum() for ch in t)][:MAX_QUERY_TERMS]


def tsquery(terms: list[str]) -> str:
    """PostgreSQL `to_tsquery` text: every term quoted (so the parser splits it like the document,
    as a phrase) and matched as a prefix, so "pin" finds "ping" while the user is still typing."""
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "':*" for t in terms)


class _Matches(models.Func):
    """`search_document @@ to_tsquery('simple', ...)` on PostgreSQL."""

    template = "(%(expressions)s @@ to_tsquery('simple'::regconfig, %(query)s))"
    output_field = models.BooleanField()

    def __init__(self, terms: list[str]) -> None:
        super().__init__(models.F("search_document"))
        self.query = tsquery(terms)

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, query="%s", **extra)
        return sql, (*params, self.query)


def matches(text: str) -> Q | None:
    """A filter for traces whose document holds every term of `text`; None for an empty search."""
    terms = query_terms(text)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        return Q(_Matches(terms))
    condition = Q()
    for term in terms:
        condition &= Q(search_document__contains=term)
    return condition


class SearchDocumentField(models.TextField):
    """The expanded document: a `tsvector` on PostgreSQL, plain text elsewhere."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_placeholder(self, value, compiler, connection):
        if connection.vendor == "postgresql":
            return "to_tsvector('simple'::regconfig, %s)"
        return "%s"
