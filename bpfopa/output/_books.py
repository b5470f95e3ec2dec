"""The books of one alert sink: every alert handed to it is delivered, dropped (by reason) or
still pending, and the three are counted by different hands so that the sum is a check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PUBLISH_DROP_REASONS", "sink_books"]

#: Drops of the sink's inbox when the pipeline publishes (the alert never reached the sink).
PUBLISH_DROP_REASONS = frozenset({"queue_full", "backpressure_timeout"})


def sink_books(
    published: int,
    received: int,
    stage_dropped: Mapping[str, int],
    counters: Mapping[str, int],
) -> dict[str, Any]:
    """``published``: alerts the pipeline handed to the sink's inbox; ``received``: those the
    sink's stage took out of it; ``stage_dropped``: the stage's drops by reason; ``counters``:
    the sink's own (``delivered``, ``dropped_<reason>``, ``pending``, ``carried_over`` from
    a previous run's spool).

    ``balanced``: what the stage received (plus what the sink carried over) equals what the
    sink delivered, dropped and holds, counted by the sink itself."""
    dropped = {reason: n for reason, n in stage_dropped.items() if n}
    for key, n in counters.items():
        if key.startswith("dropped_") and n:
            reason = key.removeprefix("dropped_")
            dropped[reason] = dropped.get(reason, 0) + n
    at_publish = sum(n for r, n in stage_dropped.items() if r in PUBLISH_DROP_REASONS)
    in_stage = sum(n for r, n in stage_dropped.items() if r not in PUBLISH_DROP_REASONS)
    queued = max(published - received - at_publish, 0)
    delivered = counters.get("delivered", 0)
    held = counters.get("pending", 0)
    sink_dropped = sum(n for k, n in counters.items() if k.startswith("dropped_"))
    carried = counters.get("carried_over", 0)
    return {
        "produced": published,
        "delivered": delivered,
        "dropped": dropped,
        "pending": held + queued,
        "balanced": received + carried == delivered + in_stage + sink_dropped + held,
    }
