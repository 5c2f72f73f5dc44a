"""Getting a post's files onto the phone and into its media store, and out again.

Files go to ``/sdcard/DCIM/tikmatrixd/<task id>-<n>.<ext>``. A media-scanner
broadcast only *starts* a scan, so before an app's gallery is opened (or a
file is shared by URI) the media store is asked, with ``content query``,
until every file is in it: a gallery opened earlier would show someone
else's newest media where ours should be.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
from dataclasses import dataclass

from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.scripts.base import RunContext
from tikmatrixd.scripts.media import VIDEO_EXT

REMOTE_DIR = "/sdcard/DCIM/tikmatrixd"
#: Waits between media-store queries while a scan is still running (about 6 s in all).
SCAN_WAITS = (0.2, 0.4, 0.8, 1.6, 3.2)
_PLAIN_EXT = re.compile(r"\.[a-z0-9]{1,5}")
_ROW = re.compile(r"^Row: \d+ _id=(\d+), _data=(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Staged:
    remote: str  # the path on the phone
    media_id: int  # its MediaStore _id

    @property
    def is_video(self) -> bool:
        return self.remote.endswith(VIDEO_EXT)

    @property
    def uri(self) -> str:
        table = "video" if self.is_video else "images"
        return f"content://media/external/{table}/media/{self.media_id}"

    @property
    def mime(self) -> str:
        return "video/*" if self.is_video else "image/*"


def remote_paths(task_id: int, files: list[str]) -> list[str]:
    """Where each file goes; the extension is kept only when it is plain (it ends up in a query)."""
    paths = []
    for i, path in enumerate(files):
        ext = os.path.splitext(path)[1].lower()
        if not _PLAIN_EXT.fullmatch(ext):
            ext = ""
        paths.append(f"{REMOTE_DIR}/{task_id}-{i}{ext}")
    return paths


def scan_commands(paths: list[str]) -> str:
    """One shell line asking the media scanner to (re)scan each path: added, or forgotten if gone."""
    return "; ".join(shlex.join(["am", "broadcast", "-a", "android.intent.action.MEDIA_SCANNER_SCAN_FILE",
                                 "-d", f"file://{p}"]) + " >/dev/null" for p in paths)


async def stage(ctx: RunContext, local: list[str], remote: list[str]) -> list[Staged]:
    """Push, scan, and wait until the media store lists every file (newest last)."""
    for source, target in zip(local, remote, strict=True):
        await ctx.adb.push(source, target)
    await ctx.adb.shell_script(scan_commands(remote))
    prefix = f"{REMOTE_DIR.rsplit('/', 1)[1]}/{ctx.task.id}-"
    query = ["content", "query", "--uri", "content://media/external/file", "--projection", "_id:_data",
             "--where", f"_data LIKE '%/{prefix}%'"]
    for wait in (*SCAN_WAITS, None):
        found = {os.path.basename(path): int(media_id)
                 for media_id, path in _ROW.findall((await ctx.adb.shell(query)).text)}
        if all(os.path.basename(p) in found for p in remote):
            return [Staged(p, found[os.path.basename(p)]) for p in remote]
        if wait is None:
            break
        await asyncio.sleep(wait)
    missing = [os.path.basename(p) for p in remote if os.path.basename(p) not in found]
    raise ScriptFailure(ErrorReason.MEDIA_SCAN_TIMEOUT, f"the phone's media store never listed {', '.join(missing)}",
                        acted=False)


async def remove(ctx: RunContext, remote: list[str]) -> None:
    """Delete the pushed files, and rescan so the media store forgets them too."""
    await ctx.adb.shell_script("; ".join([shlex.join(["rm", "-f", *remote]), scan_commands(remote)]))
