"""The fallback splitter of batches whose decoding hit the nesting limit."""

import pytest

from apps.ingestion.batch_split import split_batch

pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"batch": []}', []),
        (b'{"batch": [1, "a,b", {"x": "]}"}, [2, [3]], null]}', [b"1", b'"a,b"', b'{"x": "]}"}', b"[2, [3]]", b"null"]),
        (b'{"metadata": {"batch": [9]}, "batch": [{"id": "e\\"1"}]}', [b'{"id": "e\\"1"}']),
        (b'{"other": 1}', None),
        (b"[1, 2]", None),
    ],
)
def test_split(text, expected):
    assert split_batch(text) == expected
