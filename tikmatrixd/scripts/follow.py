"""follow / unfollow: config schema, fan-out (one task per target user), and the run on a phone."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate

from tikmatrixd import constants
from tikmatrixd.core import names
from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.fields import Username
from tikmatrixd.scripts import app
from tikmatrixd.scripts.base import Config, RunContext, Script, ScriptContext


class FollowConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    target_users = fields.List(
        Username(), validate=validate.Length(min=1, max=constants.MAX_TARGET_USERS)
    )
    target_user = fields.String()
    access_method = fields.String(load_default="direct", validate=validate.OneOf(["direct", "search"]))

    @pre_load
    def accept_target_username(self, data: Any, **kwargs: Any) -> Any:
        # TikMatrix's own published examples send `target_username`.
        if isinstance(data, dict) and "target_username" in data:
            data = dict(data)
            alias = data.pop("target_username")
            data.setdefault("target_user", alias)
        return data

    @post_load
    def resolve_targets(self, data: dict[str, Any], **kwargs: Any) -> Config:
        users = data.get("target_users")
        if users is None:
            users = self._split_target_user(data.get("target_user", ""))
        if not users:
            raise ValidationError("at least one target user is required", "target_user")
        return {"target_users": list(dict.fromkeys(users)), "access_method": data["access_method"]}

    @staticmethod
    def _split_target_user(text: str) -> list[str]:
        parts = names.split_list(text)
        if len(parts) > constants.MAX_TARGET_USERS:
            raise ValidationError(f"at most {constants.MAX_TARGET_USERS} names", "target_user")
        users, bad = [], []
        for part in parts:
            try:
                users.append(names.normalize(part))
            except ValueError as error:
                bad.append(str(error))
        if bad:
            raise ValidationError(bad, "target_user")
        return users


def _schema(context: ScriptContext) -> Schema:
    return FollowConfigSchema()


def expand(config: Config, targets: Sequence[Any], rng: random.Random) -> list[tuple[Any, Config]]:
    return [
        (target, {"target_user": names.display(user), "access_method": config["access_method"]})
        for target in targets
        for user in config["target_users"]
    ]


def _per_target(config: Config) -> int:
    return len(config["target_users"])


class FollowRunner:
    """Open the profile, check the state on screen, change it if needed, check again.

    Idempotent: a follow of someone already followed succeeds without a tap
    (``outcome: already_following``), so an automatic retry is always safe.
    """

    idempotent = True

    def __init__(self, follow: bool) -> None:
        self.follow = follow

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        user = names.normalize(ctx.task.script_config["target_user"])
        if ctx.task.username:
            await app.use_account(ctx, ctx.task.username)
        if ctx.task.script_config.get("access_method") == "search":
            await app.search_and_open(ctx, user)
        else:
            await app.open_profile(ctx, user)
        follow_button, following_button = ctx.pack["profile.follow_button"], ctx.pack["profile.following_button"]
        shown, button = await ctx.ui.wait_for(following_button, follow_button)
        if await ctx.ui.find(ctx.pack["profile.username"].fill(user=user)) is None:
            raise ScriptFailure(ErrorReason.PROFILE_NOT_FOUND, f"the profile shown is not @{user}", acted=False)
        following = shown is following_button
        result: dict[str, Any] = {"target_user": names.display(user), "following": self.follow}
        if following == self.follow:
            return {**result, "outcome": "already_following" if following else "already_not_following"}
        await ctx.ui.tap(button)
        if not self.follow and ctx.platform == "instagram":
            await ctx.ui.tap_on(ctx.pack["unfollow_sheet.unfollow"])
        await ctx.ui.wait_for(following_button if self.follow else follow_button)
        return {**result, "outcome": "followed" if self.follow else "unfollowed"}

    async def cleanup(self, ctx: RunContext) -> None:
        await app.close_app(ctx)


FOLLOW = Script(name="follow", schema=_schema, expand=expand, per_target=_per_target, runner=FollowRunner(True))
UNFOLLOW = Script(name="unfollow", schema=_schema, expand=expand, per_target=_per_target,
                  runner=FollowRunner(False))
