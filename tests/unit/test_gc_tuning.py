"""The CLI's garbage-collector settings, applied in a fresh interpreter (they are process-wide)."""

from __future__ import annotations

import subprocess
import sys

from bpfopa.pipeline._gc import OLDER_THRESHOLDS, YOUNG_THRESHOLD

CHECK = """
import gc
from bpfopa.pipeline._gc import tune_garbage_collector
before = gc.get_freeze_count()
tune_garbage_collector()
print(gc.get_threshold(), gc.get_freeze_count() > before)
"""


def test_thresholds_raised_and_startup_objects_frozen() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == [
        f"({YOUNG_THRESHOLD},",
        f"{OLDER_THRESHOLDS[0]},",
        f"{OLDER_THRESHOLDS[1]})",
        "True",
    ]
