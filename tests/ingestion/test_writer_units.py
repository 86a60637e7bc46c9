"""Writer pieces that need no database."""

import threading
from decimal import Decimal

import pytest

from apps.ingestion.writer import _json_encoder

pytestmark = pytest.mark.core


class _Custom:
    def __str__(self) -> str:  # the enc_hook runs Python code, where another thread may take over
        return "custom"


def test_each_thread_has_its_own_json_encoder():
    # An encoder keeps its output buffer between calls: shared, two threads' rows could mix.
    seen = []

    def work() -> None:
        seen.append(_json_encoder())
        assert _json_encoder() is seen[-1]
        assert _json_encoder().encode({"a": [_Custom(), Decimal("1.5")]}) == b'{"a":["custom","1.5"]}'

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(encoder) for encoder in seen}) == 3
