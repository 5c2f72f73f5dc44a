"""The scripts the API runs (their config schemas, fan-out and runners), by name; and the built-in ones."""

from __future__ import annotations

from tikmatrixd.scripts.base import Script
from tikmatrixd.scripts.follow import FOLLOW, UNFOLLOW
from tikmatrixd.scripts.match_accounts import MATCH_ACCOUNTS
from tikmatrixd.scripts.post import POST

SCRIPTS: dict[str, Script] = {script.name: script for script in (POST, FOLLOW, UNFOLLOW)}
# Run by the daemon for its own endpoints, never accepted as a client's script_name.
BUILTIN: dict[str, Script] = {MATCH_ACCOUNTS.name: MATCH_ACCOUNTS}
