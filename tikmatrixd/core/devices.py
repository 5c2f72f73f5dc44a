"""Devices as the daemon knows them, and accounts registered on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEVICE_STATES = ("online", "offline", "unauthorized", "disconnected")


@dataclass(frozen=True)
class Device:
    serial: str
    name: str = ""
    model: str = ""
    platform: str = "tiktok"
    state: str = "disconnected"
    adb_server: str = ""
    apps: dict[str, Any] = field(default_factory=dict)
    #: The active account of each app on the phone, as last seen (platform → username).
    current_accounts: dict[str, str] = field(default_factory=dict)

    @property
    def current_account(self) -> str | None:
        """The active account of the device's own platform's app."""
        return self.current_accounts.get(self.platform)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    platform: str
    packagename: str
    email: str
    device: str | None
    logined: int
    status: int
    tags: list[str]
    created_at: float
    device_online: bool = False
    device_name: str = ""
    daily_caps: dict[str, int] = field(default_factory=dict)  # script → most completed per day
    cooldown_until: float | None = None  # resting after an action-blocked notice


@dataclass(frozen=True)
class AccountFilter:
    platform: str | None = None
    device: str | None = None
    logined: int | None = None
    status: int | None = None
    tag: str | None = None
