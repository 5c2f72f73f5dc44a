"""How the command-line client shows things: rich tables and a live progress bar."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

STATUS_STYLE = {"pending": "yellow", "running": "cyan", "completed": "green", "failed": "red"}


def line(text: str, *, error: bool = False) -> None:
    (err if error else out).print(text, markup=False)


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _status(task: dict[str, Any]) -> str:
    text = task["status_text"]
    reason = (task.get("error") or {}).get("reason")
    shown = f"{text} ({reason})" if reason and text == "failed" else text
    return f"[{STATUS_STYLE.get(text, 'white')}]{shown}[/]"


def _text(value: Any) -> str:
    """A value as plain table text (rich markup in user data is escaped)."""
    return escape("" if value is None else str(value))


def task_rows(tasks: list[dict[str, Any]]) -> None:
    table = _table("id", "status", "script", "target", "device", "account", "retries", "scheduled", "finished")
    for task in tasks:
        target = (task.get("script_config") or {}).get("target_user", "")
        table.add_row(str(task["id"]), _status(task), _text(task["script_name"]), _text(target), _text(task["serial"]),
                      _text(task.get("username")), str(task["retry_count"]), _text(task["scheduled_at"]),
                      _text(task.get("finished_at")))
    out.print(table)


def task_page(data: dict[str, Any]) -> None:
    task_rows(data["tasks"])
    pages = max(1, -(-data["total"] // data["page_size"]))
    line(f"{data['total']} task(s), page {data['page']} of {pages}")


def tasks_detail(tasks: list[dict[str, Any]]) -> None:
    for task in tasks:
        fields(task, status_text=_status(task))


def fields(data: dict[str, Any], **shown: str) -> None:
    """One object as a two-column table; ``shown`` replaces a field's plain text."""
    table = _table("field", "value")
    for key, value in data.items():
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        table.add_row(key, shown.get(key, _text(text)))
    out.print(table)


def created(ids: list[int]) -> None:
    line(f"created {len(ids)} task(s): {' '.join(map(str, ids))}")


def deleted(data: dict[str, Any]) -> None:
    line(f"deleted {data['deleted_count']} task(s)")
    if data["not_found"]:
        line(f"not found: {' '.join(map(str, data['not_found']))}", error=True)


def stats(data: dict[str, Any]) -> None:
    table = _table("status", "tasks")
    for name in ("pending", "running", "completed", "failed", "total"):
        table.add_row(f"[{STATUS_STYLE.get(name, 'bold')}]{name}[/]", str(data[name]))
    out.print(table)


def devices(data: dict[str, Any]) -> None:
    table = _table("serial", "name", "state", "healthy", "model", "running task", "accounts")
    for device in data["devices"]:
        table.add_row(*_device_row(device))
    out.print(table)
    line(f"{data['total']} device(s)")


def _device_row(device: dict[str, Any]) -> list[str]:
    accounts = ", ".join(f"{app}: {name}" for app, name in (device.get("current_accounts") or {}).items())
    return [_text(device["serial"]), _text(device.get("name")), _text(device.get("state")),
            _text(device.get("healthy")), _text(device.get("model")), _text(device.get("running_task_id")),
            _text(accounts)]


def accounts(data: dict[str, Any]) -> None:
    table = _table("id", "username", "platform", "device", "status", "tags", "cooldown until")
    for account in data["accounts"]:
        table.add_row(str(account["id"]), _text(account["username"]), _text(account["platform"]),
                      _text(account.get("device")), _text(account.get("status_text")), _text(account.get("tags")),
                      _text(account.get("cooldown_until")))
    out.print(table)
    line(f"{data['total']} account(s)")


def event(item: Any) -> None:
    data = dict(item.data)
    at = data.pop("at", "")
    details = " ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in data.items())
    line(f"{item.id or '-':>8} {at} {item.kind:<14} {details}")


class Progress:
    """A live bar of ended tasks over all, with counts per status (nothing when ``quiet``)."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self._quiet = quiet
        self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=err, transient=False)
        self._task: TaskID = self._bar.add_task("waiting", total=total)

    def update(self, tasks: list[dict[str, Any]]) -> None:
        counts = {name: 0 for name in STATUS_STYLE}
        for task in tasks:
            counts[task["status_text"]] = counts.get(task["status_text"], 0) + 1
        description = " ".join(f"[{STATUS_STYLE[name]}]{name} {count}[/]" for name, count in counts.items() if count)
        self._bar.update(self._task, completed=counts["completed"] + counts["failed"], description=description)

    def start(self) -> Progress:
        if not self._quiet:
            self._bar.start()
        return self

    def stop(self) -> None:
        if not self._quiet:
            self._bar.stop()
