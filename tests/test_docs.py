"""The README documents every config key and every API route."""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from pathlib import Path

from tikmatrixd.app import create_app
from tikmatrixd.config import Config

README = (Path(__file__).resolve().parents[1] / "README.rst").read_text()


def readme_config_item(section: str) -> str:
    """The README's bullet on one config section: from ``- ``[section]```` to the next bullet."""
    start = README.index(f"- ``{section}``")
    end = README.find("\n- ", start + 1)
    return README[start:end]


def keys_in_file(value: object) -> list[str]:
    """A section's keys as written in the file: per-script tables are keyed by script name."""
    if isinstance(value, Mapping):
        return list(value)
    names: list[str] = []
    for key in dataclasses.fields(value):  # type: ignore[arg-type]
        inner = getattr(value, key.name)
        names += list(inner) if isinstance(inner, Mapping) else [key.name]
    return names


def test_every_config_key_in_readme():
    defaults = Config()
    hints = typing.get_type_hints(Config)
    for section in dataclasses.fields(defaults):
        value = getattr(defaults, section.name)
        if typing.get_origin(hints[section.name]) is tuple:  # [[devices]], [[webhooks]]: arrays of tables
            item = readme_config_item(f"[[{section.name}]]")
            keys = [f.name for f in dataclasses.fields(typing.get_args(hints[section.name])[0])]
        else:
            item = readme_config_item(f"[{section.name}]")
            keys = keys_in_file(value)
        for key in keys:
            assert f"``{key}``" in item, f"{section.name}.{key}"


def test_the_docs_page_examples_are_the_readmes():
    from tikmatrixd.api.docs import read_examples

    lines = [line for line in read_examples().splitlines() if line and not line.startswith("# The README")]
    assert lines and all(f"    {line}" in README for line in lines)


def test_per_script_config_follows_the_registry():
    from tikmatrixd.scripts import SCRIPTS

    defaults = Config()
    assert list(defaults.retry) == list(defaults.caps.daily) == list(SCRIPTS)


def test_every_route_in_readme():
    app = create_app(Config())
    for route in app.router.routes():
        if not route.handler.__module__.startswith("tikmatrixd.api."):
            continue  # the dashboard: its pages are in the README's "Dashboard" section
        path = route.resource.canonical
        example = re.sub(r"\{task_id[^}]*\}", "101", path)
        example = example.replace("{account_id}", "1").replace("{material_id}", "7").replace("{serial}", "R58M12345")
        example = example.replace("/api/v1", "$API")
        assert example in README or path in README, f"{route.method} {path}"


def test_the_dashboards_pages_in_readme():
    for page in ("``/``", "``/tasks``", "``/tasks/new``", "``/accounts``", "``/login``"):
        assert page in README[README.index("Dashboard\n"):], page


def test_every_failure_reason_in_readme():
    from tikmatrixd.core.status import ErrorReason

    for reason in ErrorReason:
        assert f"``{reason.value}``" in README or f"``{reason.value}:" in README, reason
