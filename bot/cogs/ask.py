"""Questions: ``/ask`` and mentioning the bot in a server channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from index import Answer, ArticleBotError, Library
from index.dates import window_for

from .. import discord_render as render
from ..discord_checks import Cooldown, guild_id_of
from ..discord_errors import GENERIC, SERVERS_ONLY, SlowDown
from ..discord_views import PassagePager

if TYPE_CHECKING:
    from ..discord_bot import ArticleBot

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
EMPTY_MENTION = (
    "Ask me a question after the mention, for example: @ArticleBot how many people were killed?"
)


class Reply:
    """What to send for an answer: an embed with its pager, or plain text."""

    def __init__(self, library: Library, answer: Answer, owner_id: int) -> None:
        self.content: str | None = None
        self.embed: discord.Embed | None = None
        self.view: PassagePager | None = None
        if not answer.found or not answer.passages:
            self.content = render.nothing_found_message(answer)
            return
        self.embed = render.answer_embed(answer, 0)
        # "Why?" always; paging buttons only when there is more.
        more = len(answer.passages) > render.PASSAGES_PER_PAGE
        self.view = PassagePager(library, answer, owner_id, has_more=more)

    def kwargs(self) -> dict:
        sent: dict = {"allowed_mentions": NONE}
        if self.content is not None:
            sent["content"] = self.content
        if self.embed is not None:
            sent["embed"] = self.embed
        if self.view is not None:
            sent["view"] = self.view
        return sent


class Ask(commands.Cog):
    """Answers questions from the guild's own library."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot
        self.cooldown = Cooldown(bot.settings.ask_cooldown)

    async def answer(
        self,
        library: Library,
        question: str,
        owner_id: int,
        since: str | None = None,
        before: str | None = None,
    ) -> Reply:
        """Ask the library in a worker thread and build the reply."""
        k = PassagePager.k_for(0)
        # With its evidence kept, so "Why?" needs no second search.
        answer = await asyncio.to_thread(
            library.ask, question, k, explain=True, since=since, before=before
        )
        return Reply(library, answer, owner_id)

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="What you want to know, e.g. How many people were killed?",
        since="Only articles dated on or after: 2019-12-31, or back from today: 7d, 2w, 1m, 1y",
        before="Only articles dated before: 2020-01-31, or back from today: 7d, 2w, 1m, 1y",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        since: app_commands.Range[str, 1, 40] | None = None,
        before: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Ask a question about this server's articles; I answer by quoting them."""
        library = self.bot.library_for(guild_id_of(interaction))
        window_for(question, since, before)  # a bad date is refused at once, privately
        self.cooldown.check(interaction.user.id)
        await interaction.response.defer(thinking=True)
        reply = await self.answer(library, question, interaction.user.id, since, before)
        message = await interaction.followup.send(wait=True, **reply.kwargs())
        if reply.view is not None:
            reply.view.message = message

    # -- mentions ------------------------------------------------------------------------------

    def mentioned_question(self, message: discord.Message) -> str | None:
        """The question in a message that mentions the bot (or its role), else None.

        A reply to the bot's answer also lists the bot in ``mentions`` (a reply ping) without
        naming it in the text: that is not a question to the bot.
        """
        me = self.bot.user
        if me is None:
            return None
        tokens = [rf"<@!?{me.id}>"]
        role = message.guild.self_role if message.guild else None
        if role is not None and role in message.role_mentions:
            tokens.append(rf"<@&{role.id}>")
        elif not any(user.id == me.id for user in message.mentions):
            return None
        pattern = "|".join(tokens)
        if not re.search(pattern, message.content):
            return None
        return re.sub(pattern, " ", message.content).strip()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.type not in (
            discord.MessageType.default,
            discord.MessageType.reply,
        ):
            return
        if message.guild is None:
            if isinstance(message.channel, discord.DMChannel):
                await self._reply(message, SERVERS_ONLY)
            return
        question = self.mentioned_question(message)
        if question is None:
            return
        if not question:
            await self._reply(message, EMPTY_MENTION)
            return
        wait = self.cooldown.retry_after(message.author.id)
        if wait > 0:
            await self._reply(message, str(SlowDown(wait)))
            return
        try:
            library = self.bot.library_for(message.guild.id)
            with contextlib.suppress(discord.HTTPException):  # "typing…" is only a courtesy
                await message.channel.typing()
            reply = await self.answer(library, question, message.author.id)
        except ArticleBotError as err:
            await self._reply(message, str(err))
            return
        except Exception:
            log.exception(
                "unexpected error answering a mention by user %s in guild %s",
                message.author.id,
                message.guild.id,
            )
            await self._reply(message, GENERIC)
            return
        sent = await self._reply(message, **reply.kwargs())
        if reply.view is not None:
            reply.view.message = sent

    async def _reply(
        self, message: discord.Message, content: str | None = None, **kwargs
    ) -> discord.Message | None:
        kwargs["allowed_mentions"] = NONE
        try:
            return await message.reply(content, mention_author=False, **kwargs)
        except discord.HTTPException as err:  # no permission to send there, channel gone…
            log.warning("could not reply in channel %s: %s", message.channel.id, err)
            return None


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Ask(bot))
