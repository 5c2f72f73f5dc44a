"""The systemd unit: valid, and sandboxed to a low exposure (systemd-analyze, where installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "tikmatrixd.service"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)")


def test_the_unit_verifies(tmp_path):
    # ExecStart must exist for verify: point it at this checkout's console script.
    script = Path(sys.executable).with_name("tikmatrixd")
    unit = tmp_path / "tikmatrixd.service"
    unit.write_text(UNIT.read_text().replace("/opt/tikmatrixd/.venv/bin/tikmatrixd", str(script)))
    done = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_unit_is_sandboxed():
    done = subprocess.run([ANALYZE, "security", "--offline=yes", str(UNIT)], capture_output=True, text=True,
                          timeout=60)
    score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout).group(1))
    assert score <= 2.5, done.stdout
    # It still reaches adb servers and clients over TCP, and its state directory.
    text = UNIT.read_text()
    assert "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" in text and "StateDirectory=tikmatrixd" in text
    assert "PrivateNetwork=yes" not in text
