"""The sound of a post: picked in the editor, taken from TikTok's sound search, and mixed.

A sound is recognised by the words of its name (case and punctuation
ignored), so "aesthetic tollan kim" finds a row showing "Aesthetic - Tollan Kim".
"""

from __future__ import annotations

import re
from typing import Any

from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.scripts import app
from tikmatrixd.scripts.base import RunContext
from tikmatrixd.ui.hierarchy import Node, inside

#: How many of the Sounds tab's rows are tried (their rows do not say which sound they are).
SOUND_ROWS_TRIED = 3
VOLUME_TOLERANCE = 3  # a slider tapped at its value's position may land a step or two off


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def names(text: str, wanted: str) -> bool:
    return bool(_words(wanted)) and _words(wanted) <= _words(text)


def _wait(config: dict[str, Any]) -> float:
    return max(1.0, float(config.get("sound_wait_time", 10)))


async def pick_in_editor(ctx: RunContext, config: dict[str, Any], wanted: str | None, button: str,
                         sheet: str) -> str:
    """The editor's sound sheet: the row naming ``wanted``, or the first suggestion when None."""
    ui, pack = ctx.ui, ctx.pack
    await ui.tap_on(pack[button])
    await ui.wait_for(pack[f"{sheet}.title"], timeout=_wait(config))
    nodes = await ui.nodes()
    rows = pack[f"{sheet}.any_row"].find_all(nodes)
    labels = [" ".join([row.content_desc, *(n.text for n in inside(row, nodes))]) for row in rows]
    choice = next((i for i, label in enumerate(labels) if wanted is None or names(label, wanted)), None)
    if choice is None:
        raise ScriptFailure(ErrorReason.SOUND_NOT_FOUND, f"no sound matching {wanted!r} in the sound list", acted=False)
    await ui.tap(rows[choice])
    return next((n.text for n in inside(rows[choice], nodes) if n.text), rows[choice].content_desc)


async def create_with_sound(ctx: RunContext, config: dict[str, Any]) -> str:
    """TikTok's useSound: search the sound, "Create a post with this sound", check the camera names it.

    The Sounds tab's rows show no title, so each of the first few is tried
    and the camera's sound pill read; a wrong one is backed out of.
    """
    ui, pack = ctx.ui, ctx.pack
    wanted = config["sound_name"]
    await app.tiktok_search(ctx, wanted)
    await ui.tap_on(pack["search_results.sounds_tab"])
    await ui.wait_for(pack["search_results.create_with_sound"], timeout=_wait(config))
    for index in range(SOUND_ROWS_TRIED):
        buttons = pack["search_results.create_with_sound"].find_all(await ui.nodes())
        if index >= len(buttons):
            break
        await ui.tap(buttons[index])
        await ui.wait_for(pack["camera.upload"])
        shown = next((n.text for n in await ui.nodes() if names(n.text, wanted)), None)
        if shown is not None:
            return shown
        await ui.key("back")
        await ui.wait_for(pack["search_results.create_with_sound"])
    raise ScriptFailure(ErrorReason.SOUND_NOT_FOUND,
                        f"none of the first {SOUND_ROWS_TRIED} sounds found for {wanted!r} "
                        "is that sound", acted=False)


async def set_volumes(ctx: RunContext, config: dict[str, Any], button: str) -> dict[str, int]:
    """origin_sound_volume / add_sound_volume on the volume sheet's two sliders.

    Each slider is tapped at its value's fraction of its width, then read back
    from its text where it shows one (else the value asked is reported, and logged).
    """
    ui, pack = ctx.ui, ctx.pack
    wanted = {"original": config.get("origin_sound_volume", 50), "added": config.get("add_sound_volume", 50)}
    await ui.tap_on(pack[button])
    for which, value in wanted.items():
        _, slider = await ui.wait_for(pack[f"volume.{which}"])
        await ui.tap_at(*_slider_point(slider, value))
    nodes = await ui.nodes()
    applied = {}
    for which, value in wanted.items():
        bar = pack[f"volume.{which}"].find(nodes)
        shown = _number(bar.text) if bar is not None else None
        if shown is not None and abs(shown - value) > VOLUME_TOLERANCE:
            raise ScriptFailure(ErrorReason.VOLUME_NOT_SET, f"the {which} sound volume shows {shown}, not {value}",
                                acted=False)
        if shown is None:
            ctx.log.info("volume slider shows no value; set but not checked", slider=which, volume=value)
        applied[which] = shown if shown is not None else value
    await ui.tap_on(pack["volume.done"])
    return applied


def _slider_point(bar: Node, value: int) -> tuple[int, int]:
    left, top, right, bottom = bar.bounds
    return min(right - 1, left + round((right - left) * value / 100)), (top + bottom) // 2


def _number(text: str) -> int | None:
    try:
        return round(float(text))
    except ValueError:
        return None
