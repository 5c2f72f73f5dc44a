"""Which files a post task publishes, and with which caption.

- ``material_list``: the files fan-out gave this task (checked again here:
  they may have been removed since the task was created).
- ``localFolder``: ``material_path``, or its ``@username/`` sub-folder when
  the account has one; a ``caption.txt`` there (one caption per line)
  supplies the caption when the task has none.
- ``materialLibrary``: the material library (the first media root, every
  upload and every file copied there), narrowed to the tags named in
  ``materials_tags`` (sub-folders, or tags given at upload), never content
  the account already posted, even re-uploaded under another name.
Sources skip files the account has already posted, in name order.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tikmatrixd.core.status import ErrorReason, ScriptFailure

if TYPE_CHECKING:
    from tikmatrixd.library import Library

VIDEO_EXT = (".mp4", ".mov", ".m4v", ".webm", ".3gp")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")
CAPTIONS_FILE = "caption.txt"


@dataclass(frozen=True)
class Selection:
    files: list[str]
    caption: str


def count(config: dict[str, Any]) -> int:
    return 1 if config["content_type"] == 0 else config["image_count"]


def pick(config: dict[str, Any], username: str | None, posted: set[str], roots: tuple[str, ...],
         rng: random.Random) -> Selection:
    caption = config.get("captions", "")
    if "material_list" in config:
        missing = [p for p in config["material_list"] if not _inside(p, roots) or not os.path.isfile(p)]
        if missing:
            raise ScriptFailure(ErrorReason.MEDIA_MISSING, f"no longer readable inside the media roots: {missing[0]}",
                                acted=False)
        return Selection(list(config["material_list"]), caption)
    folders = _folders(config, username, roots)
    extensions = VIDEO_EXT if config["content_type"] == 0 else IMAGE_EXT
    candidates = sorted(
        os.path.join(folder, name) for folder in folders for name in os.listdir(folder)
        if name.lower().endswith(extensions) and os.path.isfile(os.path.join(folder, name)))
    fresh = [path for path in candidates if os.path.realpath(path) not in posted]
    wanted = count(config)
    if len(fresh) < wanted:
        raise ScriptFailure(ErrorReason.NO_MEDIA_LEFT,
                            f"{len(fresh)} unposted file(s) in {', '.join(folders)}; this post needs {wanted}",
                            acted=False)
    if not caption:
        caption = _caption_from_file(folders[0], rng)
    return Selection(fresh[:wanted], caption)


async def pick_from_library(config: dict[str, Any], library: Library | None, account: str,
                            rng: random.Random) -> Selection:
    """``materialLibrary``: the first unposted materials of the kind and tags asked for."""
    if library is None:
        raise ScriptFailure(ErrorReason.NO_MEDIA_LIBRARY, "no media roots are configured", acted=False)
    await library.sync()
    tags = [t.strip() for t in config.get("materials_tags", "").split(",") if t.strip()]
    kind = "video" if config["content_type"] == 0 else "image"
    fresh = await library.candidates(kind, tags, account)
    wanted = count(config)
    if len(fresh) < wanted:
        where = f"tagged {', '.join(tags)}" if tags else "in the library"
        raise ScriptFailure(ErrorReason.NO_MEDIA_LEFT,
                            f"{len(fresh)} unposted {kind}(s) {where}; this post needs {wanted}",
                            acted=False)
    folder = os.path.join(library.root, tags[0]) if tags else library.root
    caption = config.get("captions", "") or await asyncio.to_thread(_caption_from_file, folder, rng)
    return Selection([m.path for m in fresh[:wanted]], caption)


def _folders(config: dict[str, Any], username: str | None, roots: tuple[str, ...]) -> list[str]:
    """``localFolder``: the folder, or the account's ``@username`` sub-folder when there is one."""
    base = config["material_path"]
    mine = os.path.join(base, f"@{username}") if username else ""
    folders = [mine if mine and os.path.isdir(mine) else base]
    for folder in folders:
        if not _inside(folder, roots) or not os.path.isdir(folder):
            raise ScriptFailure(ErrorReason.MEDIA_MISSING,
                                f"media folder {folder} is not readable inside the media roots",
                                acted=False)
    return folders


def _caption_from_file(folder: str, rng: random.Random) -> str:
    path = os.path.join(folder, CAPTIONS_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.rstrip("\n") for line in handle if line.strip()]
    except OSError:
        return ""
    return rng.choice(lines) if lines else ""


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    real = os.path.realpath(path)
    return any(os.path.commonpath([real, root]) == root for root in roots)
