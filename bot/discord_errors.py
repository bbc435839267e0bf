"""The bot's one error path: known user errors become short private replies, the rest is logged.

:class:`ArticleTree` is passed to the bot as ``tree_cls``; views and the mention handler route
their errors through :func:`report_error` / :func:`user_message` too, so every failure is
handled the same way.
"""

from __future__ import annotations

import contextlib
import logging
import math

import discord
from discord import app_commands

from index.errors import ArticleBotError

log = logging.getLogger(__name__)

GENERIC = "Something went wrong; the error was logged."
NEEDS_MANAGE_GUILD = "You need the Manage Server permission to do that."
SERVERS_ONLY = "I answer questions about a server's articles: use me in a server channel."


class NotAllowed(ArticleBotError, app_commands.CheckFailure):
    """The user may not do this here (permissions, DMs); usable as a command check failure."""


class SlowDown(ArticleBotError, app_commands.CheckFailure):
    """The user hit a cooldown."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"Slow down: try again in {max(1, math.ceil(retry_after))} s.")


def unwrap(error: BaseException) -> BaseException:
    """The exception a command raised, without discord.py's wrapper around it."""
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    if isinstance(error, app_commands.TransformerError) and error.__cause__ is not None:
        return error.__cause__
    return error


def user_message(error: BaseException) -> str | None:
    """The message to show for an expected error, or ``None`` for a bug (log it)."""
    error = unwrap(error)
    if isinstance(error, ArticleBotError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return SERVERS_ONLY
    if isinstance(error, app_commands.MissingPermissions):
        return (
            NEEDS_MANAGE_GUILD
            if "manage_guild" in error.missing_permissions
            else ("You don't have the permissions that command needs.")
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return str(SlowDown(error.retry_after))
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "That command is out of date; try again in a minute."
    return None


def _describe(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else "component"
    return (
        f"/{command} by user {interaction.user.id} in guild {interaction.guild_id} "
        f"channel {interaction.channel_id}"
    )


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user privately what went wrong; log unexpected errors with their traceback."""
    message = user_message(error)
    if message is None:
        original = unwrap(error)
        log.error(
            "unexpected error in %s",
            _describe(interaction),
            exc_info=(type(original), original, original.__traceback__),
        )
        message = GENERIC
    else:
        log.info("refused %s: %s", _describe(interaction), message)
    none = discord.AllowedMentions.none()
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=none)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            # The first follow-up after a public "thinking…" would edit it in place and be seen by
            # everyone: drop the placeholder so the follow-up below is private.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException as err:  # the interaction expired or the channel is gone
        log.warning("could not report an error to user %s: %s", interaction.user.id, err)


class ArticleTree(app_commands.CommandTree):
    """Command tree whose ``on_error`` is the single error path of every slash command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
