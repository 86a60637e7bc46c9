"""Values written as JavaScript's String() writes them, as Langfuse compares and stores them."""

import pytest

from apps.core.javascript import js_string

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
