"""The README's command-line examples, run line by line against a daemon with a simulated phone."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.rst").read_text()


def readme_commands() -> list[str]:
    """The `tikmatrixd ...` lines of the README's "Command-line client" block, comments cut."""
    section = README[README.index("Command-line client\n"):README.index("\nConfiguration\n")]
    block = section[section.index("::\n"):]
    lines = [line.strip() for line in block.splitlines() if line.startswith("    tikmatrixd ")]
    return [re.sub(r"\s+#.*$", "", line) for line in lines]


async def test_every_readme_example_runs(phones, tmp_path):
    farm, client = await phones(1, real_scripts=True)
    serial = farm[0].serial
    (tmp_path / "request.json").write_text(json.dumps({
        "serials": [serial], "script_name": "follow", "start_time": "23:59",
        "script_config": {"target_users": ["@jaxa"]}}))
    environment = {**os.environ, "TIKMATRIXD_URL": str(client.make_url("")), "COLUMNS": "160"}
    commands = readme_commands()
    assert len(commands) >= 15 and any(c.startswith("tikmatrixd task wait") for c in commands)
    for line in commands:
        # the README's phone and ids are this run's: tasks 101.. are 1.., the database being new
        line = re.sub(r"\b10([1-9])\b", r"\1", line.replace("R58M12345", serial))
        argv = shlex.split(line)[1:]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tikmatrixd", *argv, env=environment, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        if argv[0] == "events":  # follows the stream until stopped: its first line is enough
            assert process.stdout is not None
            first = await asyncio.wait_for(process.stdout.readline(), 30)
            process.kill()
            await process.wait()
            assert b"task" in first, first
            continue
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, (line, out.decode(), err.decode())
        assert b"Traceback" not in err
    tasks = {t["id"]: t for t in (await (await client.get("/api/v1/task")).json())["data"]["tasks"]}
    assert [tasks[i]["status_text"] for i in (1, 2, 3)] == ["completed"] * 3 and 4 not in tasks
