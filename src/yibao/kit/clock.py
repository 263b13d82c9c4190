"""The one place services get the time from (the policy core never does)."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Local wall-clock time, naive (the centre runs in China Standard Time)."""
    return dt.datetime.now().replace(microsecond=0)
