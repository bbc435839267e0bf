"""The guild's library: ``/add``, ``/articles``, ``/remove``, ``/rebuild`` and ``/audit``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from index import AddResult, ArticleInfo, BadInput, Document, Library

from .. import discord_render as render
from ..discord_checks import Cooldown, can_manage_guild, guild_id_of, moderators_only
from ..discord_views import VIEW_TIMEOUT, ArticlePager, PreviewView

if TYPE_CHECKING:
    from ..discord_bot import ArticleBot

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
FILE_TYPES = (".txt", ".md", ".html", ".htm", ".pdf")
PROGRESS_EVERY = 2.0  # seconds between progress edits of the /rebuild reply


def matching_choices(
    articles: list[ArticleInfo], typed: str, limit: int = 25
) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for ``typed``: titles starting with it first, then containing it
    (or ids starting with it); each choice shows the title and sends the article id."""
    needle = typed.strip().casefold()
    ranked: list[tuple[int, ArticleInfo]] = []
    for info in articles:
        title = info.title.casefold()
        if not needle or title.startswith(needle):
            ranked.append((0, info))
        elif needle in title or info.article_id.startswith(needle):
            ranked.append((1, info))
    ranked.sort(key=lambda pair: pair[0])
    return [
        app_commands.Choice(
            name=render.cut(info.title, 100) or info.article_id, value=info.article_id
        )
        for _, info in ranked[:limit]
    ]


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class RebuildProgress:
    """The ``progress(done, total)`` callback of a rebuild, called from the worker thread; edits
    the interaction's reply on the event loop, at most every ``every`` seconds."""

    def __init__(self, interaction: discord.Interaction, every: float = PROGRESS_EVERY) -> None:
        self.interaction = interaction
        self.every = every
        self.loop = asyncio.get_running_loop()
        self.started = time.monotonic()
        self.done = 0
        self.total = 0
        self.edits = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __call__(self, done: int, total: int) -> None:  # worker thread
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody to tell
            self.loop.call_soon_threadsafe(self._update, done, total)

    def _update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self._changed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="rebuild-progress")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        last_edit = float("-inf")
        while True:
            await self._changed.wait()
            delay = last_edit + self.every - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._changed.clear()
            message = render.rebuild_message(self.done, self.total, time.monotonic() - self.started)
            last_edit = time.monotonic()
            try:
                await self.interaction.edit_original_response(
                    content=message, allowed_mentions=NONE
                )
                self.edits += 1
            except discord.HTTPException as err:
                log.warning("could not edit the rebuild progress: %s", err)


class LibraryCog(commands.Cog, name="Library"):
    """Moderators manage the guild's articles; everyone can list them."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot
        self.add_cooldown = Cooldown(bot.settings.add_cooldown)
        # Seconds an /add url: preview waits for Add or Cancel (Discord keeps buttons 15 min).
        self.preview_timeout = VIEW_TIMEOUT

    # -- /add ----------------------------------------------------------------------------------

    def _check_file(self, file: discord.Attachment) -> None:
        suffix = PurePosixPath(file.filename).suffix.lower()
        if suffix not in FILE_TYPES:
            raise BadInput(
                f"I can read .txt, .md, .html and .pdf files, not {suffix or 'that'} files."
            )
        limit = self.bot.settings.max_source_bytes
        if file.size > limit:
            raise BadInput(f"That file is {_mb(file.size)}; the limit is {_mb(limit)}.")

    @app_commands.command(name="add")
    @app_commands.describe(
        url="A web page (http or https) to add",
        text="The article's text, pasted (give a title too)",
        title="The article's title (optional for url and file)",
        file="A .txt, .md, .html or .pdf file to add",
    )
    @moderators_only()
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000] | None = None,
        text: app_commands.Range[str, 1, 6000] | None = None,
        title: app_commands.Range[str, 1, 256] | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        """Add an article to this server's library (needs Manage Server)."""
        library = self.bot.library_for(guild_id_of(interaction))
        if sum(x is not None for x in (url, text, file)) != 1:
            raise BadInput("Give exactly one of url, text or file.")
        if url is not None and not url.strip().lower().startswith(("http://", "https://")):
            raise BadInput("The url must start with http:// or https://.")
        if text is not None and not title:
            raise BadInput("Give the article a title too: /add text: … title: …")
        if file is not None:
            self._check_file(file)
        self.add_cooldown.check(interaction.user.id)
        await self._check_quota(library)
        if url is not None:
            await self._preview(interaction, library, url.strip(), title)
            return
        await interaction.response.defer(thinking=True)
        started = time.perf_counter()
        added_by = interaction.user.name
        if text is not None:
            result = await asyncio.to_thread(library.add_text, text, title, None, None, added_by)
        else:
            assert file is not None
            try:
                data = await file.read()
            except discord.HTTPException as err:
                raise BadInput("I couldn't download that file from Discord; try again.") from err
            result = await asyncio.to_thread(library.add_file, data, file.filename, title, added_by)
        seconds = time.perf_counter() - started
        self._log_added(interaction, result)
        await interaction.followup.send(
            render.added_message(result, seconds), allowed_mentions=NONE
        )

    async def _check_quota(self, library: Library) -> None:
        """Refuse an add when the server's library is full (articles or bytes of text)."""
        cap = self.bot.settings.max_articles_per_guild
        byte_cap = self.bot.settings.max_library_bytes
        articles, stored_bytes = await asyncio.to_thread(library.usage)
        if articles >= cap:
            raise BadInput(
                f"This server's library is full ({cap} articles); remove some with /remove first."
            )
        if stored_bytes >= byte_cap:
            raise BadInput(
                f"This server's library is full ({byte_cap // 1_000_000} MB of text); "
                "remove some articles with /remove first."
            )

    @staticmethod
    def _log_added(interaction: discord.Interaction, result: AddResult) -> None:
        log.info(
            "guild %s: user %s (%s) added %s %r (%d chunks, duplicate=%s, near_duplicate_of=%s)",
            interaction.guild_id,
            interaction.user.name,
            interaction.user.id,
            result.article_id,
            result.title,
            result.chunks,
            result.duplicate,
            result.near_duplicate_of,
        )

    async def _preview(
        self, interaction: discord.Interaction, library: Library, url: str, title: str | None
    ) -> None:
        """``/add url:``: fetch and show a private preview with Add / Cancel; store nothing yet.

        Private because it is a moderator's working step (a paywalled or wrong page is not news
        for the channel) and only that moderator may press its buttons; the add itself is then
        announced publicly, like any other /add.
        """
        await interaction.response.defer(thinking=True, ephemeral=True)
        preview = await asyncio.to_thread(library.preview_source, url, title)

        async def add() -> AddResult:
            return await self._add_previewed(interaction, library, preview.document)

        view = PreviewView(preview, interaction.user.id, add, timeout=self.preview_timeout)
        view.message = await interaction.followup.send(
            render.PREVIEW_CONTENT,
            embed=render.preview_embed(preview),
            view=view,
            ephemeral=True,
            wait=True,
            allowed_mentions=NONE,
        )

    async def _add_previewed(
        self, interaction: discord.Interaction, library: Library, document: Document
    ) -> AddResult:
        """Store exactly the previewed document (no second fetch), quota checked again."""
        await self._check_quota(library)
        result = await asyncio.to_thread(
            library.add_document, document, added_by=interaction.user.name
        )
        self._log_added(interaction, result)
        return result

    # -- /articles -----------------------------------------------------------------------------

    @app_commands.command(name="articles")
    @app_commands.guild_only()
    async def articles(self, interaction: discord.Interaction) -> None:
        """List the articles in this server's library."""
        library = self.bot.library_for(guild_id_of(interaction))
        articles = await asyncio.to_thread(library.list)
        view = ArticlePager(articles, interaction.user.id)
        if view.pages > 1:
            await interaction.response.send_message(
                embed=view.embed(), view=view, ephemeral=True, allowed_mentions=NONE
            )
            view.message = await interaction.original_response()
        else:
            view.stop()
            await interaction.response.send_message(
                embed=view.embed(), ephemeral=True, allowed_mentions=NONE
            )

    # -- /remove -------------------------------------------------------------------------------

    @app_commands.command(name="remove")
    @app_commands.describe(article_id="The article to remove: start typing its title")
    @app_commands.rename(article_id="id")
    @moderators_only()
    async def remove(
        self, interaction: discord.Interaction, article_id: app_commands.Range[str, 1, 100]
    ) -> None:
        """Remove an article from this server's library (needs Manage Server)."""
        library = self.bot.library_for(guild_id_of(interaction))
        await interaction.response.defer(thinking=True)
        info = await asyncio.to_thread(library.remove, article_id.strip(), interaction.user.name)
        log.info(
            "guild %s: user %s (%s) removed %s %r",
            interaction.guild_id,
            interaction.user.name,
            interaction.user.id,
            info.article_id,
            info.title,
        )
        await interaction.followup.send(render.removed_message(info), allowed_mentions=NONE)

    @remove.autocomplete("article_id")
    async def remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not can_manage_guild(interaction):
            return []
        library = self.bot.library_for(interaction.guild_id)
        articles = await asyncio.to_thread(library.list)
        return matching_choices(articles, current)

    # -- /audit --------------------------------------------------------------------------------

    @app_commands.command(name="audit")
    @moderators_only()
    async def audit(self, interaction: discord.Interaction) -> None:
        """Who added or removed which article, and when (needs Manage Server)."""
        library = self.bot.library_for(guild_id_of(interaction))
        entries = await asyncio.to_thread(library.audit, render.AUDIT_SHOWN)
        await interaction.response.send_message(
            embed=render.audit_embed(entries), ephemeral=True, allowed_mentions=NONE
        )

    # -- /rebuild ------------------------------------------------------------------------------

    @app_commands.command(name="rebuild")
    @moderators_only()
    async def rebuild(self, interaction: discord.Interaction) -> None:
        """Re-index every article of this server's library; questions are answered meanwhile."""
        library = self.bot.library_for(guild_id_of(interaction))
        await interaction.response.defer(thinking=True)
        progress = RebuildProgress(interaction)
        progress.start()
        try:
            chunks = await asyncio.to_thread(library.rebuild, progress)
        finally:
            await progress.stop()
        seconds = time.monotonic() - progress.started
        log.info(
            "guild %s: user %s (%s) rebuilt the library: %d articles, %d chunks, %.1fs",
            interaction.guild_id,
            interaction.user.name,
            interaction.user.id,
            progress.total,
            chunks,
            seconds,
        )
        await interaction.edit_original_response(
            content=render.rebuild_message(
                progress.total, progress.total, seconds, finished=True, chunks=chunks
            ),
            allowed_mentions=NONE,
        )


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(LibraryCog(bot))
