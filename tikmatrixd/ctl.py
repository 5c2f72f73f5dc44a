"""The command-line client: `tikmatrixd task|devices|accounts|events ...`, all through the API.

Tables on a terminal, ``--json`` for scripts (the envelope's data, as the
API sends it). An API error prints its code and message and exits 1; a
usage error exits 2; ``task wait`` exits 0 only when every task completed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tikmatrixd import ctl_view as view
from tikmatrixd import ctl_wait
from tikmatrixd.client import ApiError, Client, endpoint
from tikmatrixd.tomlfile import ConfigError

EXIT_API_ERROR = 1
EXIT_USAGE = 2
STATUS_CODES = {"pending": 0, "running": 1, "completed": 2, "failed": 3}

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]


def add_arguments(commands: Any) -> None:
    """The client's commands, on the main parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="the daemon (default: $TIKMATRIXD_URL, else the config's [server])")
    common.add_argument("--token", help="bearer token (default: $TIKMATRIXD_TOKEN, else the config's token_file)")
    common.add_argument("--config", help="TOML config file, for the address and token")
    common.add_argument("--json", action="store_true", help="print the API's data as JSON")

    task = commands.add_parser("task", help="create, list, steer and wait for tasks").add_subparsers(
        dest="action", required=True)
    create = task.add_parser("create", parents=[common], help="create tasks (the API's JSON, or flags)")
    create.add_argument("script", nargs="?", help="script_name: post, follow, unfollow")
    create.add_argument("-f", "--file", help="the request body as JSON (- for standard input)")
    create.add_argument("--serial", action="append", dest="serials", help="a device (repeatable)")
    create.add_argument("--username", action="append", dest="usernames", help="an account (repeatable)")
    create.add_argument("--user", action="append", dest="target_users",
                        help="follow/unfollow: a target user (repeatable)")
    create.add_argument("--material", action="append", dest="materials",
                        help="post: a media file, material:ID or sha256:HEX (repeatable)")
    create.add_argument("--caption", help="post: the caption (spintax allowed)")
    create.add_argument("--start-time", help="HH:MM in the daemon's time zone")
    create.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any script_config key; VALUE is JSON when it parses, else text")
    create.add_argument("--wait", action="store_true", help="then wait for the tasks, as `task wait`")
    create.set_defaults(run=_runner(create_tasks))

    listing = task.add_parser("list", parents=[common], help="list tasks, newest first")
    listing.add_argument("--status", choices=["pending", "running", "completed", "failed"])
    listing.add_argument("--serial")
    listing.add_argument("--script", dest="script_name")
    listing.add_argument("--source", choices=["api", "ui"])
    listing.add_argument("--username")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--page-size", type=int, default=20)
    listing.set_defaults(run=_runner(list_tasks))

    for name, helptext, action in (("get", "show tasks", get_tasks), ("stop", "stop tasks", stop_tasks),
                                   ("retry", "retry failed tasks", retry_tasks)):
        sub = task.add_parser(name, parents=[common], help=helptext)
        sub.add_argument("ids", nargs="+", type=int, metavar="ID")
        sub.set_defaults(run=_runner(action))
    delete = task.add_parser("delete", parents=[common], help="delete tasks (a running one is stopped first)")
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    delete.set_defaults(run=_runner(delete_tasks))
    task.add_parser("retry-all", parents=[common], help="retry every failed task").set_defaults(
        run=_runner(retry_all))
    task.add_parser("stats", parents=[common], help="how many tasks in each status").set_defaults(
        run=_runner(stats))
    wait = task.add_parser("wait", parents=[common], help="follow tasks until they end; exit 0 if all completed")
    wait.add_argument("ids", nargs="+", type=int, metavar="ID")
    wait.add_argument("--timeout", type=float, help="give up after this many seconds (exit 1)")
    wait.set_defaults(run=_runner(wait_tasks))

    devices = commands.add_parser("devices", parents=[common], help="the phones, or one phone")
    devices.add_argument("serial", nargs="?")
    devices.set_defaults(run=_runner(show_devices))

    accounts = commands.add_parser("accounts", help="the accounts on the phones").add_subparsers(
        dest="action", required=True)
    account_list = accounts.add_parser("list", parents=[common], help="list accounts")
    for flag in ("--platform", "--device", "--tag"):
        account_list.add_argument(flag)
    account_list.add_argument("--page", type=int, default=1)
    account_list.add_argument("--page-size", type=int, default=100)
    account_list.set_defaults(run=_runner(list_accounts))
    account_get = accounts.add_parser("get", parents=[common], help="show one account")
    account_get.add_argument("id", type=int)
    account_get.set_defaults(run=_runner(get_account))
    account_add = accounts.add_parser("add", parents=[common], help="register an account")
    account_add.add_argument("username")
    account_add.add_argument("--platform", default="tiktok")
    account_add.add_argument("--device")
    account_add.add_argument("--tag", action="append", dest="tags")
    account_add.set_defaults(run=_runner(add_account))
    account_set = accounts.add_parser("set", parents=[common], help="change an account")
    account_set.add_argument("id", type=int)
    account_set.add_argument("--device")
    account_set.add_argument("--enable", dest="status", action="store_const", const=0)
    account_set.add_argument("--disable", dest="status", action="store_const", const=1)
    account_set.add_argument("--tag", action="append", dest="tags")
    account_set.add_argument("--cap", action="append", default=[], metavar="SCRIPT=N", help="a daily cap")
    account_set.set_defaults(run=_runner(set_account))
    account_delete = accounts.add_parser("delete", parents=[common], help="forget an account")
    account_delete.add_argument("id", type=int)
    account_delete.set_defaults(run=_runner(delete_account))
    match = accounts.add_parser("match", parents=[common], help="discover the accounts logged in on phones")
    match.add_argument("serials", nargs="+", metavar="SERIAL")
    match.set_defaults(run=_runner(match_accounts))

    events = commands.add_parser("events", parents=[common], help="follow the daemon's events")
    events.add_argument("--kinds", help="comma-separated kinds (task, device, account, ...)")
    events.add_argument("--serial")
    events.add_argument("--after", type=int, help="replay the events after this id first")
    events.set_defaults(run=_runner(follow_events))


def _runner(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            where = endpoint(args.url, args.token, args.config)
        except (ConfigError, OSError) as error:
            print(f"tikmatrixd: {error}", file=sys.stderr)
            return EXIT_USAGE

        async def go() -> int:
            async with Client(where) as api:
                return await command(api, args)

        try:
            return asyncio.run(go())
        except ApiError as error:
            print(f"tikmatrixd: {error}", file=sys.stderr)
            errors = error.data.get("errors", {}) if isinstance(error.data, dict) else {}
            for field, problems in errors.items():  # every field the API refused, not just the first
                print(f"  {field}: {' '.join(problems)}", file=sys.stderr)
            return EXIT_API_ERROR
        except UsageError as error:
            print(f"tikmatrixd: {error}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            return 130

    return run


class UsageError(Exception):
    """The command line cannot be turned into a request."""


def _print(args: argparse.Namespace, data: Any, table: Callable[[Any], None]) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        table(data)


# -- tasks -------------------------------------------------------------------------
def create_body(args: argparse.Namespace) -> dict[str, Any]:
    """The request body: the file's JSON, with the flags given over it."""
    body: dict[str, Any] = {}
    if args.file:
        try:
            body = json.loads(sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read the request from {args.file}: {error}") from None
        if not isinstance(body, dict):
            raise UsageError(f"{args.file}: the request must be a JSON object")
    if args.script:
        body["script_name"] = args.script
    for key in ("serials", "usernames"):
        if getattr(args, key):
            body[key] = getattr(args, key)
    if args.start_time:
        body["start_time"] = args.start_time
    config: dict[str, Any] = {}
    if args.target_users:
        config["target_users"] = args.target_users
    if args.materials:
        config["material_list"] = args.materials
    if args.caption is not None:
        config["captions"] = args.caption
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE")
        try:
            config[key] = json.loads(value)
        except ValueError:
            config[key] = value
    if config or not args.file:
        given = body.setdefault("script_config", {})
        if not isinstance(given, dict):
            raise UsageError("script_config in the file is not an object: the flags cannot add to it")
        given.update(config)
    if "script_name" not in body:
        raise UsageError("which script? give it (task create follow ...) or put script_name in the file")
    return body


async def create_tasks(api: Client, args: argparse.Namespace) -> int:
    body = create_body(args)
    if args.wait:
        async def created() -> list[int]:
            ids: list[int] = (await api.call("POST", "/task", body=body))["task_ids"]
            return ids

        return await _wait(api, args, created)
    data = await api.call("POST", "/task", body=body)
    _print(args, data, lambda d: view.created(d["task_ids"]))
    return 0


async def list_tasks(api: Client, args: argparse.Namespace) -> int:
    status = None if args.status is None else STATUS_CODES[args.status]
    data = await api.call("GET", "/task", params={
        "status": status, "serial": args.serial, "script_name": args.script_name, "source": args.source,
        "username": args.username, "page": args.page, "page_size": args.page_size})
    _print(args, data, view.task_page)
    return 0


async def get_tasks(api: Client, args: argparse.Namespace) -> int:
    tasks = [await api.call("GET", f"/task/{task_id}") for task_id in args.ids]
    _print(args, tasks if len(tasks) > 1 else tasks[0], lambda _: view.tasks_detail(tasks))
    return 0


async def stop_tasks(api: Client, args: argparse.Namespace) -> int:
    tasks = [await api.call("POST", f"/task/{task_id}/stop") for task_id in args.ids]
    _print(args, tasks, view.task_rows)
    return 0


async def retry_tasks(api: Client, args: argparse.Namespace) -> int:
    tasks = [await api.call("POST", f"/task/{task_id}/retry") for task_id in args.ids]
    _print(args, tasks, view.task_rows)
    return 0


async def delete_tasks(api: Client, args: argparse.Namespace) -> int:
    data = await api.call("DELETE", "/task/batch", body={"task_ids": args.ids})
    _print(args, data, view.deleted)
    return 0 if not data["not_found"] else EXIT_API_ERROR


async def retry_all(api: Client, args: argparse.Namespace) -> int:
    data = await api.call("POST", "/task/retry-all")
    _print(args, data, lambda d: view.line(f"{d['retried_count']} task(s) back to pending"))
    return 0


async def stats(api: Client, args: argparse.Namespace) -> int:
    _print(args, await api.call("GET", "/task/stats"), view.stats)
    return 0


async def wait_tasks(api: Client, args: argparse.Namespace) -> int:
    async def named() -> list[int]:
        return list(args.ids)

    return await _wait(api, args, named)


async def _wait(api: Client, args: argparse.Namespace, start: Callable[[], Awaitable[list[int]]]) -> int:
    try:
        async with asyncio.timeout(getattr(args, "timeout", None)):
            final = await ctl_wait.wait(api, start, quiet=args.json)
    except TimeoutError:
        view.line(f"tasks still not ended after {args.timeout:g} s", error=True)
        return EXIT_API_ERROR
    _print(args, final, view.task_rows)
    return 0 if all(task["status_text"] == "completed" for task in final) else EXIT_API_ERROR


# -- devices, accounts, events ---------------------------------------------------------
async def show_devices(api: Client, args: argparse.Namespace) -> int:
    if args.serial:
        _print(args, await api.call("GET", f"/devices/{args.serial}"), view.fields)
    else:
        _print(args, await api.call("GET", "/devices"), view.devices)
    return 0


async def list_accounts(api: Client, args: argparse.Namespace) -> int:
    data = await api.call("GET", "/accounts", params={"platform": args.platform, "device": args.device,
                                                      "tag": args.tag, "page": args.page,
                                                      "page_size": args.page_size})
    _print(args, data, view.accounts)
    return 0


async def get_account(api: Client, args: argparse.Namespace) -> int:
    _print(args, await api.call("GET", f"/accounts/{args.id}"), view.fields)
    return 0


async def add_account(api: Client, args: argparse.Namespace) -> int:
    body = {"username": args.username, "platform": args.platform, "device": args.device, "tags": args.tags}
    data = await api.call("POST", "/accounts", body={k: v for k, v in body.items() if v is not None})
    _print(args, data, view.fields)
    return 0


async def set_account(api: Client, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {k: v for k, v in (("device", args.device), ("status", args.status),
                                               ("tags", args.tags)) if v is not None}
    if args.cap:
        caps = {}
        for item in args.cap:
            script, sep, count = item.partition("=")
            if not sep or not count.isdigit():
                raise UsageError(f"--cap {item!r}: expected SCRIPT=N")
            caps[script] = int(count)
        body["daily_caps"] = caps
    if not body:
        raise UsageError("nothing to change: give --device, --enable/--disable, --tag or --cap")
    _print(args, await api.call("PATCH", f"/accounts/{args.id}", body=body), view.fields)
    return 0


async def delete_account(api: Client, args: argparse.Namespace) -> int:
    data = await api.call("DELETE", f"/accounts/{args.id}")
    _print(args, data, lambda _: view.line(f"account {args.id} deleted"))
    return 0


async def match_accounts(api: Client, args: argparse.Namespace) -> int:
    data = await api.call("POST", "/accounts/match", body={"serials": args.serials})
    _print(args, data, lambda d: view.created(d["task_ids"]))
    return 0


async def follow_events(api: Client, args: argparse.Namespace) -> int:
    async for event in api.events({"kinds": args.kinds, "serial": args.serial, "after": args.after}):
        if args.json:
            print(json.dumps({"id": event.id, "event": event.kind, "data": event.data}, ensure_ascii=False),
                  flush=True)
        else:
            view.event(event)
    return 0
