"""The TOML configuration → frozen dataclasses, validated at start.

Unknown keys and wrong types are errors naming the key: a typo in a config
file must not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import types
import typing
import urllib.parse
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tikmatrixd import constants
from tikmatrixd.adb.host import unix_path
from tikmatrixd.core.platforms import DEFAULT_PLATFORM, PLATFORMS
from tikmatrixd.events import KINDS
from tikmatrixd.scripts import SCRIPTS
from tikmatrixd.scripts.base import RetryPolicy
from tikmatrixd.tomlfile import ConfigError, read_toml

__all__ = ["Config", "ConfigError", "RetryPolicy", "load", "read_toml"]

PLANS = ("starter", "pro", "team", "business")
DEFAULT_PORT = 50809


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token_file: str = ""
    max_body_bytes: int = constants.DEFAULT_MAX_BODY_BYTES
    # Extra Host header names accepted besides loopback names (DNS-rebinding guard).
    allowed_hosts: tuple[str, ...] = ()
    # Web pages (scheme://host[:port]) allowed to call the API from a browser, besides the
    # daemon's own; a request from any other page is refused (40302).
    allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreConfig:
    path: str = ""


@dataclass(frozen=True)
class LicenseConfig:
    plan: str = "business"
    device_limit: int = 200


@dataclass(frozen=True)
class ScheduleConfig:
    timezone: str = ""


@dataclass(frozen=True)
class MediaConfig:
    roots: tuple[str, ...] = ()
    # Uploads (POST /api/v1/materials) go to the first root, the material library.
    upload_max_bytes: int = 1024**3
    library_quota_bytes: int = 50 * 1024**3


@dataclass(frozen=True)
class AdbConfig:
    servers: tuple[str, ...] = ("127.0.0.1:5037",)
    # Phones reached over TCP ("host:port") that the daemon keeps connected:
    # `adb connect` on start, and again whenever one drops or its adb server restarts.
    connect: tuple[str, ...] = ()
    # No longer used (device calls run on the event loop, no thread pool); accepted so
    # that older config files still load.
    threads: int = 0
    # Longest any single adb call may take (seconds).
    call_timeout: float = 60.0
    # A device must answer a shell probe within this to get tasks (seconds).
    probe_timeout: float = 10.0


@dataclass(frozen=True)
class TasksConfig:
    max_per_request: int = constants.DEFAULT_MAX_TASKS_PER_REQUEST
    # Most a script's cleanup (back to a known screen) may take after a stop (seconds).
    cleanup_timeout: float = 3.0


def _script_defaults(what: str) -> Callable[[], dict[str, Any]]:
    """Per-script settings ([retry.<script>], [caps] <script>) default to the script registry's."""
    return lambda: {name: getattr(script, what) for name, script in SCRIPTS.items()}


@dataclass(frozen=True)
class CapsConfig:
    # Seconds an account rests after its app shows an action-blocked / "too fast" notice.
    cooldown: float = 3600.0
    # Most completed tasks per account per day (in schedule.timezone), per script; 0 = no cap.
    # Written as `[caps] post = 20`; an account's own daily_caps override these.
    daily: Mapping[str, int] = field(default_factory=_script_defaults("daily_cap"))


@dataclass(frozen=True)
class UiConfig:
    # Directory of selector packs (tiktok.toml, instagram.toml); empty = the built-in ones.
    selectors_dir: str = ""
    # Where failed tasks keep their last UI dump and screenshot; empty = "artifacts" next to the database.
    artifacts_dir: str = ""
    # How long a script waits for an expected screen before failing (seconds).
    screen_timeout: float = 20.0


@dataclass(frozen=True)
class LogConfig:
    format: str = "auto"
    level: str = "info"


@dataclass(frozen=True)
class EventsConfig:
    # The event log (GET /api/v1/events replays, webhooks deliver from it) keeps events this
    # many days, and at most keep_count of them; older ones are pruned in the background.
    keep_days: float = 7.0
    keep_count: int = 1_000_000
    # Hosts webhooks may be delivered to besides loopback ones; "*" allows any host.
    webhook_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    # A file holding the secret the deliveries are signed with (X-Tikmatrixd-Signature).
    secret_file: str = ""
    # Event kinds to deliver (task, device, account, tasks_created, ...); empty = all.
    kinds: tuple[str, ...] = ()

    def secret(self) -> bytes:
        with open(self.secret_file, "rb") as handle:
            return handle.read().strip()


@dataclass(frozen=True)
class DeviceConfig:
    serial: str
    name: str = ""
    platform: str = DEFAULT_PLATFORM


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    license: LicenseConfig = field(default_factory=LicenseConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    adb: AdbConfig = field(default_factory=AdbConfig)
    tasks: TasksConfig = field(default_factory=TasksConfig)
    # Automatic retry per script, `[retry.post]` …
    retry: Mapping[str, RetryPolicy] = field(default_factory=_script_defaults("retry"))
    ui: UiConfig = field(default_factory=UiConfig)
    caps: CapsConfig = field(default_factory=CapsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    webhooks: tuple[WebhookConfig, ...] = ()
    devices: tuple[DeviceConfig, ...] = ()

    @property
    def artifacts_dir(self) -> str:
        return self.ui.artifacts_dir or os.path.join(os.path.dirname(os.path.abspath(self.store.path)), "artifacts")

    @property
    def tz(self) -> zoneinfo.ZoneInfo | None:
        """The configured zone; None means the host's local zone."""
        return zoneinfo.ZoneInfo(self.schedule.timezone) if self.schedule.timezone else None

    def token(self) -> str | None:
        if not self.server.token_file:
            return None
        with open(self.server.token_file, encoding="utf-8") as handle:
            return handle.read().strip()


def load(path: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the file (if any), apply command-line overrides, validate."""
    raw: dict[str, Any] = read_toml(path, "config") if path else {}
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
        else:  # an array of tables ([[webhooks]]) replaces the file's
            raw[section] = values
    config: Config = _build(Config, _script_sections(raw), "")
    config = dataclasses.replace(config, store=StoreConfig(path=default_store_path(config.store.path)),
                                 media=dataclasses.replace(config.media, roots=tuple(
                                     os.path.realpath(r) for r in config.media.roots)))
    _validate(config)
    return config


def default_store_path(path: str) -> str:
    """Empty means $STATE_DIRECTORY under systemd, ./var otherwise."""
    if path:
        return path
    state_dir = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return os.path.join(state_dir or "var", "tikmatrixd.db")


def _script_sections(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill the per-script tables from the registry: a script's [retry.<script>] starts from
    its own defaults, and [caps] keys other than cooldown are scripts' daily caps."""
    raw = dict(raw)
    retry = raw.get("retry", {})
    if isinstance(retry, dict):
        _known_scripts(retry, "retry")
        raw["retry"] = {name: _over(dataclasses.asdict(script.retry), retry.get(name, {}))
                        for name, script in SCRIPTS.items()}
    caps = raw.get("caps", {})
    if isinstance(caps, dict):
        daily = {key: value for key, value in caps.items() if key != "cooldown"}
        _known_scripts(daily, "caps")
        for name, cap in daily.items():
            _convert(int, cap, f"caps.{name}")  # named as written, not as caps.daily.<name>
        raw["caps"] = {**{k: v for k, v in caps.items() if k == "cooldown"},
                       "daily": {name: daily.get(name, script.daily_cap) for name, script in SCRIPTS.items()}}
    return raw


def _over(defaults: dict[str, Any], table: Any) -> Any:
    """A table's keys over the defaults; anything but a table is left for _build to refuse."""
    return {**defaults, **table} if isinstance(table, dict) else table


def _known_scripts(table: dict[str, Any], where: str) -> None:
    unknown = sorted(set(table) - set(SCRIPTS))
    if unknown:
        raise ConfigError(f"unknown config key {where}.{unknown[0]} (scripts: {', '.join(SCRIPTS)})")


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'config'}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"unknown config key {_join(where, unknown[0])}")
    values = {}
    for name, value in raw.items():
        values[name] = _convert(hints[name], value, _join(where, name))
    try:
        return cls(**values)
    except TypeError as error:  # a required key (devices.serial) missing
        raise ConfigError(f"{where}: {error}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    if origin is Mapping:
        item = typing.get_args(hint)[1]
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table")
        return types.MappingProxyType({key: _convert(item, v, _join(where, key)) for key, v in value.items()})
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list")
        return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is types.UnionType:
        hint = typing.get_args(hint)[0]
    expected = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}[hint]
    ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return value


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _validate(config: Config) -> None:
    server = config.server
    if not 1 <= server.port <= 65535:
        raise ConfigError(f"server.port: {server.port} is not a TCP port")
    if not is_loopback(server.host) and not server.token_file:
        raise ConfigError(f"server.host: {server.host} is not loopback, so server.token_file is required")
    if server.token_file:
        try:
            if not config.token():
                raise ConfigError(f"server.token_file: {server.token_file} is empty")
        except OSError as error:
            raise ConfigError(f"server.token_file: cannot read {server.token_file}: {error.strerror}") from None
    if server.max_body_bytes < 1024:
        raise ConfigError("server.max_body_bytes: must be at least 1024")
    if config.license.plan not in PLANS:
        raise ConfigError(f"license.plan: must be one of {', '.join(PLANS)}, got {config.license.plan!r}")
    if config.license.device_limit < 0:
        raise ConfigError("license.device_limit: must not be negative")
    if config.schedule.timezone:
        try:
            zoneinfo.ZoneInfo(config.schedule.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"schedule.timezone: unknown time zone {config.schedule.timezone!r}") from None
    for root in config.media.roots:
        if not os.path.isdir(root):
            raise ConfigError(f"media.roots: {root} is not a directory")
    for server_address in config.adb.servers:
        host, _, port = server_address.rpartition(":")
        path = unix_path(server_address)
        if not (os.path.isabs(path) if path is not None else host and port.isdigit()):
            raise ConfigError(f"adb.servers: {server_address!r} is neither host:port nor localfilesystem:/PATH")
    for target in config.adb.connect:
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"adb.connect: {target!r} is not host:port")
    if config.adb.threads < 0:
        raise ConfigError("adb.threads: must not be negative")
    for key in ("call_timeout", "probe_timeout"):
        if getattr(config.adb, key) <= 0:
            raise ConfigError(f"adb.{key}: must be positive")
    if config.tasks.cleanup_timeout <= 0:
        raise ConfigError("tasks.cleanup_timeout: must be positive")
    for script, policy in config.retry.items():
        if not 0 <= policy.attempts <= 10:
            raise ConfigError(f"retry.{script}.attempts: must be 0-10")
        if policy.delay < 0 or not 0 <= policy.jitter <= 1:
            raise ConfigError(f"retry.{script}: delay must be >= 0 and jitter 0-1")
    for script, cap in config.caps.daily.items():
        if cap < 0:
            raise ConfigError(f"caps.{script}: must not be negative")
    if config.caps.cooldown < 0:
        raise ConfigError("caps.cooldown: must not be negative")
    if config.ui.screen_timeout <= 0:
        raise ConfigError("ui.screen_timeout: must be positive")
    if config.ui.selectors_dir and not os.path.isdir(config.ui.selectors_dir):
        raise ConfigError(f"ui.selectors_dir: {config.ui.selectors_dir} is not a directory")
    if config.tasks.max_per_request < 1:
        raise ConfigError("tasks.max_per_request: must be at least 1")
    if config.log.format not in ("auto", "json", "console"):
        raise ConfigError("log.format: must be auto, json or console")
    if config.log.level not in ("debug", "info", "warning", "error"):
        raise ConfigError("log.level: must be debug, info, warning or error")
    _validate_events(config)
    serials = [d.serial for d in config.devices]
    for device in config.devices:
        if not device.serial:
            raise ConfigError("devices.serial: must not be empty")
        if device.platform not in PLATFORMS:
            raise ConfigError(f"devices.platform: {device.platform!r} is not one of {', '.join(PLATFORMS)}")
        if serials.count(device.serial) > 1:
            raise ConfigError(f"devices: serial {device.serial} is declared twice")


def _validate_events(config: Config) -> None:
    if config.events.keep_days <= 0 or config.events.keep_count < 1:
        raise ConfigError("events: keep_days must be positive and keep_count at least 1")
    urls = [hook.url for hook in config.webhooks]
    for hook in config.webhooks:
        where = f"webhooks[{urls.index(hook.url)}]"
        url = urllib.parse.urlsplit(hook.url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"{where}.url: {hook.url!r} is not an http(s) URL")
        allowed = config.events.webhook_hosts
        if not (is_loopback(url.hostname) or url.hostname in allowed or "*" in allowed):
            raise ConfigError(f"{where}.url: {url.hostname} is not loopback; add it to events.webhook_hosts "
                              "to allow it")
        if urls.count(hook.url) > 1:
            raise ConfigError(f"{where}.url: {hook.url} is declared twice")
        unknown = sorted(set(hook.kinds) - set(KINDS))
        if unknown:
            raise ConfigError(f"{where}.kinds: {unknown[0]!r} is not one of {', '.join(KINDS)}")
        if not hook.secret_file:
            raise ConfigError(f"{where}.secret_file: required (deliveries are signed)")
        try:
            if not hook.secret():
                raise ConfigError(f"{where}.secret_file: {hook.secret_file} is empty")
        except OSError as error:
            raise ConfigError(f"{where}.secret_file: cannot read {hook.secret_file}: {error.strerror}") from None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
