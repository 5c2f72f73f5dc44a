"""Log lines: JSON, one per line, stamped in UTC as structlog's own TimeStamper would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tikmatrixd import logs

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_timestamp_is_the_current_utc_instant_in_iso_form() -> None:
    before = datetime.now(UTC)
    stamp = logs.add_timestamp(None, "info", {})["timestamp"]
    after = datetime.now(UTC)
    assert ISO_UTC.fullmatch(stamp)
    tick = timedelta(microseconds=1)  # (the stamp is cut to the microsecond, datetime.now rounds)
    assert before - tick <= datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= after


def test_a_json_log_line_carries_its_fields_level_and_time() -> None:
    code = ("from tikmatrixd import logs; import structlog; logs.configure('json', 'info');"
            "log = structlog.get_logger(); log.debug('hidden'); log.info('hello', n=1, name='é');"
            "log.warning('odd', value=object())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    first, second = [json.loads(line) for line in done.stderr.decode().splitlines()]
    assert {k: first[k] for k in ("event", "level", "n", "name")} == {"event": "hello", "level": "info", "n": 1,
                                                                       "name": "é"}
    assert ISO_UTC.fullmatch(first["timestamp"])
    assert second["level"] == "warning" and second["value"].startswith("<object object at")
