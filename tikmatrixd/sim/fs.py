"""The phone's storage, kept in memory: files (bytes + mode + mtime) and directories."""

from __future__ import annotations

import hashlib
import posixpath
import time
from dataclasses import dataclass

S_IFDIR = 0o040000
S_IFREG = 0o100000
DIR_MODE = S_IFDIR | 0o771
#: Directories a stock phone has, so `push f /sdcard/Download/` finds a directory.
DEFAULT_DIRS = (
    "/", "/sdcard", "/sdcard/DCIM", "/sdcard/DCIM/Camera", "/sdcard/Download", "/sdcard/Movies",
    "/sdcard/Pictures", "/data", "/data/local", "/data/local/tmp", "/storage", "/storage/emulated",
    "/storage/emulated/0", "/system", "/system/bin",
)


@dataclass
class File:
    data: bytes
    mode: int
    mtime: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def normalize(path: str) -> str:
    path = "/" + posixpath.normpath("/" + path.strip()).lstrip("/")  # POSIX keeps a leading "//"
    # /storage/emulated/0 and /sdcard are the same place on a phone.
    if path == "/storage/emulated/0" or path.startswith("/storage/emulated/0/"):
        path = "/sdcard" + path[len("/storage/emulated/0"):]
    if path == "/storage/self/primary" or path.startswith("/storage/self/primary/"):
        path = "/sdcard" + path[len("/storage/self/primary"):]
    return path


class Storage:
    def __init__(self) -> None:
        self.files: dict[str, File] = {}
        self.dirs: set[str] = set()
        for d in DEFAULT_DIRS:
            self.dirs.add(normalize(d))

    def stat(self, path: str) -> tuple[int, int, int]:
        p = normalize(path)
        if p in self.dirs:
            return DIR_MODE, 4096, 0
        f = self.files.get(p)
        if f is None:
            return 0, 0, 0
        return f.mode, len(f.data), f.mtime

    def is_dir(self, path: str) -> bool:
        return normalize(path) in self.dirs

    def exists(self, path: str) -> bool:
        p = normalize(path)
        return p in self.dirs or p in self.files

    def mkdirs(self, path: str) -> None:
        p = normalize(path)
        while p not in self.dirs:
            self.dirs.add(p)
            p = posixpath.dirname(p)

    def write(self, path: str, data: bytes, *, mode: int = S_IFREG | 0o644, mtime: int | None = None) -> str | None:
        """Store a file; returns an error text (as adbd words it) or None."""
        p = normalize(path)
        if p in self.dirs:
            return "couldn't create file: Is a directory"
        parent = posixpath.dirname(p)
        if parent.startswith("/system") or parent == "/":
            return "couldn't create file: Read-only file system"
        self.mkdirs(parent)  # adbd creates missing parent directories on push
        if not mode & 0o170000:
            mode |= S_IFREG
        self.files[p] = File(data, mode, int(time.time()) if mtime is None else mtime)
        return None

    def read(self, path: str) -> bytes | None:
        f = self.files.get(normalize(path))
        return None if f is None else f.data

    def remove(self, path: str) -> bool:
        return self.files.pop(normalize(path), None) is not None

    def listdir(self, path: str) -> list[tuple[str, tuple[int, int, int]]]:
        p = normalize(path)
        if p not in self.dirs:
            return []
        out: dict[str, tuple[int, int, int]] = {".": (DIR_MODE, 4096, 0), "..": (DIR_MODE, 4096, 0)}
        prefix = p.rstrip("/") + "/"
        for d in self.dirs:
            if d != p and d.startswith(prefix) and "/" not in d[len(prefix):]:
                out[d[len(prefix):]] = (DIR_MODE, 4096, 0)
        for fp, f in self.files.items():
            if fp.startswith(prefix) and "/" not in fp[len(prefix):]:
                out[fp[len(prefix):]] = (f.mode, len(f.data), f.mtime)
        return sorted(out.items())
