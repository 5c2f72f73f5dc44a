"""Observable state of a simulated phone: what tests assert on and the control endpoint serves.

Everything here is plain data (JSON-able through :func:`DeviceState.to_json`);
the apps mutate it, tests and the control endpoint read and seed it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

TIKTOK = "com.zhiliaoapp.musically"
INSTAGRAM = "com.instagram.android"
ADBKEYBOARD = "com.android.adbkeyboard"
ADBKEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
LATIN_IME = "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"
APP_VERSIONS = {TIKTOK: "47.0.3", INSTAGRAM: "410.0.0.53.71", ADBKEYBOARD: "2.4-dev"}
BASE_PACKAGES = ("android", "com.android.systemui", "com.android.settings", "com.google.android.inputmethod.latin",
                 "com.android.shell", "com.android.providers.media")


@dataclass
class Post:
    app: str
    account: str
    media: list[dict[str, str]]  # [{"path", "name", "sha256"}]
    caption: str
    placement: str  # "post" (TikTok video / IG feed), "reel", "story"
    sound: str | None
    via: str = "app"  # how the flow began: "app" (Create button), "share" (SEND intent), "sound" (sound page)
    volumes: dict[str, int] | None = None  # {"original", "added"} when the volume sheet was used
    product: str | None = None  # the TikTok Shop product linked
    at: float = field(default_factory=time.time)


@dataclass
class Faults:
    """Injected misbehaviour; all rates are probabilities in [0, 1] drawn from the device's RNG."""
    latency: dict[str, float] = field(default_factory=dict)  # command kind -> seconds
    #: Each call's latency is drawn from latency x [1 - spread, 1 + spread]: no two phones (nor two
    #: calls) take exactly as long, so a farm's phones do not run in lockstep (0: they do).
    latency_spread: float = 0.0
    idle_error_rate: float = 0.0  # "ERROR: could not get idle state."
    null_root_rate: float = 0.0  # "ERROR: null root node returned by UiTestAutomationBridge"
    popup_rate: float = 0.0  # interrupting dialog on each screen change
    drop_next: int = 0  # drop the TCP connection in the middle of the next N commands
    unauthorized: bool = False
    offline: bool = False
    action_block: bool = False  # follows answer with the app's "too fast" / "try again later" notice
    scan_lag: float = 0.0  # seconds before a scanned file shows in the media store


#: Seconds per command kind on stock adb (shared/notes/real-phones.md).
REALISTIC_LATENCY = {"input": 0.3, "dump": 2.1, "am": 0.6, "monkey": 0.8, "screencap": 0.5,
                     "pm": 0.4, "default": 0.03}
#: How far a call's latency strays from REALISTIC_LATENCY: the notes give 0.23-1.2 s a tap and 1-4 s
#: a dump across phones and moments; +-25 % is a conservative share of that.
REALISTIC_SPREAD = 0.25


@dataclass
class AppAccounts:
    accounts: list[str]
    current: str
    follows: dict[str, list[str]]  # account -> usernames it follows (ordered)
    shop: dict[str, list[str]] = field(default_factory=dict)  # account -> showcase products (TikTok Shop)

    def follow(self, target: str) -> None:
        lst = self.follows.setdefault(self.current, [])
        if target not in lst:
            lst.append(target)

    def unfollow(self, target: str) -> None:
        lst = self.follows.setdefault(self.current, [])
        if target in lst:
            lst.remove(target)

    def is_following(self, target: str) -> bool:
        return target in self.follows.get(self.current, [])


def default_accounts(prefix: str, n: int) -> AppAccounts:
    names = [f"{prefix}_{i + 1}" for i in range(n)]
    return AppAccounts(accounts=names, current=names[0], follows={name: [] for name in names})


@dataclass
class CommandRecord:
    at: float
    command: str
    service: str
    exit_code: int | None = None


@dataclass
class DeviceState:
    serial: str
    model: str = "Pixel 6a"
    product: str = "bluejay"
    device: str = "bluejay"
    language: str = "en"
    #: Installed app versions (dumpsys shows them); where real dumps of a version exist, its screens
    #: are built from them.
    versions: dict[str, str] = field(default_factory=lambda: dict(APP_VERSIONS))
    installed: list[str] = field(default_factory=lambda: [TIKTOK, INSTAGRAM, ADBKEYBOARD])
    ime_enabled: bool = True  # ADBKeyboard enabled and selected
    foreground: str = "launcher"  # package name or "launcher"
    apps: dict[str, AppAccounts] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    media_store: list[str] = field(default_factory=list)  # scanned paths, newest last
    media_ids: dict[str, int] = field(default_factory=dict)  # path -> MediaStore _id
    next_media_id: int = 1001
    #: What an app's account search lists for a query (casefolded), in order; by default the
    #: name itself first, then look-alikes.
    search_ranking: dict[str, list[str]] = field(default_factory=dict)
    commands: list[CommandRecord] = field(default_factory=list)
    pushed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def default_ime(self) -> str:
        return ADBKEYBOARD_IME if self.ime_enabled and ADBKEYBOARD in self.installed else LATIN_IME

    def to_json(self, screens: dict[str, str] | None = None) -> dict[str, Any]:
        data = asdict(self)
        data["screens"] = screens or {}
        return data
