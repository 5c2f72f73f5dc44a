"""post, on a phone: stage the media, reach the app's editor, sound, caption, publish, wait.

Three ways into the editor (``post_way``):

- ``share``: Android's share (an ``ACTION_SEND`` of the file's media-store
  URI to the app's share target), straight into the editor. ``am`` can
  send one file only, so a post of several images goes through addButton
  (``result.post_way`` says which way was used).
- ``addButton``: the app's Create button, then its gallery, picking our
  files in material order.
- ``useSound``: TikTok: the sound's search results, "Create a post with this
  sound", then the gallery. Instagram sets a reel's audio by name in the
  reel editor (it has no sound-first flow here); a story or image post
  cannot take one.

Then: the sound options and volumes (when a sound is added), the product
link (TikTok), the caption, Post/Share, and up to ``upload_wait_time`` for
the upload.

Not safe to repeat once the Post/Share button was pressed: every failure
before that is ``acted=False`` (automatic retry may run it again), every one
after is ``acted=True``. The pushed files are removed (and dropped from the
media store) when the run ends, however it ends.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

from tikmatrixd.core import names
from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.scripts import app, media, mediastore, sound
from tikmatrixd.scripts.base import RunContext
from tikmatrixd.scripts.mediastore import Staged
from tikmatrixd.ui.hierarchy import Node, inside

#: The apps' targets for ACTION_SEND (what Android's share sheet lists), per destination.
SHARE_ACTIVITIES = {
    "tiktok": {"post": "com.ss.android.ugc.aweme.share.SystemShareActivity"},
    "instagram": {"post": "com.instagram.share.handleractivity.ShareHandlerActivity",
                  "reel": "com.instagram.share.handleractivity.ClipsShareHandlerActivity",
                  "story": "com.instagram.share.handleractivity.StoryShareHandlerActivity"},
}


class PostRunner:
    idempotent = False

    def __init__(self) -> None:
        self._pushed: dict[int, list[str]] = {}  # task id → remote paths, for cleanup
        self._rng = random.Random()

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        config = ctx.task.script_config
        account = self._account(ctx)
        if "material_list" not in config and config.get("material_source") != "localFolder":
            selection = await media.pick_from_library(config, ctx.library, account, self._rng)
        else:
            posted = await ctx.history.posted(account) if ctx.history else set()
            # Lists folders and checks files: off the event loop.
            selection = await asyncio.to_thread(media.pick, config, ctx.task.username, posted, ctx.media_roots,
                                                self._rng)
        way = self._way(ctx, config, len(selection.files))
        remote = self._pushed[ctx.task.id] = mediastore.remote_paths(ctx.task.id, selection.files)
        staged = await mediastore.stage(ctx, selection.files, remote)
        if ctx.task.username:
            await app.use_account(ctx, ctx.task.username)
        elif way != "share":  # a share starts the app itself
            await app.start_app(ctx)
        flow = self._tiktok if ctx.platform == "tiktok" else self._instagram
        result = await flow(ctx, config, way, staged, selection.caption)
        if ctx.history:
            real = await asyncio.to_thread(lambda: [os.path.realpath(p) for p in selection.files])
            await ctx.history.record(account, real, ctx.task.id,
                                     ctx.task.started_at or 0.0)
        return {"outcome": "posted", "post_way": way, "media": [os.path.basename(p) for p in selection.files],
                "caption": selection.caption, **result}

    async def cleanup(self, ctx: RunContext) -> None:
        await app.close_app(ctx)
        remote = self._pushed.pop(ctx.task.id, [])
        if remote:
            await mediastore.remove(ctx, remote)

    @staticmethod
    def _account(ctx: RunContext) -> str:
        if ctx.task.username:
            return f"{ctx.platform}:{names.normalize(ctx.task.username)}"
        return f"serial:{ctx.adb.serial}"

    @staticmethod
    def _way(ctx: RunContext, config: dict[str, Any], count: int) -> str:
        """The way in this run takes; what this app cannot do fails here, before anything is pushed."""
        way = config.get("post_way", "share")
        instagram_reel = config.get("placement") != "story" and config["content_type"] == 0
        if ctx.platform == "instagram" and way == "useSound" and not instagram_reel:
            raise ScriptFailure(ErrorReason.SOUND_UNAVAILABLE, "Instagram takes a sound on reels only (not on a story "
                                "or an image post)", acted=False)
        if ctx.platform == "instagram" and config.get("add_product_link"):
            raise ScriptFailure(ErrorReason.PRODUCT_LINK_UNAVAILABLE, "product links are a TikTok Shop feature",
                                acted=False)
        return "addButton" if way == "share" and count > 1 else way

    async def _share(self, ctx: RunContext, item: Staged, destination: str) -> None:
        activity = SHARE_ACTIVITIES[ctx.platform][destination]
        answer = await ctx.ui.shell(["am", "start", "-a", "android.intent.action.SEND", "-t", item.mime,
                                     "--eu", "android.intent.extra.STREAM", item.uri,
                                     "-n", f"{ctx.package}/{activity}"])
        if "Error" in answer:
            await app.require_installed(ctx)
            raise ScriptFailure(ErrorReason.SHARE_FAILED, answer.strip().splitlines()[-1], acted=False)

    async def _pick(self, ctx: RunContext, thumbnail_selector: str, count: int) -> None:
        """Tap our files in the gallery, in material order (the gallery shows newest first)."""
        await ctx.ui.wait_for(ctx.pack[thumbnail_selector])
        thumbnails = ctx.pack[thumbnail_selector].find_all(await ctx.ui.nodes())
        if len(thumbnails) < count:
            raise ScriptFailure(ErrorReason.MEDIA_NOT_IN_GALLERY,
                                f"{len(thumbnails)} of {count} files show in the gallery",
                                acted=False)
        ours: list[Node] = list(reversed(thumbnails[:count]))
        for node in ours:
            await ctx.ui.tap(node)

    async def _tiktok(self, ctx: RunContext, config: dict[str, Any], way: str, staged: list[Staged],
                      caption: str) -> dict[str, Any]:
        ui, pack = ctx.ui, ctx.pack
        chosen: str | None = None
        if way == "share":
            await self._share(ctx, staged[0], "post")
        else:
            if way == "useSound":
                chosen = await sound.create_with_sound(ctx, config)
            else:
                await ui.tap_on(pack["feed.create"])
            await ui.tap_on(pack["camera.upload"])
            await self._pick(ctx, "gallery.thumbnail", len(staged))
            await ui.tap_on(pack["gallery.next"])
        result = await self._sound(ctx, config, chosen, "editor.add_sound", "sounds", "editor.volume")
        await ui.tap_on(pack["editor.next"])
        if config.get("add_product_link"):
            result["product"] = await self._link_product(ctx)
        await self._caption(ctx, "compose.caption", caption)
        await ui.tap_on(pack["compose.post"])
        result["upload"] = await self._wait_upload(ctx, config, done="feed.posted", busy="feed.uploading")
        return result

    async def _instagram(self, ctx: RunContext, config: dict[str, Any], way: str, staged: list[Staged],
                         caption: str) -> dict[str, Any]:
        ui, pack = ctx.ui, ctx.pack
        story = config.get("placement") == "story"
        destination = "story" if story else "reel" if config["content_type"] == 0 else "post"
        if way == "share":
            await self._share(ctx, staged[0], destination)
        else:
            await ui.tap_on(pack["feed.create"])
            await ui.tap_on(pack[f"new_post.dest_{destination}"])
            if len(staged) > 1:
                await ui.tap_on(pack["new_post.select_multiple"])
            await self._pick(ctx, "new_post.thumbnail", len(staged))
            await ui.tap_on(pack["new_post.next"])
        if story:
            await ui.tap_on(pack["story_editor.your_story"])
            return {"upload": "shared"}
        result: dict[str, Any] = {}
        if destination == "reel":
            wanted = config.get("sound_name") if way == "useSound" else None
            result = await self._sound(ctx, config, None, "reel_editor.add_audio", "audio", "reel_editor.volume",
                                       wanted=wanted)
            await ui.tap_on(pack["reel_editor.next"])
        await self._caption(ctx, "composer.caption", caption)
        await ui.tap_on(pack["composer.share"])
        result["upload"] = await self._wait_upload(ctx, config, done=None, busy="feed.sharing")
        return result

    async def _sound(self, ctx: RunContext, config: dict[str, Any], chosen: str | None, button: str, sheet: str,
                     volume_button: str, wanted: str | None = None) -> dict[str, Any]:
        """The sound options in the editor, then the volumes whenever a sound was added.

        ``chosen``: a sound already set (from its page); ``wanted``: a name to
        pick in the sheet; add_sound "custom" picks by keyword, "1" the first
        suggestion.
        """
        if chosen is None:
            add = config.get("add_sound")
            if add == "custom":
                wanted = config["custom_sound_keyword"]
            if wanted is not None or add == "1":
                chosen = await sound.pick_in_editor(ctx, config, wanted, button, sheet)
        if chosen is None:
            return {}
        return {"sound": chosen, "volumes": await sound.set_volumes(ctx, config, volume_button)}

    async def _link_product(self, ctx: RunContext) -> str:
        """TikTok Shop: Add link → Product → the showcase's first product, checked on the post screen."""
        ui, pack = ctx.ui, ctx.pack
        await ui.wait_for(pack["compose.caption"])  # on the post screen
        row = pack["compose.add_link"].find(await ui.nodes())
        if row is None:
            raise ScriptFailure(ErrorReason.PRODUCT_LINK_UNAVAILABLE,
                                "this account cannot add a product link (no 'Add link' "
                                "on the post screen)", acted=False)
        await ui.tap(row)
        try:
            await ui.tap_on(pack["add_link.product"])
            await ui.tap_on(pack["products.add"])
            _, row = await ui.wait_for(pack["compose.add_link"])
        except ScriptFailure as failure:
            raise ScriptFailure(ErrorReason.PRODUCT_LINK_UNAVAILABLE, f"no product to link ({failure.reason})",
                                acted=False) from None
        linked = [n.text for n in inside(row, await ui.nodes()) if n.text and n.text != row.content_desc]
        if not linked:
            raise ScriptFailure(ErrorReason.PRODUCT_LINK_UNAVAILABLE, "the product did not show on the post screen",
                                acted=False)
        return linked[0]

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
            raise ScriptFailure(ErrorReason.UPLOAD_TIMEOUT, f"the upload did not finish within {wait} s") from None
        return "done"
