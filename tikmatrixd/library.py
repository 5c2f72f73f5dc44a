"""The material library: the first media root's videos and images, known by their content.

Files arrive two ways, and both count the same: uploaded through the API
(streamed to disk, hashed on the way, never held in memory) or copied into
the folder by hand. ``sync()`` indexes what changed on disk since it last
looked (a directory's mtime changes when a file is added, removed or
renamed in it), so it is cheap to call before every list and every pick;
the daemon also runs it once at start. Sub-folders of the library are tags,
as TikMatrix's material library has them. What a file is comes from its
first bytes, never its name.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import BodyPartReader

from tikmatrixd.core.errors import BodyTooLarge, InvalidParameters
from tikmatrixd.store.materials import Material, MaterialQueries

log = structlog.get_logger("tikmatrixd.library")
CHUNK = 1024 * 1024
INCOMING = ".incoming"  # uploads being received: hidden, so never listed nor picked


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, extension) of a file from its first 16 bytes, for the formats the apps take."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"qt"):
            return "video", ".mov"
        if brand.startswith(b"3g"):
            return "video", ".3gp"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return None  # still images in an ISO box: not something the apps' pickers post
        return "video", ".mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video", ".webm"
    if head[:3] == b"\xff\xd8\xff":
        return "image", ".jpg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image", ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", ".webp"
    return None


def safe_name(name: str, extension: str) -> str:
    """A file name from a client: its last path part, printable, no leading dot, the real extension."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable() and c not in '<>:"|?*')
    stem = os.path.splitext(base)[0].strip().lstrip(".")[:120] or "upload"
    return stem + extension


@dataclass(frozen=True)
class Received:
    """An upload on disk in the incoming folder, hashed and sniffed."""

    path: str
    sha256: str
    size: int
    kind: str
    extension: str


class Library:
    def __init__(self, root: str, materials: MaterialQueries, clock: Callable[[], float], *,
                 max_file_bytes: int, quota_bytes: int) -> None:
        self.root = os.path.realpath(root)
        self._materials = materials
        self._clock = clock
        self.max_file_bytes = max_file_bytes
        self.quota_bytes = quota_bytes
        self._lock = asyncio.Lock()
        self._tree: dict[str, float] | None = None  # directory → mtime, as last indexed
        self._unindexed: dict[str, tuple[int, float]] = {}  # duplicates on disk: not hashed again

    # -- the disk → the index ----------------------------------------------------
    async def sync(self) -> None:
        """Index files added, changed or removed since the last call (nothing to do: a few stats)."""
        async with self._lock:
            tree = await asyncio.to_thread(self._directories)
            if tree == self._tree:
                return
            known = {path: (m.size, m.mtime) for path, m in (await self._materials.all()).items()}
            found, gone = await asyncio.to_thread(self._scan, known)
            if found or gone:
                await self._materials.sync(found, gone, self._clock())
                log.info("library indexed", root=self.root, new_or_changed=len(found), gone=len(gone))
            self._tree = tree

    def _directories(self) -> dict[str, float]:
        tree = {}
        for directory, subdirs, _ in os.walk(self.root):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            try:
                tree[directory] = os.stat(directory).st_mtime
            except OSError:
                continue
        return tree

    def _scan(self, known: dict[str, tuple[int, float]]) -> tuple[list[dict[str, Any]], list[str]]:
        found, seen = [], set()
        for directory, subdirs, files in os.walk(self.root):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                seen.add(path)
                signature = (stat.st_size, stat.st_mtime)
                if known.get(path) == signature or self._unindexed.get(path) == signature:
                    continue
                item = self._describe(path, stat.st_size, stat.st_mtime)
                if item is None:
                    self._unindexed[path] = signature  # not a video or image: look again only if it changes
                else:
                    found.append(item)
        return found, [path for path in known if path not in seen]

    def _describe(self, path: str, size: int, mtime: float) -> dict[str, Any] | None:
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                head = handle.read(16)
                kind = sniff(head)
                if kind is None:
                    return None
                digest.update(head)
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return None
        return {"sha256": digest.hexdigest(), "path": path, "name": os.path.basename(path), "kind": kind[0],
                "size": size, "mtime": mtime, "tags": self._tags(path)}

    def _tags(self, path: str) -> list[str]:
        folder = os.path.relpath(os.path.dirname(path), self.root)
        return [] if folder == "." else [folder.split(os.sep)[0]]

    # -- uploads -------------------------------------------------------------------
    async def receive(self, part: BodyPartReader) -> Received:
        """One multipart file, streamed to the incoming folder while hashed; refused (and removed)
        when larger than ``max_file_bytes`` or not a video or image the apps take."""
        incoming = os.path.join(self.root, INCOMING)
        await asyncio.to_thread(os.makedirs, incoming, exist_ok=True)
        path = os.path.join(incoming, secrets.token_hex(8))
        digest, size, head = hashlib.sha256(), 0, b""
        handle = await asyncio.to_thread(open, path, "wb")
        try:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > self.max_file_bytes:
                    raise BodyTooLarge(f"{part.filename or 'a file'} is larger than media.upload_max_bytes "
                                       f"({self.max_file_bytes} bytes)")
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            kind = sniff(head)
            if kind is None:
                raise InvalidParameters(f"{part.filename or 'a file'} is not a video (MP4, MOV, 3GP, WebM) or an "
                                        "image (JPEG, PNG, WebP), judging by its content")
        except BaseException:
            await asyncio.to_thread(_discard, handle, path)
            raise
        await asyncio.to_thread(handle.close)
        return Received(path=path, sha256=digest.hexdigest(), size=size, kind=kind[0], extension=kind[1])

    async def check_quota(self, received: list[Received]) -> None:
        """Would these uploads (their new content) fit in the library? 40001 if not."""
        known = await self._materials.resolve([f"sha256:{item.sha256}" for item in received])
        new = {item.sha256: item.size for item in received if f"sha256:{item.sha256}" not in known}
        if await self._materials.total_size() + sum(new.values()) > self.quota_bytes:
            raise InvalidParameters(f"the library would exceed media.library_quota_bytes ({self.quota_bytes} bytes)")

    async def keep(self, received: Received, name: str, tags: list[str]) -> tuple[Material, bool]:
        """Into the library (the first tag's folder) unless that content is already there:
        (the material, whether it is new). Over the quota, nothing is kept."""
        async with self._lock:
            existing = await self._materials.resolve([f"sha256:{received.sha256}"])
            if existing:
                await asyncio.to_thread(_discard, None, received.path)
                return await self._materials.add({"sha256": received.sha256, "tags": tags}, self._clock())
            if await self._materials.total_size() + received.size > self.quota_bytes:
                await asyncio.to_thread(_discard, None, received.path)
                raise InvalidParameters(f"the library would exceed media.library_quota_bytes "
                                        f"({self.quota_bytes} bytes)")
            folder = os.path.join(self.root, tags[0]) if tags else self.root
            final = await asyncio.to_thread(_place, received.path, folder, safe_name(name, received.extension))
            stat = await asyncio.to_thread(os.stat, final)
            return await self._materials.add({
                "sha256": received.sha256, "path": final, "name": os.path.basename(final), "kind": received.kind,
                "size": received.size, "mtime": stat.st_mtime, "tags": tags}, self._clock())

    async def drop(self, received: Received) -> None:
        """An upload refused after it was received (another file of the request failed)."""
        await asyncio.to_thread(_discard, None, received.path)

    async def candidates(self, kind: str, tags: list[str], account: str) -> list[Material]:
        """What a post of ``account`` may still pick (see MaterialQueries.candidates)."""
        return await self._materials.candidates(kind, tags, account)

    async def forget(self, material: Material) -> None:
        """A deleted material's file goes too (the index row is already gone)."""
        async with self._lock:
            await asyncio.to_thread(_discard, None, material.path)
            self._tree = None  # the next sync looks at the disk again


def _discard(handle: Any, path: str) -> None:
    if handle is not None:
        handle.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _place(source: str, folder: str, name: str) -> str:
    """Move into ``folder`` under ``name``, or ``name-2``... when taken (never over another file)."""
    os.makedirs(folder, exist_ok=True)
    stem, extension = os.path.splitext(name)
    for n in range(1, 10_000):
        target = os.path.join(folder, name if n == 1 else f"{stem}-{n}{extension}")
        try:
            os.link(source, target)  # fails if the name is taken: no race with another upload
        except FileExistsError:
            continue
        os.unlink(source)
        return os.path.realpath(target)
    raise InvalidParameters(f"too many files named {name} in {folder}")
