"""The README documents every config key and every API route."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tikmatrixd.app import create_app
from tikmatrixd.config import Config

README = (Path(__file__).resolve().parents[1] / "README.rst").read_text()


def test_every_config_key_in_readme():
    defaults = Config()
    for section in dataclasses.fields(defaults):
        assert f"[{section.name}]" in README, section.name
        value = getattr(defaults, section.name)
        if dataclasses.is_dataclass(value):
            for key in dataclasses.fields(value):
                assert f"``{key.name}``" in README, f"{section.name}.{key.name}"


def test_every_route_in_readme():
    app = create_app(Config())
    for route in app.router.routes():
        path = route.resource.canonical
        example = re.sub(r"\{task_id[^}]*\}", "101", path)
        example = example.replace("{account_id}", "1").replace("{material_id}", "7").replace("{serial}", "R58M12345")
        example = example.replace("/api/v1", "$API")
        assert example in README or path in README, f"{route.method} {path}"


def test_every_failure_reason_in_readme():
    from tikmatrixd.core.status import ErrorReason

    for reason in ErrorReason:
        assert f"``{reason.value}``" in README or f"``{reason.value}:" in README, reason
