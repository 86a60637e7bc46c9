"""Values written as JavaScript's String() writes them, as Langfuse compares and stores them."""

import pytest

from apps.core.javascript import js_json, js_string

pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (1.0, "1"),
        (0.5, "0.5"),
        (3, "3"),
        (["a", 1.0, True], "a,1,true"),
    ],
)
def test_js_string(value, text):
    assert js_string(value) == text


def test_js_json_is_compact_and_keeps_non_ascii():
    assert js_json({"a": [1, "東京"], "b": None}) == '{"a":[1,"東京"],"b":null}'
