"""post, on a phone: push the media, pick it in the app's gallery, caption, sound, publish, wait.

TikTok: Create → Upload → gallery → (sound) → Next → caption → Post, then
the feed shows the upload until "Posted". Instagram: Create → REEL (video),
POST (images, several as a carousel) or STORY → gallery → (audio) → Next →
caption → Share, then the feed shows "Sharing..." until it is done.

Not safe to repeat once the Post/Share button was pressed: every failure
before that is ``acted=False`` (automatic retry may run it again), every one
after is ``acted=True``.

Media go to ``/sdcard/DCIM/tikmatrixd/<task id>-<n>.<ext>`` and are removed
(and dropped from the media store) when the run ends, however it ends.
"""

from __future__ import annotations

import os
import random
import shlex
from typing import Any

from tikmatrixd.core import names
from tikmatrixd.core.status import ScriptFailure
from tikmatrixd.scripts import app, media
from tikmatrixd.scripts.base import RunContext
from tikmatrixd.ui.hierarchy import Node

REMOTE_DIR = "/sdcard/DCIM/tikmatrixd"


def _scans(paths: list[str]) -> list[str]:
    return [shlex.join(["am", "broadcast", "-a", "android.intent.action.MEDIA_SCANNER_SCAN_FILE", "-d", f"file://{p}"])
            + " >/dev/null" for p in paths]


class PostRunner:
    idempotent = False

    def __init__(self) -> None:
        self._pushed: dict[int, list[str]] = {}  # task id → remote paths, for cleanup
        self._rng = random.Random()

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        config = ctx.task.script_config
        account = self._account(ctx)
        posted = await ctx.history.posted(account) if ctx.history else set()
        selection = media.pick(config, ctx.task.username, posted, ctx.media_roots, self._rng)
        remote = await self._push(ctx, selection.files)
        if ctx.task.username:
            await app.use_account(ctx, ctx.task.username)
        else:
            await app.start_app(ctx)
        if ctx.platform == "tiktok":
            upload = await self._tiktok(ctx, config, len(remote), selection.caption)
        else:
            upload = await self._instagram(ctx, config, len(remote), selection.caption)
        if ctx.history:
            await ctx.history.record(account, [os.path.realpath(p) for p in selection.files], ctx.task.id,
                                     ctx.task.started_at or 0.0)
        return {"outcome": "posted", "media": [os.path.basename(p) for p in selection.files],
                "caption": selection.caption, "upload": upload}

    async def cleanup(self, ctx: RunContext) -> None:
        await app.close_app(ctx)
        remote = self._pushed.pop(ctx.task.id, [])
        if remote:  # delete, and rescan so the media store forgets them too
            await ctx.adb.shell_script("; ".join([shlex.join(["rm", "-f", *remote]), *_scans(remote)]))

    @staticmethod
    def _account(ctx: RunContext) -> str:
        if ctx.task.username:
            return f"{ctx.platform}:{names.normalize(ctx.task.username)}"
        return f"serial:{ctx.adb.serial}"

    async def _push(self, ctx: RunContext, files: list[str]) -> list[str]:
        """Push, then let the media store see them (newest last), in one more call."""
        remote = [f"{REMOTE_DIR}/{ctx.task.id}-{i}{os.path.splitext(path)[1].lower()}" for i, path in enumerate(files)]
        self._pushed[ctx.task.id] = remote
        for local, target in zip(files, remote):
            await ctx.adb.push(local, target)
        await ctx.adb.shell_script("; ".join(_scans(remote)))
        return remote

    async def _pick(self, ctx: RunContext, thumbnail_selector: str, count: int) -> None:
        """Tap our files in the gallery, in material order (the gallery shows newest first)."""
        await ctx.ui.wait_for(ctx.pack[thumbnail_selector])
        thumbnails = ctx.pack[thumbnail_selector].find_all(await ctx.ui.nodes())
        if len(thumbnails) < count:
            raise ScriptFailure("media_not_in_gallery", f"{len(thumbnails)} of {count} files show in the gallery",
                                acted=False)
        ours: list[Node] = list(reversed(thumbnails[:count]))
        for node in ours:
            await ctx.ui.tap(node)

    async def _tiktok(self, ctx: RunContext, config: dict[str, Any], count: int, caption: str) -> str:
        ui, pack = ctx.ui, ctx.pack
        await ui.tap_on(pack["feed.create"])
        await ui.tap_on(pack["camera.upload"])
        await self._pick(ctx, "gallery.thumbnail", count)
        await ui.tap_on(pack["gallery.next"])
        await self._sound(ctx, config, "editor.add_sound", "sounds")
        await ui.tap_on(pack["editor.next"])
        await self._caption(ctx, "compose.caption", caption)
        if config.get("add_product_link"):
            link = pack.selectors.get("compose.product_link")
            if link is None or await ui.find(link) is None:
                raise ScriptFailure("product_link_unavailable",
                                    "no product link option on the post screen for this account", acted=False)
            await ui.tap(await ui.find(link))
        await ui.tap_on(pack["compose.post"])
        return await self._wait_upload(ctx, config, done="feed.posted", busy="feed.uploading")

    async def _instagram(self, ctx: RunContext, config: dict[str, Any], count: int, caption: str) -> str:
        ui, pack = ctx.ui, ctx.pack
        story = config.get("placement") == "story"
        reel = not story and config["content_type"] == 0
        await ui.tap_on(pack["feed.create"])
        await ui.tap_on(pack["new_post.dest_story" if story else "new_post.dest_reel" if reel else "new_post.dest_post"])
        if count > 1:
            await ui.tap_on(pack["new_post.select_multiple"])
        await self._pick(ctx, "new_post.thumbnail", count)
        await ui.tap_on(pack["new_post.next"])
        if story:
            await ui.tap_on(pack["story_editor.your_story"])
            return "shared"
        if reel:
            await self._sound(ctx, config, "reel_editor.add_audio", "audio")
            await ui.tap_on(pack["reel_editor.next"])
        await self._caption(ctx, "composer.caption", caption)
        await ui.tap_on(pack["composer.share"])
        return await self._wait_upload(ctx, config, done=None, busy="feed.sharing")

    async def _sound(self, ctx: RunContext, config: dict[str, Any], button: str, sheet: str) -> None:
        """useSound / add_sound: pick the named sound, a keyword match, or the first suggestion."""
        wanted = config.get("sound_name") if config.get("post_way") == "useSound" else None
        if config.get("add_sound") == "custom":
            wanted = config["custom_sound_keyword"]
        if wanted is None and config.get("add_sound") != "1":
            return
        await ctx.ui.tap_on(ctx.pack[button])
        _, first = await ctx.ui.wait_for(ctx.pack[f"{sheet}.any_row"])
        rows = ctx.pack[f"{sheet}.any_row"].find_all(await ctx.ui.nodes())
        choice = first if wanted is None else next((r for r in rows if wanted.lower() in r.text.lower()), None)
        if choice is None:
            raise ScriptFailure("sound_not_found", f"no sound matching {wanted!r}", acted=False)
        await ctx.ui.tap(choice)

    async def _caption(self, ctx: RunContext, field: str, caption: str) -> None:
        if caption:
            await ctx.ui.tap_on(ctx.pack[field])
            await ctx.ui.type_text(caption)

    async def _wait_upload(self, ctx: RunContext, config: dict[str, Any], *, done: str | None, busy: str) -> str:
        """From the Post tap on, the post may exist: failures here are acted=True."""
        wait = config.get("upload_wait_time", 30)
        if wait == 0:
            return "not_waited"
        try:
            if done is not None:
                await ctx.ui.wait_for(ctx.pack[done], timeout=wait)
            else:
                await ctx.ui.wait_gone(ctx.pack[busy], timeout=wait)
        except ScriptFailure:
            raise ScriptFailure("upload_timeout", f"the upload did not finish within {wait} s") from None
        return "done"
