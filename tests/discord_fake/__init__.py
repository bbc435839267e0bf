"""A loopback fake of Discord (REST v10 + gateway) that an unmodified discord.py bot can use.

Typical use in a pytest-asyncio test::

    fake = await FakeDiscord(heartbeat_interval_ms=1000).start()
    restore = patch_discord_urls(fake.api_base, fake.gateway_url)
    guild = fake.add_guild("News")
    alice = fake.add_member(guild, "alice")
    task = asyncio.create_task(bot.start(fake.token))
    await fake.wait_ready(10, watch=task)
    handle = await fake.slash(guild, None, alice, "ask", {"question": "who?"})
    reply = await handle.wait_response()
    ...
    await bot.close(); await fake.stop(); restore()
"""

from __future__ import annotations

from .gateway import GatewaySession, HeartbeatRecord
from .interactions import InteractionEvent, InteractionHandle
from .models import (
    CommandNotSynced,
    FakeAttachment,
    FakeChannel,
    FakeDiscordError,
    FakeDiscordTimeout,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Intent,
    InvalidInvocation,
    MessageFlag,
    Perm,
    RecordedFile,
    RecordedRequest,
    StoredMessage,
)
from .patching import patch_discord_urls
from .server import FakeDiscord

__all__ = [
    "CommandNotSynced",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordError",
    "FakeDiscordTimeout",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "GatewaySession",
    "HeartbeatRecord",
    "Intent",
    "InteractionEvent",
    "InteractionHandle",
    "InvalidInvocation",
    "MessageFlag",
    "Perm",
    "RecordedFile",
    "RecordedRequest",
    "StoredMessage",
    "patch_discord_urls",
]
