"""match_accounts: read which accounts are logged in on a phone's app (built in, not a client script).

Opens the app on its own profile, reads the active account, opens the
account switcher and reads every account listed there. The result's
``discovered`` entry is what the runtime records in the accounts registry.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from marshmallow import Schema

from tikmatrixd.core import names
from tikmatrixd.core.status import ScriptFailure
from tikmatrixd.scripts import app
from tikmatrixd.scripts.base import Config, RunContext, Script


class MatchAccountsRunner:
    idempotent = True

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await app.start_app(ctx)
        current, handle = await app.active_account(ctx)
        await ctx.ui.tap(handle)  # the account switcher
        try:
            await ctx.ui.wait_for(ctx.pack["switcher.any_row"])
            rows = ctx.pack["switcher.any_row"].find_all(await ctx.ui.nodes())
            listed = [names.normalize(row.content_desc) for row in rows]
        except ScriptFailure:  # an app with one account may show no switcher
            listed = []
        accounts = list(dict.fromkeys([current, *listed]))
        return {"discovered": {"platform": ctx.platform, "package": ctx.package, "accounts": accounts,
                               "current": current},
                "accounts": [names.display(a) for a in accounts], "current": names.display(current)}

    async def cleanup(self, ctx: RunContext) -> None:
        await app.close_app(ctx)


def expand(config: Config, targets: Sequence[Any], rng: random.Random) -> list[tuple[Any, Config]]:
    return [(target, {"platform": platform}) for target in targets for platform in config["platforms"]]


MATCH_ACCOUNTS = Script(
    name="match_accounts", schema=lambda context: Schema(), expand=expand,
    per_target=lambda config: len(config["platforms"]), runner=MatchAccountsRunner())
