"""The Discord bot: an auto-sharded ``commands.Bot`` with the engine and settings passed in."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import discord
from discord.ext import commands

from index import Engine, Library

from .cogs import EXTENSIONS
from .discord_errors import ArticleTree
from .discord_urls import apply_discord_urls, pin_gateway
from .settings import Settings

log = logging.getLogger(__name__)

COMMANDS_HASH_FILE = "discord-commands.sha256"


def bot_intents() -> discord.Intents:
    """The default intents, without the privileged message-content intent: slash commands and
    messages that mention the bot (which carry their content anyway) are all the bot needs."""
    intents = discord.Intents.default()
    intents.message_content = False
    intents.members = False
    intents.presences = False
    return intents


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ArticleBot(commands.AutoShardedBot):
    """ArticleBot on Discord.

    Args:
        engine: the engine, built once at start-up; each guild's library is
            ``engine.library(str(guild_id))``.
        settings: the loaded settings (cooldowns, limits, dev guild, data home).
        **options: passed to :class:`discord.ext.commands.AutoShardedBot`.
    """

    def __init__(self, engine: Engine, settings: Settings, **options) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ArticleTree,
            help_command=None,
            **options,
        )
        self.engine = engine
        self.settings = settings
        if settings.discord_gateway_url:
            pin_gateway(self.http, settings.discord_gateway_url)

    async def login(self, token: str) -> None:
        # Before the first request: DISCORD_API_BASE / DISCORD_GATEWAY_URL, or Discord's own.
        apply_discord_urls(self.settings.discord_api_base, self.settings.discord_gateway_url)
        await super().login(token)

    def library_for(self, guild_id: int) -> Library:
        """The library of one guild (created empty on first use)."""
        return self.engine.library(str(guild_id))

    async def setup_hook(self) -> None:
        # Load the model before connecting to the gateway, off the event loop.
        await asyncio.to_thread(self.engine.encoder.warm_up)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are answered by the ``ask`` cog's listener."""

    async def on_ready(self) -> None:  # may fire many times: no API calls here
        log.info(
            "connected as %s (%s) to %d guild(s) over %d shard(s)",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            self.shard_count or 1,
        )

    # -- command sync --------------------------------------------------------------------------

    def commands_signature(self) -> str:
        """A hash of the slash commands as Discord would store them, and of the application."""
        payload = sorted(
            (cmd.to_dict(self.tree) for cmd in self.tree.get_commands()),
            key=lambda cmd: cmd["name"],
        )
        text = json.dumps(
            {"application": self.application_id, "commands": payload}, sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(self) -> None:
        """Sync to the dev guild when one is set; else globally, only when the commands changed."""
        dev_guild = self.settings.discord_dev_guild
        if dev_guild:
            guild = discord.Object(id=dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), dev_guild)
            return
        stamp = Path(self.settings.home) / COMMANDS_HASH_FILE
        signature = self.commands_signature()
        try:
            previous = stamp.read_text(encoding="utf-8").strip()
        except OSError:
            previous = None
        if previous == signature:
            log.info("slash commands unchanged since the last sync; not syncing")
            return
        synced = await self.tree.sync()
        _write_atomic(stamp, signature + "\n")
        log.info("synced %d commands globally", len(synced))
