"""Discord's documented limits, checked the way the real API checks them.

A fake that accepts anything lets rendering bugs through to production; these checks make the
fake answer 400 exactly where Discord would, so a test over the fake fails first.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
AUTOCOMPLETE_CHOICES_MAX = 25
COMMANDS_MAX = 100
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


class ApiError(Exception):
    """An error response the fake sends back, shaped like Discord's JSON error body."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def _err(errors: dict[str, Any], path: str, code: str, message: str) -> None:
    errors[path] = {"_errors": [{"code": code, "message": message}]}


def _too_long(errors: dict[str, Any], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        _err(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def embed_length(embed: dict[str, Any]) -> int:
    """Characters that count toward the 6000 limit (title, description, fields, footer, author)."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _check_embeds(errors: dict[str, Any], embeds: Any) -> None:
    if not isinstance(embeds, list):
        _err(errors, "embeds", "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > EMBEDS_MAX:
        _err(errors, "embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        _too_long(errors, f"{p}.title", embed.get("title"), EMBED_TITLE_MAX)
        _too_long(errors, f"{p}.description", embed.get("description"), EMBED_DESCRIPTION_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            _err(errors, f"{p}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            name, value = fld.get("name"), fld.get("value")
            if not name:
                _err(errors, f"{p}.fields.{j}.name", "BASE_TYPE_REQUIRED", "This field is required")
            if not value:
                _err(
                    errors, f"{p}.fields.{j}.value", "BASE_TYPE_REQUIRED", "This field is required"
                )
            _too_long(errors, f"{p}.fields.{j}.name", name, EMBED_FIELD_NAME_MAX)
            _too_long(errors, f"{p}.fields.{j}.value", value, EMBED_FIELD_VALUE_MAX)
        _too_long(
            errors, f"{p}.footer.text", (embed.get("footer") or {}).get("text"), EMBED_FOOTER_MAX
        )
        _too_long(
            errors, f"{p}.author.name", (embed.get("author") or {}).get("name"), EMBED_AUTHOR_MAX
        )
        total += embed_length(embed)
    if total > EMBED_TOTAL_MAX:
        _err(errors, "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_components(errors: dict[str, Any], components: Any, *, v2: bool) -> None:
    if not isinstance(components, list):
        _err(errors, "components", "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if not v2 and len(components) > ACTION_ROWS_MAX:
        _err(errors, "components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()

    def walk(items: list[dict[str, Any]], path: str) -> None:
        for i, item in enumerate(items):
            p = f"{path}.{i}"
            ctype = item.get("type")
            if ctype == 1:
                children = item.get("components") or []
                buttons = [c for c in children if c.get("type") == 2]
                if len(buttons) > ROW_BUTTONS_MAX:
                    _err(errors, f"{p}.components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer.")
                if len(buttons) != len(children) and len(children) > 1:
                    _err(
                        errors,
                        f"{p}.components",
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "A select menu must be alone in its action row.",
                    )
            if ctype == 2:
                _too_long(errors, f"{p}.label", item.get("label"), BUTTON_LABEL_MAX)
                if item.get("style") == 5:
                    if not item.get("url"):
                        _err(errors, f"{p}.url", "BASE_TYPE_REQUIRED", "Link buttons need a url")
                elif item.get("style") != 6 and not item.get("custom_id"):
                    _err(errors, f"{p}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
            cid = item.get("custom_id")
            if cid is not None:
                _too_long(errors, f"{p}.custom_id", cid, CUSTOM_ID_MAX)
                if cid in seen:
                    _err(
                        errors,
                        f"{p}.custom_id",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(cid)
            nested = list(item.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(item.get(key), dict):
                    nested.append(item[key])
            walk(nested, f"{p}.components")

    walk(components, "components")


def check_message(body: dict[str, Any], *, n_files: int, is_edit: bool) -> None:
    """Raise ApiError if Discord would refuse this message body.

    Args:
        body: The JSON message body (content, embeds, components, ...).
        n_files: How many files came with it in the multipart body.
        is_edit: Edits may leave fields out; creates must not be empty.
    """
    errors: dict[str, Any] = {}
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        _err(errors, "content", "BASE_TYPE_STRING", "Must be a string.")
    _too_long(errors, "content", content, CONTENT_MAX)
    if body.get("embeds") is not None:
        _check_embeds(errors, body["embeds"])
    v2 = bool(int(body.get("flags") or 0) & (1 << 15))
    if body.get("components") is not None:
        _check_components(errors, body["components"], v2=v2)
    if errors:
        raise ApiError(400, 50035, "Invalid Form Body", errors)
    if not is_edit and not (
        content
        or body.get("embeds")
        or n_files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise ApiError(400, 50006, "Cannot send an empty message")


def _check_option_list(errors: dict[str, Any], options: list[dict[str, Any]], path: str) -> None:
    if len(options) > 25:
        _err(errors, path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = opt.get("name", "")
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            _err(errors, f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
        if name in names:
            _err(
                errors,
                f"{p}.name",
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(name)
        desc = opt.get("description", "")
        if not 1 <= len(desc) <= 100:
            _err(
                errors,
                f"{p}.description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if opt.get("type") in (1, 2):
            _check_option_list(errors, opt.get("options") or [], f"{p}.options")
            continue
        if opt.get("required"):
            if seen_optional:
                _err(
                    errors,
                    f"{p}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            _err(errors, f"{p}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and opt.get("autocomplete"):
            _err(
                errors,
                f"{p}.autocomplete",
                "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                "Autocomplete cannot be set with choices",
            )


def check_commands(commands: Any) -> None:
    """Raise ApiError if Discord would refuse this application command list (bulk overwrite)."""
    if not isinstance(commands, list):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]},
        )
    errors: dict[str, Any] = {}
    if len(commands) > COMMANDS_MAX:
        _err(errors, "_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    names: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        check_command(cmd, errors=errors, path=str(i))
        key = (int(cmd.get("type", 1)), cmd.get("name", ""))
        if key in names:
            _err(
                errors,
                f"{i}.name",
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[1]}",
            )
        names.add(key)
    if errors:
        raise ApiError(400, 50035, "Invalid Form Body", errors)


def check_command(
    cmd: dict[str, Any], *, errors: dict[str, Any] | None = None, path: str = ""
) -> None:
    """Check one command; raise ApiError unless errors is given (then collect into it)."""
    own = errors if errors is not None else {}
    prefix = f"{path}." if path else ""
    name = cmd.get("name", "")
    ctype = int(cmd.get("type", 1))
    if ctype == 1:
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            _err(own, f"{prefix}name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
        desc = cmd.get("description", "")
        if not 1 <= len(desc) <= 100:
            _err(
                own,
                f"{prefix}description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        _check_option_list(own, cmd.get("options") or [], f"{prefix}options")
    elif not 1 <= len(name) <= 32:
        _err(own, f"{prefix}name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    if errors is None and own:
        raise ApiError(400, 50035, "Invalid Form Body", own)
