"""The scripts the benchmarks run on simulated phones, in place of the real ones.

The real scripts (tikmatrixd/scripts) are being rewritten and their number
of device calls will change; the benchmarks measure the daemon around a
script, so they use fixed, small scripts whose adb calls are known. The
calls still go through the daemon's own adb client (asyncio, the
real adb server), exactly as a real script's do.
"""

from __future__ import annotations

from typing import Any

from tikmatrixd.scripts.base import RunContext

PROFILE_URL = {"tiktok": "https://www.tiktok.com/@{}", "instagram": "https://www.instagram.com/{}"}


class OpenProfileAndTap:
    """Open the target's profile, tap on it; cleanup presses HOME. Three adb calls (am, input, input)."""

    idempotent = True
    calls_per_task = 3

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = ctx.task.script_config["target_user"].lstrip("@")
        url = PROFILE_URL[ctx.platform].format(target)
        await ctx.adb.shell(["am", "start", "-a", "android.intent.action.VIEW", "-d", url, ctx.package])
        await ctx.adb.shell(["input", "tap", "540", "1200"])
        return {"opened": target}

    async def cleanup(self, ctx: RunContext) -> None:
        await ctx.adb.shell(["input", "keyevent", "KEYCODE_HOME"])


class Echo:
    """One cheap adb call: the task touches its phone, nothing more."""

    idempotent = True
    calls_per_task = 1

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await ctx.adb.shell(["echo", str(ctx.task.id)])
        return {}

    async def cleanup(self, ctx: RunContext) -> None:
        pass


RUNNERS = {"open_profile": OpenProfileAndTap, "echo": Echo}


def runners(name: str) -> dict[str, Any] | None:
    """The daemon's script → runner map, with ``name``'s runner for follow and unfollow;
    ``real``: None, so the daemon runs its own scripts (follow reads and taps real-sized screens)."""
    if name == "real":
        return None
    runner = RUNNERS[name]()
    return {"follow": runner, "unfollow": runner, "post": None}
