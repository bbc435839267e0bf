"""The loopback Discord world shared by the Discord tests: a fake Discord with two guilds and
the real ArticleBot on a real engine, plus the wire rules every test checks.

The fixtures ``start_world`` and ``world`` (in conftest.py) run one per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discord_fake import FakeDiscord, FakeGuild, FakeUser, Intent, InteractionHandle, Perm

from bot.discord_bot import ArticleBot
from bot.discord_urls import apply_discord_urls
from bot.settings import Settings
from index import Engine, Library

STEP = 60.0  # the longest any single wait may take (the test machine may be busy)


@dataclass
class World:
    """A fake Discord with two guilds and a running bot on a real engine."""

    fake: FakeDiscord
    bot: ArticleBot
    engine: Engine
    settings: Settings
    a: FakeGuild  # "News Desk": mod (Manage Server), alice and carol (members)
    b: FakeGuild  # "Other Server": bob
    mod: FakeUser
    alice: FakeUser
    carol: FakeUser
    bob: FakeUser

    def library(self, guild: FakeGuild) -> Library:
        return self.engine.library(str(guild.id))

    async def seed(self, guild: FakeGuild, text: str, title: str) -> str:
        """Add an article through the facade (setup, not under test); returns its id."""
        result = await asyncio.to_thread(
            self.library(guild).add_text, text, title, None, None, "seed"
        )
        return result.article_id

    async def slash(
        self,
        guild: FakeGuild,
        user: FakeUser,
        name: str,
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> InteractionHandle:
        return await self.fake.slash(guild, None, user, name, options, **kwargs)


def make_settings(home: Path, fake: FakeDiscord, **env: str) -> Settings:
    values = {
        "ARTICLEBOT_HOME": str(home),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "ARTICLEBOT_SEED_SAMPLES": "0",
        "ARTICLEBOT_ASK_COOLDOWN": "0",
        "ARTICLEBOT_ADD_COOLDOWN": "0",
    }
    values.update(env)
    return Settings.load(env=values, dotenv=False)


@contextlib.asynccontextmanager
async def bot_running(
    fake: FakeDiscord, settings: Settings, engine: Engine
) -> AsyncIterator[ArticleBot]:
    """Run ArticleBot against ``fake`` until the block ends; always stops it, bounded."""
    # Discord streams GUILD_CREATEs after READY; the fake sends them at once, so the client
    # need not wait its default 2 s for more.
    bot = ArticleBot(engine, settings, guild_ready_timeout=0.2)
    task = asyncio.create_task(bot.start(settings.discord_token or ""))
    try:
        await fake.wait_ready(STEP, watch=task)
        await asyncio.wait_for(bot.wait_until_ready(), STEP)
        yield bot
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.close(), 10)
        if not task.done():
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 10)
        apply_discord_urls(None, None)


def assert_wire_rules(fake: FakeDiscord) -> None:
    """What must hold for every request the bot ever sends."""
    sends = fake.message_sends()
    for request, payload in sends:
        allowed = payload.get("allowed_mentions")
        assert allowed is not None and allowed.get("parse") == [], (request.summary(), payload)
        assert not allowed.get("replied_user"), request.summary()
    assert not fake.unknown_requests, [r.summary() for r in fake.unknown_requests]
    failed = [
        (r.summary(), r.response)
        for r in fake.requests
        if r.status >= 400 and not r.path.startswith("/attachments/")
    ]
    assert not failed, failed
    for guild in fake.guilds.values():
        for channel in guild.channels:
            for message in fake.bot_messages_in(channel):
                assert message.pinged_user_ids == [], message
                assert not message.payload.get("mention_everyone"), message
    for identify in fake.identifies:
        assert not identify["intents"] & Intent.PRIVILEGED, "no privileged intents"


class _Lines(logging.Handler):
    """Every log line, formatted with its arguments (to look for the token in)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def every_log_line() -> Iterator[_Lines]:
    handler = _Lines()
    loggers = [logging.getLogger(name) for name in ("discord", "bot", "index")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


@contextlib.asynccontextmanager
async def world_running(
    encoder, home: Path, *, heartbeat_ms: int = 1000, **env: str
) -> AsyncIterator[World]:
    fake = await FakeDiscord(
        heartbeat_interval_ms=heartbeat_ms, token="fake-" + secrets.token_hex(16)
    ).start()
    engine = None
    logs = contextlib.ExitStack()
    lines = logs.enter_context(every_log_line())
    try:
        a = fake.add_guild("News Desk")
        b = fake.add_guild("Other Server")
        mod = fake.add_member(a, "mod", Perm.MANAGE_GUILD)
        alice = fake.add_member(a, "alice")
        carol = fake.add_member(a, "carol")
        bob = fake.add_member(b, "bob")
        settings = make_settings(home, fake, **env)
        engine = Engine(settings.engine_config(), encoder=encoder)
        async with bot_running(fake, settings, engine) as bot:
            world = World(fake, bot, engine, settings, a, b, mod, alice, carol, bob)
            yield world
        assert_wire_rules(fake)
        assert lines.lines and not [line for line in lines.lines if fake.token in line]
    finally:
        logs.close()
        await asyncio.wait_for(fake.stop(), 10)
        if engine is not None:
            engine.close()


def button(message, label: str) -> dict[str, Any]:
    for row in message.components:
        for item in row.get("components") or []:
            if item.get("label") == label:
                return item
    raise AssertionError(f"no {label!r} button on {message!r}")
