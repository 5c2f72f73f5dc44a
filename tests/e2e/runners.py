"""A small test-only script for the runtime tests (the real scripts come with issue 6).

It drives the simulated phone for real, through the daemon's adb façade:
- target ``@hold...``: keeps the phone busy (one short shell call after
  another) until it is cancelled — a long task to stop, delete or drop;
- target ``@fail...``: fails with reason ``ui_timeout`` after one call;
- any other target: opens that profile in the app (VIEW intent), then done.
Its cleanup presses HOME, so the phone's foreground shows whether it ran.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tikmatrixd.core.status import ErrorReason
from tikmatrixd.scripts.app import PROFILE_URLS
from tikmatrixd.scripts.base import RunContext, ScriptFailure


class OpenProfile:
    idempotent = True

    def __init__(self) -> None:
        self.started = asyncio.Event()  # set when a @hold task is on the phone

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = ctx.task.script_config["target_user"].lstrip("@")
        if target.startswith("hold"):
            self.started.set()
            while True:
                await ctx.adb.shell(["sleep", "0.05"])
        if target.startswith("fail"):
            await ctx.adb.shell(["echo", target])
            raise ScriptFailure(ErrorReason.UI_TIMEOUT, f"no profile for @{target}", acted=False)
        url = PROFILE_URLS[ctx.platform].format(target)
        await ctx.adb.shell(["am", "start", "-a", "android.intent.action.VIEW", "-d", url, ctx.package])
        return {"opened": target}

    async def cleanup(self, ctx: RunContext) -> None:
        await ctx.adb.shell(["input", "keyevent", "KEYCODE_HOME"])


def runners() -> dict[str, Any]:
    script = OpenProfile()
    return {"follow": script, "unfollow": script, "post": None}
