"""Property-based requests from the OpenAPI document (schemathesis) against `tikmatrixd serve`.

Valid and invalid requests to every operation but the event stream (which
never ends): no answer may be a server error, and every answer must match
the document (status, content type, body schema). Bounded examples per
operation keep it short.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tikmatrixd.api.openapi import document
from tikmatrixd.app import create_app
from tikmatrixd.config import Config
from tikmatrixd.sim.testing import free_port

schema = schemathesis.openapi.from_dict(document(create_app(Config()))).exclude(path="/api/v1/events")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory):
    """A real daemon process: phones on no adb server, three declared devices, a media root."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "media").mkdir()
    (root / "media" / "a.mp4").write_bytes(b"video")
    config = root / "tikmatrixd.toml"
    config.write_text(f'[media]\nroots = ["{root / "media"}"]\n'
                      + "".join(f'[[devices]]\nserial = "R58M000{i}"\n' for i in range(1, 4)))
    port = free_port()
    log = root / "daemon.log"  # a file, not a pipe: an undrained pipe would block the daemon's logging
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tikmatrixd", "serve", "--config", str(config), "--port", str(port),
             "--db", str(root / "t.db"), "--adb-server", f"127.0.0.1:{free_port()}", "--log-format", "json"],
            stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
    lines = log.read_text().splitlines()
    assert not [line for line in lines if "unhandled error" in line or "Traceback" in line], lines[-20:]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_error_and_every_answer_matches_the_document(case, daemon):
    case.call_and_validate(base_url=daemon, checks=CHECKS)
