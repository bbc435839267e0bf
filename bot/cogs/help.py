"""``/help``: what the bot does and how to use it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from .. import discord_render as render

if TYPE_CHECKING:
    from ..discord_bot import ArticleBot

log = logging.getLogger(__name__)


class Help(commands.Cog):
    """Explains the commands."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to ask me questions and manage this server's articles."""
        await interaction.response.send_message(
            embed=render.help_embed(),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Help(bot))
