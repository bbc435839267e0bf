"""Plain data objects of the fake Discord: users, guilds, messages and the wire log.

They are deliberately independent of discord.py so the same fake can serve a bot that runs in
another process; each object knows how to render itself as the JSON payload Discord would send.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000


class Perm:
    """Permission bits (https://discord.com/developers/docs/topics/permissions), for tests."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1

    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | SEND_MESSAGES_IN_THREADS
    )
    BOT_DEFAULT = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_EXTERNAL_EMOJIS
        | SEND_MESSAGES_IN_THREADS
    )


class Intent:
    """Gateway intent bits the fake cares about."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class MessageFlag:
    """Message flag bits used by interaction responses."""

    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


class FakeDiscordError(Exception):
    """Base class for misuse of the fake from a test (not an error the bot sees)."""


class FakeDiscordTimeout(FakeDiscordError, AssertionError):
    """A wait on the fake timed out; an AssertionError so pytest shows it as a test failure."""


class CommandNotSynced(FakeDiscordError, LookupError):
    """The test invoked an application command the bot never registered with the fake."""


class InvalidInvocation(FakeDiscordError, ValueError):
    """The test built an invocation the real Discord client would refuse to send."""


class _SnowflakeGen:
    """Makes unique, time-ordered snowflakes the way Discord does (ms since 2015 << 22)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
            self._last = max(now, self._last + 1)
            return self._last


snowflake = _SnowflakeGen()
_discriminators = itertools.count(1)


def iso_now() -> str:
    """Discord's ISO-8601 timestamp for 'now'."""
    return dt.datetime.now(dt.UTC).isoformat()


def effective_permissions(base: int) -> int:
    """Administrator implies every permission, as Discord computes it."""
    return Perm.ALL if base & Perm.ADMINISTRATOR else base


@dataclass
class FakeUser:
    """A Discord user (the bot itself, a guild owner or a test member)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            payload["bot"] = True
        return payload


@dataclass
class FakeRole:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload


@dataclass
class FakeChannel:
    """A guild text channel."""

    id: int
    guild_id: int
    name: str
    position: int = 0
    type: int = 0

    def to_payload(self, *, permissions: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass
class FakeMember:
    """A user's membership of one guild."""

    user: FakeUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)
    nick: str | None = None

    def to_payload(
        self, *, with_user: bool = True, permissions: int | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "avatar_decoration_data": None,
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass
class FakeGuild:
    """A guild with its channels, roles and members, as the fake will announce it."""

    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    roles: dict[int, FakeRole] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso_now)

    @property
    def channel(self) -> FakeChannel:
        """The first text channel (every guild made by the fake has one: #general)."""
        return self.channels[0]

    @property
    def channel_id(self) -> int:
        return self.channels[0].id

    def get_channel(self, channel_id: int) -> FakeChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions of a member: @everyone plus their roles (no overwrites)."""
        base = self.roles[self.id].permissions
        member = self.members.get(user_id)
        if member is not None:
            for role_id in member.role_ids:
                role = self.roles.get(role_id)
                if role is not None:
                    base |= role.permissions
        if user_id == self.owner_id:
            base |= Perm.ADMINISTRATOR
        return effective_permissions(base)

    def to_create_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload (a full guild with channels, roles and members)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "incidents_data": None,
            "nsfw": False,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "joined_at": self.joined_at,
            "member_count": len(self.members),
            "roles": [r.to_payload() for r in self.roles.values()],
            "channels": [c.to_payload() for c in self.channels],
            "members": [m.to_payload() for m in self.members.values()],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class FakeAttachment:
    """Bytes the fake serves over HTTP, as an uploaded file or an attachment option."""

    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    description: str | None = None

    def to_payload(self, *, ephemeral: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "flags": 0,
        }
        if self.content_type:
            payload["content_type"] = self.content_type
        if self.description:
            payload["description"] = self.description
        if ephemeral:
            payload["ephemeral"] = True
        return payload


@dataclass
class RecordedFile:
    """One file part of a multipart/form-data request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the fake received, and what it answered (the wire log)."""

    seq: int
    time: float
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    headers: dict[str, str]
    route: str | None = None
    status: int = 0
    response: Any = None

    @property
    def known(self) -> bool:
        return self.route is not None

    @property
    def message_payload(self) -> dict[str, Any] | None:
        """The message-shaped body this request sent, if it sends or edits a message.

        That is the body itself for channel messages and webhooks, and `data` of an interaction
        callback of type 4 (message) or 7 (update); None for everything else.
        """
        if self.route is None or not isinstance(self.json, dict):
            return None
        if self.route.startswith("POST /interactions/"):
            if self.json.get("type") in (4, 7) and isinstance(self.json.get("data"), dict):
                return self.json["data"]
            return None
        if self.method in ("POST", "PATCH") and (
            self.route.endswith("/messages")
            or "/messages/{message_id}" in self.route
            or self.route == "POST /webhooks/{application_id}/{token}"
        ):
            return self.json
        return None

    def summary(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass
class StoredMessage:
    """A message as the fake holds it: the current payload plus every earlier version."""

    payload: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)
    guild_id: int | None = None
    interaction_id: int | None = None
    deleted: bool = False
    pinged_user_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.versions:
            self.versions.append(copy.deepcopy(self.payload))

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.payload["author"]["id"])

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.payload.get("components") or []

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return self.payload.get("attachments") or []

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred 'Bot is thinking...' placeholder."""
        return bool(self.flags & MessageFlag.LOADING)

    @property
    def message_reference(self) -> dict[str, Any] | None:
        return self.payload.get("message_reference")

    @property
    def edited(self) -> bool:
        return self.payload.get("edited_timestamp") is not None

    def text(self) -> str:
        """Content plus every visible embed text, joined, for simple substring assertions."""
        parts = [self.content]
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for fld in embed.get("fields") or []:
                parts.append(f"{fld.get('name', '')}: {fld.get('value', '')}")
            for key in ("author", "footer"):
                sub = embed.get(key) or {}
                if sub.get("name") or sub.get("text"):
                    parts.append(str(sub.get("name") or sub.get("text")))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message, depth-first."""
        found: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if item.get("custom_id"):
                    found.append(item["custom_id"])
                walk(item.get("components") or [])
                if isinstance(item.get("accessory"), dict):
                    walk([item["accessory"]])
                if isinstance(item.get("component"), dict):
                    walk([item["component"]])

        walk(self.components)
        return found

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component payload with this custom_id, or None."""

        def walk(items: list[dict[str, Any]]) -> dict[str, Any] | None:
            for item in items:
                if item.get("custom_id") == custom_id:
                    return item
                nested = list(item.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(item.get(key), dict):
                        nested.append(item[key])
                hit = walk(nested)
                if hit is not None:
                    return hit
            return None

        return walk(self.components)

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.payload)

    def __repr__(self) -> str:
        text = self.text().replace("\n", " | ")
        if len(text) > 80:
            text = text[:77] + "..."
        edits = len(self.versions) - 1
        return f"<StoredMessage id={self.id} flags={self.flags} edits={edits} {text!r}>"


@dataclass
class TranscriptEntry:
    """One line of the human-readable transcript."""

    time: float
    direction: str
    summary: str
    body: Any = None
