"""Marshmallow fields and helpers shared by the API and script schemas.

JSON clients must not have `"1"` taken for `true` or `true` for `1`: these
fields accept exactly the JSON type the contract names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate

from tikmatrixd.core import names


class StrictBool(fields.Boolean):
    default_error_messages = {"invalid": "Not a valid boolean."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


def StrictInt(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class Username(fields.String):
    """A TikTok/Instagram name, normalised to its canonical form (no `@`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return names.normalize(text)
        except ValueError as error:
            raise ValidationError(str(error)) from None


#: An Android application id: dot-separated ASCII identifiers (what `pm` and `am` accept).
PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")
#: A serial as adb lists it: printable ASCII, no space (USB serials, host:port, emulator-5554).
SERIAL = re.compile(r"[!-~]{1,128}")


def FullMatch(pattern: re.Pattern[str], error: str) -> validate.Validator:
    """The whole value matches (marshmallow's Regexp only anchors the start)."""

    def check(value: str) -> None:
        if not pattern.fullmatch(value):
            raise ValidationError(error)

    return check  # type: ignore[return-value]


def PackageName(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(max=255), FullMatch(
        PACKAGE_NAME, "not an Android package name (e.g. com.zhiliaoapp.musically)")], **kwargs)


def Serial(**kwargs: Any) -> fields.String:
    return fields.String(validate=FullMatch(SERIAL, "not a device serial (printable ASCII, no spaces, "
                                                    "at most 128)"), **kwargs)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict → {"script_config.captions": [...]}."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "body"
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    return {prefix or "body": [str(messages)]}
