"""follow / unfollow: config schema and fan-out (one task per target user)."""

from __future__ import annotations

import random
from typing import Any, Sequence

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate

from tikmatrixd import constants
from tikmatrixd.core import names
from tikmatrixd.fields import Username
from tikmatrixd.scripts.base import Config, Script, ScriptContext


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


FOLLOW = Script(name="follow", schema=_schema, expand=expand, per_target=_per_target)
UNFOLLOW = Script(name="unfollow", schema=_schema, expand=expand, per_target=_per_target)
