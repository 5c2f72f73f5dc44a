"""`start_time` (HH:MM) to the absolute moment a task becomes due."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

_HHMM = re.compile(r"(\d{1,2}):(\d{2})")
# The current minute and the one before count as now (SPEC): "14:30" sent at
# 14:30:40, or at 14:31:05 after a slow client, still runs at once.
GRACE = timedelta(minutes=1)


def parse_hhmm(text: str) -> tuple[int, int]:
    match = _HHMM.fullmatch(text)
    if not match:
        raise ValueError("must be HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError("must be between 00:00 and 23:59")
    return hour, minute


def resolve(start_time: str, now: datetime, tz: tzinfo) -> datetime:
    """The next occurrence of start_time in tz, at or after `now` minus the grace.

    Works on wall-clock times and localises at the end, so across a DST change
    "02:30" on a day without 02:30 resolves to the first moment after the gap.
    """
    hour, minute = parse_hhmm(start_time)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    floor_now = local_now.replace(second=0, microsecond=0)
    target = floor_now.replace(hour=hour, minute=minute)
    for candidate in (target - timedelta(days=1), target, target + timedelta(days=1)):
        if candidate >= floor_now - GRACE:
            return _localize(candidate, tz)
    raise AssertionError("unreachable: tomorrow is always ahead")


def day_start(now: float, tz: tzinfo | None) -> float:
    """Epoch seconds of the last local midnight (daily caps count from there)."""
    local = datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now).astimezone()
    return _localize(local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None),
                     local.tzinfo).timestamp()  # type: ignore[arg-type]


def _localize(wall: datetime, tz: tzinfo) -> datetime:
    aware = wall.replace(tzinfo=tz)
    # Round-trip through UTC to normalise a wall time that falls in a DST gap.
    return aware.astimezone(UTC).astimezone(tz)
