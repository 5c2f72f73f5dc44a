"""Resolve a create request's serials or usernames to the targets tasks run on."""

from __future__ import annotations

import sqlite3

from tikmatrixd.core import names
from tikmatrixd.core.errors import InvalidParameters
from tikmatrixd.core.tasks import Target, TargetSelection
from tikmatrixd.store.sql import placeholders

ENABLED = 0


def resolve_targets(conn: sqlite3.Connection, selection: TargetSelection) -> list[Target]:
    if selection.usernames:
        return _by_username(conn, selection.usernames)
    _require_known_devices(conn, selection.serials)
    if selection.multi_account:
        return _by_device_accounts(conn, selection.serials)
    return [Target(serial=serial) for serial in selection.serials]


def _require_known_devices(conn: sqlite3.Connection, serials: tuple[str, ...]) -> None:
    known = {
        row[0]
        for row in conn.execute(f"SELECT serial FROM devices WHERE serial IN ({placeholders(len(serials))})", serials)
    }
    unknown = [serial for serial in serials if serial not in known]
    if unknown:
        raise InvalidParameters.fields({"serials": [f"unknown device serial(s): {', '.join(unknown)}"]})


def _by_device_accounts(conn: sqlite3.Connection, serials: tuple[str, ...]) -> list[Target]:
    rows = conn.execute(
        f"SELECT id, username, device FROM accounts WHERE device IN ({placeholders(len(serials))})"
        " AND status = ? ORDER BY id",
        (*serials, ENABLED),
    ).fetchall()
    per_device: dict[str, list[Target]] = {serial: [] for serial in serials}
    for account_id, username, device in rows:
        per_device[device].append(Target(serial=device, username=username, account_id=account_id))
    empty = [serial for serial, targets in per_device.items() if not targets]
    if empty:
        raise InvalidParameters.fields(
            {"serials": [f"no enabled account is registered on device(s): {', '.join(empty)}"]}
        )
    return [target for serial in serials for target in per_device[serial]]


def _by_username(conn: sqlite3.Connection, usernames: tuple[str, ...]) -> list[Target]:
    rows = conn.execute(
        f"SELECT id, username, device, status FROM accounts WHERE username IN ({placeholders(len(usernames))})"
        " ORDER BY id",
        usernames,
    ).fetchall()
    found: dict[str, list[tuple[int, str | None, int]]] = {}
    for account_id, username, device, status in rows:
        found.setdefault(username, []).append((account_id, device, status))
    problems: dict[str, list[str]] = {"unknown": [], "disabled": [], "without a device": []}
    targets: list[Target] = []
    for username in usernames:
        accounts = found.get(username)
        if not accounts:
            problems["unknown"].append(names.display(username))
            continue
        # A name registered on both platforms is two accounts: one task each.
        for account_id, device, status in accounts:
            if status != ENABLED:
                problems["disabled"].append(names.display(username))
            elif device is None:
                problems["without a device"].append(names.display(username))
            else:
                targets.append(Target(serial=device, username=username, account_id=account_id))
    messages = [f"{kind} account(s): {', '.join(who)}" for kind, who in problems.items() if who]
    if messages:
        raise InvalidParameters.fields({"usernames": messages})
    return targets
