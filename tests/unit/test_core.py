"""Pure domain: spintax, scheduling, names."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tikmatrixd.core import names, schedule, spintax

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("text, options", [
    ("plain #fyp", {"plain #fyp"}),
    ("{a|b}", {"a", "b"}),
    ("x{a|{b|c}}y", {"xay", "xby", "xcy"}),
    ("{only}", {"only"}),
    ("{a|}", {"a", ""}),
    ("stray { brace", {"stray { brace"}),
    ("stray } brace | pipe", {"stray } brace | pipe"}),
    ("{a|b} and {unclosed", {"a and {unclosed", "b and {unclosed"}),
    ("emoji {🔥|🎉}", {"emoji 🔥", "emoji 🎉"}),
])
def test_spintax(text, options):
    rng = random.Random(7)
    seen = {spintax.resolve(text, rng) for _ in range(200)}
    assert seen == options


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("now, start, expected", [
    ("2026-11-24T14:30:40+01:00", "14:30", "2026-11-24T14:30:00+01:00"),
    ("2026-11-24T14:31:05+01:00", "14:30", "2026-11-24T14:30:00+01:00"),
    ("2026-11-24T14:32:00+01:00", "14:30", "2026-11-25T14:30:00+01:00"),
    ("2026-11-24T14:30:40+01:00", "14:31", "2026-11-24T14:31:00+01:00"),
    ("2026-11-24T23:59:30+01:00", "00:00", "2026-11-25T00:00:00+01:00"),
    ("2026-11-25T00:00:30+01:00", "23:59", "2026-11-24T23:59:00+01:00"),
    # Spring forward: 02:30 does not exist on 2027-03-28 in Paris.
    ("2027-03-28T01:00:00+01:00", "02:30", "2027-03-28T03:30:00+02:00"),
    # Fall back: 02:30 happens twice on 2026-10-25; the first one counts.
    ("2026-10-25T01:00:00+02:00", "02:30", "2026-10-25T02:30:00+02:00"),
    # The clock given in UTC is read in the zone.
    ("2026-11-24T13:30:40+00:00", "14:30", "2026-11-24T14:30:00+01:00"),
])
def test_schedule_resolve(now, start, expected):
    assert schedule.resolve(start, at(now), PARIS).isoformat() == expected


@pytest.mark.parametrize("bad", ["24:00", "12:60", "noon", "1230", "12:5", "-1:00", ""])
def test_schedule_rejects(bad):
    with pytest.raises(ValueError):
        schedule.parse_hhmm(bad)


def test_schedule_result_is_timezone_aware():
    moment = schedule.resolve("08:00", datetime(2026, 6, 1, 12, tzinfo=UTC), PARIS)
    assert moment.utcoffset() is not None and moment.isoformat() == "2026-06-02T08:00:00+02:00"


@pytest.mark.parametrize("raw, expected", [("@NASA", "nasa"), (" nasa.gov_1 ", "nasa.gov_1"), ("a", "a")])
def test_names_normalize(raw, expected):
    assert names.normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "@", "has space", "semi;colon", "$(id)", "x" * 31, "ünï"])
def test_names_reject(raw):
    with pytest.raises(ValueError):
        names.normalize(raw)
