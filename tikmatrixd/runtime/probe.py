"""What the daemon asks a device before giving it tasks: does it answer, which apps it has."""

from __future__ import annotations

import shlex

from tikmatrixd.adb.device import AdbError, DeviceAdb
from tikmatrixd.core.platforms import PACKAGES

_MARK = "@@package "


async def describe(adb: DeviceAdb, timeout: float) -> dict[str, str]:
    """Installed versions of the apps we drive, in one shell call: package → versionName."""
    script = "; ".join(
        f"echo {shlex.quote(_MARK + package)}; dumpsys package {shlex.quote(package)} | grep versionName"
        for package in PACKAGES.values()
    )
    result = await adb.shell_script(script, timeout=timeout)
    if _MARK not in result.text:
        raise AdbError(f"unexpected probe answer: {result.text[:80]!r}")
    apps: dict[str, str] = {}
    package = None
    for line in result.text.splitlines():
        line = line.strip()
        if line.startswith(_MARK):
            package = line[len(_MARK):]
        elif package and line.startswith("versionName=") and package not in apps:
            apps[package] = line.split("=", 1)[1]
    return apps


async def ping(adb: DeviceAdb, timeout: float) -> None:
    result = await adb.shell(["echo", "ok"], timeout=timeout)
    if result.text.strip() != "ok":
        raise AdbError(f"unexpected probe answer: {result.text[:80]!r}")
