"""`tikmatrixd import-accounts FILE`: register accounts from a CSV or TOML file.

CSV: a header row with the API's field names (``username`` required;
``platform``, ``device``, ``packagename``, ``email``, ``logined``,
``status``, ``tags``). TOML: ``[[accounts]]`` tables with the same keys.
Each row is validated like ``POST /api/v1/accounts``; one bad row stops the
import before anything is written, with the row named. An account already
registered (same platform and username) is updated; a device serial not yet
seen is declared, as ``[[devices]]`` in the config would.
Works while the daemon runs (SQLite allows a second writer).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from typing import Any

from marshmallow import ValidationError

from tikmatrixd import config as config_module
from tikmatrixd.api.accounts import AccountSchema
from tikmatrixd.config import ConfigError
from tikmatrixd.fields import flatten_errors
from tikmatrixd.store import Store, StoreError

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="accounts.csv or accounts.toml")
    parser.add_argument("--config", help="TOML config file (for the database path)")
    parser.add_argument("--db", help="SQLite file (default: the config's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = config_module.load(args.config, {"store": {"path": args.db}})
        rows = read(args.file)
        accounts = [validate(row, where) for where, row in rows]
        count = asyncio.run(_import(config.store.path, accounts))
    except (ConfigError, StoreError, BadImport, OSError) as error:
        print(f"tikmatrixd: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"imported {count} account(s)")
    return 0


class BadImport(Exception):
    """A row of the file is not a valid account; the message names it."""


def read(path: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, raw row) pairs; where names the row for error messages."""
    if path.endswith(".toml"):
        data = config_module.read_toml(path, "accounts file")
        tables = data.get("accounts", [])
        if not isinstance(tables, list) or set(data) - {"accounts"}:
            raise BadImport(f"{path}: expected only [[accounts]] tables")
        return [(f"{path} [[accounts]] #{i + 1}", dict(t)) for i, t in enumerate(tables)]
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [(f"{path} line {reader.line_num}", {k: v for k, v in row.items() if v not in ("", None)})
                for row in reader]


def validate(row: dict[str, Any], where: str) -> dict[str, Any]:
    for key in ("logined", "status"):  # CSV gives text; the API schema wants integers
        if isinstance(row.get(key), str) and row[key].strip().isdigit():
            row[key] = int(row[key])
    try:
        loaded: dict[str, Any] = AccountSchema().load(row)
        return loaded
    except ValidationError as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in flatten_errors(error.messages).items())
        raise BadImport(f"{where}: {problems}") from None


async def _import(path: str, accounts: list[dict[str, Any]]) -> int:
    store = await Store.open(path)
    try:
        return await store.accounts.upsert_many(accounts, time.time())
    finally:
        await store.close()
