"""Permission checks and per-user cooldowns shared by the cogs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from .discord_errors import NEEDS_MANAGE_GUILD, SERVERS_ONLY, NotAllowed, SlowDown

log = logging.getLogger(__name__)

T = TypeVar("T")


class Cooldown:
    """At most one use per ``seconds`` per key (a user id); ``seconds <= 0`` turns it off.

    Args:
        seconds: the cooldown length.
        clock: a monotonic clock, for tests.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, key: int) -> float:
        """Record a use by ``key`` and return 0, or return the seconds left without recording."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[key] = now
        if len(self._last) > 10_000:  # forget users whose cooldown is over
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}
        return 0.0

    def check(self, key: int) -> None:
        """Record a use by ``key``, or raise :class:`SlowDown` when it comes too soon."""
        wait = self.retry_after(key)
        if wait > 0:
            raise SlowDown(wait)


def guild_id_of(interaction: discord.Interaction) -> int:
    """The id of the guild the interaction came from; refuses DMs."""
    if interaction.guild_id is None:
        raise NotAllowed(SERVERS_ONLY)
    return interaction.guild_id


def can_manage_guild(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


def require_manage_guild(interaction: discord.Interaction) -> None:
    """The runtime half of the Manage Server check (``default_permissions`` is only a hint)."""
    guild_id_of(interaction)
    if not can_manage_guild(interaction):
        raise NotAllowed(NEEDS_MANAGE_GUILD)


def moderators_only() -> Callable[[T], T]:
    """Hide a command from members without Manage Server, and check it when it is used."""

    def decorator(func: T) -> T:
        def predicate(interaction: discord.Interaction) -> bool:
            require_manage_guild(interaction)
            return True

        func = app_commands.check(predicate)(func)
        func = app_commands.guild_only()(func)
        return app_commands.default_permissions(manage_guild=True)(func)

    return decorator
