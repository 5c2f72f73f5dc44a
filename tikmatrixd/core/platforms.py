"""The apps we drive, and their Android packages."""

from __future__ import annotations

PACKAGES = {
    "tiktok": "com.zhiliaoapp.musically",
    "instagram": "com.instagram.android",
}
PLATFORMS = tuple(PACKAGES)
DEFAULT_PLATFORM = "tiktok"
