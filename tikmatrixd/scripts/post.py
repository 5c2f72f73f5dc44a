"""post: config schema and fan-out (materials dealt round-robin over tasks); the run is in publish.py."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Sequence
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from tikmatrixd import constants
from tikmatrixd.core import spintax
from tikmatrixd.fields import StrictInt
from tikmatrixd.scripts.base import Config, Script, ScriptContext
from tikmatrixd.scripts.publish import PostRunner

ADD_SOUND_VALUES = ("-1", "0", "1", "custom")


class AddSound(fields.Field[str]):
    """"-1" | "0" | "1" | "custom"; the ints -1, 0, 1 are accepted too."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if type(value) is int and value in (-1, 0, 1):
            return str(value)
        if isinstance(value, str) and value in ADD_SOUND_VALUES:
            return value
        raise ValidationError(f"must be one of {', '.join(ADD_SOUND_VALUES)}")


def _volume() -> fields.Integer:
    return StrictInt(load_default=50, validate=validate.Range(0, 100))


class PostConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    content_type = StrictInt(load_default=0, validate=validate.OneOf([0, 1]))
    image_count = StrictInt(load_default=1, validate=validate.Range(1, constants.MAX_IMAGES))
    captions = fields.String(load_default="", validate=validate.Length(max=constants.MAX_CAPTION_CHARS))
    post_way = fields.String(load_default="share", validate=validate.OneOf(["share", "addButton", "useSound"]))
    material_list = fields.List(
        fields.String(validate=validate.Length(min=1)),
        validate=validate.Length(min=1, max=constants.MAX_MATERIALS),
    )
    material_source = fields.String(
        load_default="materialLibrary", validate=validate.OneOf(["materialLibrary", "localFolder"])
    )
    material_path = fields.String()
    materials_tags = fields.String(load_default="")
    upload_wait_time = StrictInt(load_default=30, validate=validate.Range(0, 3600))
    sound_wait_time = StrictInt(load_default=10, validate=validate.Range(0, 600))
    add_sound = AddSound(load_default="-1")
    sound_name = fields.String()
    custom_sound_keyword = fields.String()
    origin_sound_volume = _volume()
    add_sound_volume = _volume()
    add_product_link = StrictInt(load_default=0, validate=validate.OneOf([0, 1]))
    placement = fields.String(load_default="reel", validate=validate.OneOf(["reel", "story"]))

    def __init__(self, context: ScriptContext) -> None:
        super().__init__()
        self.script_context = context

    @validates_schema
    def check_dependent_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("post_way") == "useSound" and not data.get("sound_name"):
            errors["sound_name"] = ["required when post_way is useSound"]
        if data.get("add_sound") == "custom" and not data.get("custom_sound_keyword"):
            errors["custom_sound_keyword"] = ["required when add_sound is custom"]
        if "material_list" not in data and data.get("material_source") == "localFolder":
            if not data.get("material_path"):
                errors["material_path"] = ["required when material_source is localFolder"]
        errors.update(self._check_paths(data))
        if errors:
            raise ValidationError(errors)

    def _check_paths(self, data: dict[str, Any]) -> dict[str, list[str]]:
        """Every path must exist and really lie inside a media root."""
        errors: dict[str, list[str]] = {}
        for index, path in enumerate(data.get("material_list") or ()):
            problem = self._path_problem(path, want_dir=False)
            if problem:
                errors[f"material_list.{index}"] = [problem]
        if "material_list" not in data and data.get("material_path"):
            problem = self._path_problem(data["material_path"], want_dir=True)
            if problem:
                errors["material_path"] = [problem]
        return errors

    def _path_problem(self, path: str, want_dir: bool) -> str | None:
        real = os.path.realpath(path)
        exists = os.path.isdir(real) if want_dir else os.path.isfile(real)
        if not exists:
            return f"{path!r} does not exist" + (" or is not a folder" if want_dir else " or is not a file")
        for root in self.script_context.media_roots:
            if os.path.commonpath([real, root]) == root:
                return None
        return f"{path!r} is outside the configured media roots"

    @post_load
    def normalise(self, data: dict[str, Any], **kwargs: Any) -> Config:
        if "material_list" in data:
            # An explicit list overrides source and path (SPEC).
            data.pop("material_source", None)
            data.pop("material_path", None)
            data.pop("materials_tags", None)
        return data


def _schema(context: ScriptContext) -> Schema:
    return PostConfigSchema(context)


def expand(config: Config, targets: Sequence[Any], rng: random.Random) -> list[tuple[Any, Config]]:
    per_task = 1 if config["content_type"] == 0 else config["image_count"]
    materials = itertools.cycle(config["material_list"]) if "material_list" in config else None
    tasks = []
    for target in targets:
        task_config = dict(config, captions=spintax.resolve(config["captions"], rng))
        if materials is not None:
            task_config["material_list"] = list(itertools.islice(materials, per_task))
        tasks.append((target, task_config))
    return tasks


POST = Script(name="post", schema=_schema, expand=expand, runner=PostRunner())
