import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.core

_PROBE = """
import gc, json
before = gc.get_threshold()
from langops.heap import settle_boot_objects
settle_boot_objects()
print(json.dumps([before, gc.get_threshold(), gc.get_freeze_count()]))
"""


def test_boot_objects_are_frozen_and_young_collections_are_rarer():
    # In a fresh interpreter: freezing is process-wide and must not touch the test process.
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True).stdout
    before, after, frozen = json.loads(out)
    assert frozen > 1000  # the interpreter's own boot objects at least
    assert after[0] > before[0] * 10
    assert after[1:] == before[1:]
