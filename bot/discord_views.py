"""Button views: pages of passages (and why they were chosen) for the asker, pages of the
article list for the caller, and the Add / Cancel of a previewed page for the moderator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from index import AddResult, Answer, ArticleBotError, ArticleInfo, Library
from index.preview import Preview

from . import discord_render as render
from .discord_errors import report_error

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
VIEW_TIMEOUT = 300.0
MAX_K = 25  # the engine returns at most 25 passages


class OwnedView(discord.ui.View):
    """A view only its owner may use; its buttons are removed when it times out.

    Args:
        owner_id: the user allowed to press the buttons.
        refusal: what anyone else is told, privately.
    """

    def __init__(self, owner_id: int, refusal: str, timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.refusal = refusal
        self.message: discord.Message | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(self.refusal, ephemeral=True, allowed_mentions=NONE)
        return False

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(view=None, allowed_mentions=NONE)
        except discord.HTTPException as err:
            log.debug("could not remove expired buttons: %s", err)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)


class PassagePager(OwnedView):
    """ "More passages" for one question (each page asks the library for a few more), and "Why?"
    for the passages on the page shown.

    The answer is asked for with ``explain=True``, so "Why?" reads the evidence kept on it and
    never searches again. With a single page of passages only "Why?" is shown.
    """

    def __init__(
        self,
        library: Library,
        answer: Answer,
        owner_id: int,
        has_more: bool,
        per_page: int = render.PASSAGES_PER_PAGE,
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(
            owner_id,
            "Only the person who asked can use these buttons; ask your own question with /ask.",
            timeout,
        )
        self.library = library
        self.answer = answer
        self.per_page = per_page
        self.page = 0
        self.has_more = has_more
        if not has_more:  # one page: paging buttons would only ever be disabled
            self.remove_item(self.previous)
            self.remove_item(self.more)
        self._sync_buttons()

    @staticmethod
    def k_for(page: int, per_page: int = render.PASSAGES_PER_PAGE) -> int:
        """Passages to ask for to show ``page`` and know whether another page exists."""
        return min(MAX_K, (page + 1) * per_page + 1)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.more.disabled = not self.has_more

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync_buttons()
        embed = render.answer_embed(self.answer, self.page, self.per_page)
        await interaction.edit_original_response(embed=embed, view=self, allowed_mentions=NONE)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[PassagePager]
    ) -> None:
        await interaction.response.defer()
        self.page = max(0, self.page - 1)
        self.has_more = True
        await self._show(interaction)

    @discord.ui.button(label="More passages", style=discord.ButtonStyle.primary)
    async def more(
        self, interaction: discord.Interaction, button: discord.ui.Button[PassagePager]
    ) -> None:
        await interaction.response.defer()
        page = self.page + 1
        k = self.k_for(page, self.per_page)
        if len(self.answer.passages) < k:
            self.answer = await asyncio.to_thread(
                self.library.ask,
                self.answer.question,
                k,
                since=self.answer.since,
                before=self.answer.before,
                explain=True,
            )
        shown_until = (page + 1) * self.per_page
        if len(self.answer.passages) <= page * self.per_page:
            self.has_more = False
            self._sync_buttons()
            await interaction.edit_original_response(view=self, allowed_mentions=NONE)
            await interaction.followup.send(
                "There are no more passages about that.", ephemeral=True, allowed_mentions=NONE
            )
            return
        self.page = page
        self.has_more = len(self.answer.passages) > shown_until and shown_until < MAX_K
        await self._show(interaction)

    @discord.ui.button(label="Why?", style=discord.ButtonStyle.secondary)
    async def why(
        self, interaction: discord.Interaction, button: discord.ui.Button[PassagePager]
    ) -> None:
        """Privately: why each passage on the page shown was chosen."""
        embed = render.explanation_embed(self.answer, self.page, self.per_page)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NONE)


class ArticlePager(OwnedView):
    """Previous/Next over a listing taken when /articles was used."""

    def __init__(
        self,
        articles: list[ArticleInfo],
        owner_id: int,
        per_page: int = render.ARTICLES_PER_PAGE,
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(owner_id, "Use /articles to browse the list yourself.", timeout)
        self.articles = articles
        self.per_page = per_page
        self.page = 0
        self.pages = max(1, -(-len(articles) // per_page))
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    def embed(self) -> discord.Embed:
        return render.articles_embed(self.articles, self.page, self.per_page)

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=self.embed(), view=self, allowed_mentions=NONE
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[ArticlePager]
    ) -> None:
        self.page = max(0, self.page - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[ArticlePager]
    ) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await self._show(interaction)


AddPreviewed = Callable[[], Awaitable[AddResult]]


class PreviewView(OwnedView):
    """"Add" / "Cancel" under the preview of a page; only the moderator who asked may press.

    Nothing is stored unless Add is pressed: Cancel and the timeout only change the message.
    ``add`` stores the previewed document itself (no second fetch) and returns the result.
    """

    def __init__(
        self, preview: Preview, owner_id: int, add: AddPreviewed, timeout: float = VIEW_TIMEOUT
    ) -> None:
        super().__init__(
            owner_id, "Only the moderator who used /add can add or cancel this preview.", timeout
        )
        self.preview = preview
        self._add = add
        self.result: AddResult | None = None
        self.outcome: str | None = None  # "added", "cancelled", "refused", "expired"

    def _disable(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True

    @discord.ui.button(label="Add", style=discord.ButtonStyle.success)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[PreviewView]
    ) -> None:
        if self.outcome is not None:  # a second press while the first one was being handled
            await interaction.response.defer()
            return
        self.outcome = "adding"
        self.stop()
        self._disable()
        await interaction.response.edit_message(
            content=render.PREVIEW_ADDING, view=self, allowed_mentions=NONE
        )
        try:
            self.result = await self._add()
        except ArticleBotError as err:
            self.outcome = "refused"
            await interaction.edit_original_response(
                content=render.preview_refused(str(err)), view=None, allowed_mentions=NONE
            )
            return
        except BaseException:
            self.outcome = "refused"
            await interaction.edit_original_response(
                content=render.preview_refused(None), view=None, allowed_mentions=NONE
            )
            raise
        self.outcome = "added"
        added = render.added_message(self.result, self.result.seconds)
        await interaction.edit_original_response(content=added, view=None, allowed_mentions=NONE)
        if not self.result.duplicate:  # the channel sees adds, as with /add text: and file:
            await interaction.followup.send(added, allowed_mentions=NONE)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[PreviewView]
    ) -> None:
        if self.outcome is not None:
            await interaction.response.defer()
            return
        self.outcome = "cancelled"
        self.stop()
        await interaction.response.edit_message(
            content=render.PREVIEW_CANCELLED, view=None, allowed_mentions=NONE
        )

    async def on_timeout(self) -> None:
        if self.outcome is not None:
            return
        self.outcome = "expired"
        self._disable()
        if self.message is None:
            return
        try:
            await self.message.edit(
                content=render.preview_expired(self.timeout), view=self, allowed_mentions=NONE
            )
        except discord.HTTPException as err:
            log.debug("could not mark the preview expired: %s", err)
