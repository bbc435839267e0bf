"""The test's handle on one interaction it fired: what the bot answered, in order, and waits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import FakeGuild, FakeUser, StoredMessage

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

INTERACTION_TYPE_NAMES = {
    2: "APPLICATION_COMMAND",
    3: "MESSAGE_COMPONENT",
    4: "APPLICATION_COMMAND_AUTOCOMPLETE",
    5: "MODAL_SUBMIT",
}
CALLBACK_TYPE_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
    10: "PREMIUM_REQUIRED",
    12: "LAUNCH_ACTIVITY",
}


@dataclass
class InteractionEvent:
    """One thing the bot did with an interaction, e.g. callback, followup, edit_original."""

    time: float
    kind: str
    message_id: int | None
    body: Any
    status: int
    message: dict[str, Any] | None = None


class InteractionHandle:
    """Everything the bot sent for one interaction, and ways to wait for it.

    `events` is the ordered log (callback, followup, edit_original, edit, delete, error);
    `original` / `followups` are the messages as they are now, each with its `versions`.
    """

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        interaction_id: int,
        token: str,
        type: int,
        payload: dict[str, Any],
        guild: FakeGuild,
        channel_id: int,
        user: FakeUser,
        label: str,
        source_message_id: int | None = None,
    ) -> None:
        self.fake = fake
        self.id = interaction_id
        self.token = token
        self.type = type
        self.payload = payload
        self.guild = guild
        self.channel_id = channel_id
        self.user = user
        self.label = label
        self.source_message_id = source_message_id
        self.created_at = time.monotonic()
        self.events: list[InteractionEvent] = []
        self.callback: dict[str, Any] | None = None
        self.callback_type: int | None = None
        self.original_id: int | None = None
        self.followup_ids: list[int] = []
        self.autocomplete_choices: list[dict[str, Any]] | None = None
        self.modal: dict[str, Any] | None = None
        self.errors: list[dict[str, Any]] = []
        self.loading_replaced = False

    # ---- state ---------------------------------------------------------------------------
    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def deferred(self) -> bool:
        return self.callback_type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        """Whether the initial response (message or defer) asked for ephemeral."""
        data = (self.callback or {}).get("data") or {}
        return bool(int(data.get("flags") or 0) & 64)

    @property
    def original(self) -> StoredMessage | None:
        return self.fake.message(self.original_id) if self.original_id is not None else None

    @property
    def followups(self) -> list[StoredMessage]:
        found = (self.fake.message(i) for i in self.followup_ids)
        return [m for m in found if m is not None]

    @property
    def messages(self) -> list[StoredMessage]:
        """The original response (if any) then every followup, as they are now."""
        original = self.original
        return ([original] if original is not None else []) + self.followups

    def history(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message version the bot produced for this interaction, in order.

        Returns:
            (event kind, message payload right after that event) pairs, e.g.
            [("callback", <loading>), ("edit_original", <answer>), ("followup", <more>)].
        """
        return [(e.kind, e.message) for e in self.events if e.message is not None]

    def latest_visible(self) -> StoredMessage | None:
        """The message this interaction most recently created or edited that is not loading."""
        for event in reversed(self.events):
            if event.message_id is None or event.status >= 300 or event.kind == "get":
                continue
            msg = self.fake.message(event.message_id)
            if msg is not None and not msg.deleted and not msg.loading:
                return msg
        return None

    def describe(self) -> str:
        kinds = ", ".join(f"{e.kind}({e.status})" for e in self.events) or "nothing yet"
        cb = CALLBACK_TYPE_NAMES.get(self.callback_type or 0, self.callback_type)
        text = f"interaction {self.label} id={self.id}: callback={cb}; events: {kinds}"
        if self.errors:
            text += f"; API errors returned to the bot: {self.errors}"
        return text

    # ---- waits ---------------------------------------------------------------------------
    async def wait_callback(self, timeout: float = 3.0) -> dict[str, Any]:
        """Wait for the initial interaction response (any callback type) and return its body."""
        await self.fake._wait_until(
            lambda: self.callback, timeout, f"the callback of {self.label}", context=self.describe
        )
        assert self.callback is not None
        return self.callback

    async def wait_response(
        self,
        timeout: float = 5.0,
        *,
        settle: float = 0.15,
        until: Callable[[StoredMessage], bool] | None = None,
    ) -> StoredMessage:
        """Wait for the visible reply: callback message, edited @original or a followup.

        Args:
            timeout: Seconds before failing the test with the interaction's history.
            settle: After a reply shows up, wait until the bot has been quiet this long, so a
                defer-then-edit sequence is returned in its final state.
            until: Optional predicate the reply must meet (e.g. progress edits that finish).

        Returns:
            The message most recently created or edited for this interaction.
        """

        def ready() -> StoredMessage | None:
            msg = self.latest_visible()
            if msg is None or (until is not None and not until(msg)):
                return None
            return msg

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        msg = await self.fake._wait_until(
            ready, timeout, f"a visible reply to {self.label}", context=self.describe
        )
        while settle > 0 and loop.time() + settle < deadline:
            before = len(self.events)
            await asyncio.sleep(settle)
            if len(self.events) == before:
                break
        return ready() or msg

    async def wait_followups(self, count: int, timeout: float = 5.0) -> list[StoredMessage]:
        """Wait until the bot has sent `count` followups (not counting a replaced defer)."""
        await self.fake._wait_until(
            lambda: len(self.followup_ids) >= count or None,
            timeout,
            f"{count} followups to {self.label}",
            context=self.describe,
        )
        return self.followups

    async def wait_for(
        self, predicate: Callable[[InteractionHandle], Any], timeout: float = 5.0, what: str = ""
    ) -> Any:
        """Wait for any condition on this handle (re-checked whenever the fake sees traffic)."""
        return await self.fake._wait_until(
            lambda: predicate(self) or None,
            timeout,
            what or f"a condition on {self.label}",
            context=self.describe,
        )

    async def wait_autocomplete(self, timeout: float = 3.0) -> list[dict[str, Any]]:
        """Wait for an autocomplete result (callback type 8) and return its choices."""
        await self.fake._wait_until(
            lambda: self.autocomplete_choices,
            timeout,
            f"autocomplete choices for {self.label}",
            context=self.describe,
        )
        assert self.autocomplete_choices is not None
        return self.autocomplete_choices

    async def wait_modal(self, timeout: float = 3.0) -> dict[str, Any]:
        """Wait for a modal (callback type 9) and return its data (custom_id, title, ...)."""
        await self.fake._wait_until(
            lambda: self.modal, timeout, f"a modal from {self.label}", context=self.describe
        )
        assert self.modal is not None
        return self.modal

    def __repr__(self) -> str:
        return f"<InteractionHandle {self.describe()}>"
