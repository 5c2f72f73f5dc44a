"""The scripts the API runs: their config schemas and fan-out, by name."""

from __future__ import annotations

from tikmatrixd.scripts.base import Script
from tikmatrixd.scripts.follow import FOLLOW, UNFOLLOW
from tikmatrixd.scripts.post import POST

SCRIPTS: dict[str, Script] = {script.name: script for script in (POST, FOLLOW, UNFOLLOW)}
