"""Self-test of the Discord fake: a tiny real discord.py AutoShardedBot talks to it end to end.

If these pass, the fake speaks enough of Discord's REST v10 and gateway for an unmodified
discord.py 2.7 client: login, command sync, READY/GUILD_CREATE, heartbeats, slash commands
(defer + followup, plain responses, attachment options, autocomplete), buttons, modals and
mention replies, all asserted on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord_fake import (
    CommandNotSynced,
    FakeDiscord,
    FakeGuild,
    FakeUser,
    Intent,
    InvalidInvocation,
    Perm,
    patch_discord_urls,
)

log = logging.getLogger(__name__)

STEP = 5.0  # seconds any single wait may take before the test fails with the transcript


class CounterView(discord.ui.View):
    """One button that edits its own message (a type 7 UPDATE_MESSAGE round trip)."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.clicks = 0

    @discord.ui.button(label="Count", custom_id="count", style=discord.ButtonStyle.primary)
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicks += 1
        await interaction.response.edit_message(
            content=f"Clicked {self.clicks} time(s) by {interaction.user.name}", view=self
        )


class NameModal(discord.ui.Modal, title="Your name"):
    """A modal with one text input, answered with an ephemeral message."""

    name = discord.ui.TextInput(label="Name", custom_id="name")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Hi {self.name.value}", ephemeral=True)


class TinyBot(commands.AutoShardedBot):
    """The smallest bot that exercises what ArticleBot needs from Discord."""

    def __init__(self, dev_guild_id: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.dev_guild = discord.Object(id=dev_guild_id)
        self.seen_messages: list[discord.Message] = []

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="ping", description="Defer, then answer with an embed")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            embed = discord.Embed(title="Pong", description=f"latency {self.latency:.3f}s")
            await interaction.followup.send(embed=embed)

        @tree.command(name="hello", description="A plain ephemeral response")
        async def hello(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"Hello {interaction.user.name}", ephemeral=True
            )

        @tree.command(name="counter", description="A message with a button")
        async def counter(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Clicked 0 time(s)", view=CounterView())

        @tree.command(name="upload", description="Read an attached file")
        @app_commands.describe(file="Any file", note="A note")
        async def upload(
            interaction: discord.Interaction, file: discord.Attachment, note: str = ""
        ) -> None:
            data = await file.read()
            digest = hashlib.sha256(data).hexdigest()[:12]
            await interaction.response.send_message(
                f"{file.filename}: {len(data)} bytes sha={digest} note={note}"
            )

        async def topic_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            topics = ["politics", "science", "sport", "space"]
            return [app_commands.Choice(name=t, value=t) for t in topics if t.startswith(current)]

        @tree.command(name="topic", description="Autocomplete and an integer option")
        @app_commands.describe(name="Topic", count="How many")
        @app_commands.autocomplete(name=topic_choices)
        async def topic(interaction: discord.Interaction, name: str, count: int = 1) -> None:
            await interaction.response.send_message(f"{count} x {name}")

        @tree.command(name="admin", description="Needs Manage Server")
        @app_commands.default_permissions(manage_guild=True)
        async def admin(interaction: discord.Interaction) -> None:
            if not interaction.permissions.manage_guild:
                await interaction.response.send_message("You need Manage Server", ephemeral=True)
                return
            await interaction.response.send_message("ok", ephemeral=True)

        @tree.command(name="report", description="Uploads a file, then edits the reply")
        async def report(interaction: discord.Interaction) -> None:
            file = discord.File(io.BytesIO(b"line 1\nline 2\n"), filename="report.txt")
            await interaction.response.send_message("report v1", file=file)
            await interaction.edit_original_response(content="report v2")

        @tree.command(name="name", description="Shows a modal")
        async def name(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(NameModal())

        tree.copy_global_to(guild=self.dev_guild)
        await tree.sync(guild=self.dev_guild)

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)
        if message.author.bot or self.user is None:
            return
        if self.user in message.mentions:
            question = message.content.replace(self.user.mention, "").strip()
            async with message.channel.typing():
                await message.reply(
                    f"You asked: {question}", allowed_mentions=discord.AllowedMentions.none()
                )


@dataclass
class Running:
    """A fake with a connected TinyBot, one guild, alice and mod (who has Manage Server)."""

    fake: FakeDiscord
    bot: TinyBot
    guild: FakeGuild
    alice: FakeUser
    mod: FakeUser
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def run_bot(fake: FakeDiscord) -> AsyncIterator[Running]:
    """Start fake + bot in this loop; always stop both, bounded so a failure cannot hang."""
    await fake.start()
    restore = patch_discord_urls(fake.api_base, fake.gateway_url)
    guild = fake.add_guild("News Desk")
    alice = fake.add_member(guild, "alice")
    mod = fake.add_member(guild, "mod", Perm.MANAGE_GUILD)
    bot = TinyBot(guild.id)
    task = asyncio.create_task(bot.start(fake.token))
    try:
        yield Running(fake, bot, guild, alice, mod, task)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.close(), STEP)
        if not task.done():
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, STEP)
        await asyncio.wait_for(fake.stop(), STEP)
        restore()


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    async with run_bot(FakeDiscord(heartbeat_interval_ms=500)) as r:
        await r.fake.wait_ready(10, watch=r.task)
        yield r


def assert_mentions_disabled(fake: FakeDiscord) -> None:
    sends = fake.message_sends()
    assert sends, "expected at least one message-sending request"
    for req, payload in sends:
        allowed = payload.get("allowed_mentions")
        assert allowed is not None and allowed.get("parse") == [], (req.summary(), payload)


async def test_ready_and_commands_synced(running: Running) -> None:
    fake = running.fake
    ready_payloads = [p for s in fake.sessions for p in s.sent if p["t"] == "READY"]
    assert ready_payloads and ready_payloads[0]["d"]["user"]["id"] == str(fake.bot_user.id)
    identify = fake.identifies[0]
    assert identify["shard"] == [0, 1]
    assert not identify["intents"] & Intent.MESSAGE_CONTENT
    names = {c["name"] for c in fake.registered_commands(running.guild)}
    assert {"ping", "hello", "counter", "upload", "topic", "admin", "name", "report"} <= names
    admin = fake.command("admin", running.guild)
    assert admin["default_member_permissions"] == str(Perm.MANAGE_GUILD)
    routes = [r.route for r in fake.requests]
    assert "GET /gateway/bot" in routes and "GET /users/@me" in routes
    assert "PUT /applications/{application_id}/guilds/{guild_id}/commands" in routes
    await asyncio.wait_for(running.bot.wait_until_ready(), STEP)
    assert running.bot.get_guild(running.guild.id) is not None
    with pytest.raises(CommandNotSynced, match="never synced"):
        fake.command("nope", running.guild)


async def test_slash_defer_then_followup_embed(running: Running) -> None:
    fake = running.fake
    handle = await fake.slash(running.guild, None, running.alice, "ping")
    reply = await handle.wait_response(STEP)
    assert handle.callback_type == 5
    kinds = [kind for kind, _ in handle.history()]
    assert kinds == ["callback", "followup"]
    assert handle.history()[0][1]["flags"] & 128  # the loading placeholder
    assert reply.id == handle.original_id, "first followup after a defer replaces the placeholder"
    assert not reply.loading and reply.embeds[0]["title"] == "Pong"
    assert "latency" in reply.text()
    assert_mentions_disabled(fake)


async def test_plain_ephemeral_response(running: Running) -> None:
    handle = await running.fake.slash(running.guild, None, running.alice, "hello")
    reply = await handle.wait_response(STEP)
    assert handle.callback_type == 4 and reply.ephemeral
    assert reply.content == "Hello alice"
    callback = next(r for r in running.fake.requests if r.route and "/callback" in r.route)
    assert callback.query.get("with_response") in ("1", "true")


async def test_button_click_round_trip(running: Running) -> None:
    fake = running.fake
    handle = await fake.slash(running.guild, None, running.alice, "counter")
    message = await handle.wait_response(STEP)
    assert message.custom_ids() == ["count"]
    click = await fake.click(message, "count", running.alice)
    updated = await click.wait_response(STEP)
    assert click.callback_type == 7 and updated.id == message.id
    assert updated.content == "Clicked 1 time(s) by alice"
    click2 = await fake.click(updated, "count", running.mod)
    assert (await click2.wait_response(STEP)).content == "Clicked 2 time(s) by mod"
    assert len(fake.message(message.id).versions) == 3
    with pytest.raises(InvalidInvocation, match="no component"):
        await fake.click(message, "missing", running.alice)
    assert_mentions_disabled(fake)


async def test_mention_reply_uses_message_reference(running: Running) -> None:
    fake = running.fake
    asked = await fake.mention(running.guild, None, running.alice, "how many were killed?")
    reply = await fake.wait_reply(asked, STEP)
    assert reply.content == "You asked: how many were killed?"
    assert reply.message_reference["message_id"] == str(asked.id)
    assert reply.pinged_user_ids == [], "nobody may be pinged"
    create = next(r for r in fake.requests if r.route == "POST /channels/{channel_id}/messages")
    assert create.json["allowed_mentions"]["parse"] == []
    assert not create.json["allowed_mentions"].get("replied_user")
    assert fake.typing, "the bot showed typing while answering"
    # A message that does not mention the bot reaches it without content (no privileged intent).
    await fake.send_user_message(running.guild, None, running.alice, "secret text")
    seen = await fake._wait_until(
        lambda: next(
            (m for m in running.bot.seen_messages if m.author.name == "alice" and not m.mentions),
            None,
        ),
        STEP,
        "the unmentioned message",
    )
    assert seen.content == ""
    assert_mentions_disabled(fake)


async def test_attachment_option_is_downloadable(running: Running) -> None:
    fake = running.fake
    data = b"%PDF-1.4 fake article bytes\n" * 100
    handle = await fake.slash(
        running.guild,
        None,
        running.mod,
        "upload",
        {"note": "hi"},
        attachments={"file": ("article.pdf", data)},
    )
    reply = await handle.wait_response(STEP)
    digest = hashlib.sha256(data).hexdigest()[:12]
    assert reply.content == f"article.pdf: {len(data)} bytes sha={digest} note=hi"
    assert any(r.route == "GET /attachments/{attachment_id}/{filename}" for r in fake.requests)


async def test_autocomplete_and_option_checks(running: Running) -> None:
    fake = running.fake
    choices = await fake.autocomplete(
        running.guild, None, running.alice, "topic", focused="name", options={"name": "sp"}
    )
    assert [c["value"] for c in choices] == ["sport", "space"]
    handle = await fake.slash(
        running.guild, None, running.alice, "topic", {"name": "space", "count": 3}
    )
    assert (await handle.wait_response(STEP)).content == "3 x space"
    with pytest.raises(InvalidInvocation, match="integer"):
        await fake.slash(running.guild, None, running.alice, "topic", {"name": "x", "count": "3"})
    with pytest.raises(InvalidInvocation, match="required"):
        await fake.slash(running.guild, None, running.alice, "topic", {})


async def test_default_permissions_and_runtime_check(running: Running) -> None:
    fake = running.fake
    with pytest.raises(InvalidInvocation, match="default_member_permissions"):
        await fake.slash(running.guild, None, running.alice, "admin")
    denied = await fake.slash(
        running.guild, None, running.alice, "admin", bypass_default_permissions=True
    )
    assert (await denied.wait_response(STEP)).content == "You need Manage Server"
    allowed = await fake.slash(running.guild, None, running.mod, "admin")
    assert (await allowed.wait_response(STEP)).content == "ok"


async def test_modal_round_trip(running: Running) -> None:
    fake = running.fake
    shown = await fake.slash(running.guild, None, running.alice, "name")
    modal = await shown.wait_modal(STEP)
    assert modal["title"] == "Your name"
    submitted = await fake.submit_modal(shown, running.alice, {"name": "Alice"})
    reply = await submitted.wait_response(STEP)
    assert reply.content == "Hi Alice" and reply.ephemeral


async def test_heartbeats_acked_and_resume(running: Running) -> None:
    fake = running.fake
    start = fake.heartbeat_acks
    await asyncio.sleep(3.0)
    acks = fake.heartbeat_acks - start
    assert acks >= 4, f"only {acks} heartbeat ACKs in 3 s at a 0.5 s interval"
    assert fake.max_heartbeat_gap() < 1.5, fake.heartbeat_gaps()
    await fake.force_reconnect(STEP)
    handle = await fake.slash(running.guild, None, running.alice, "hello")
    assert (await handle.wait_response(STEP)).content == "Hello alice"


async def test_unknown_route_is_recorded(running: Running) -> None:
    fake = running.fake
    with pytest.raises(discord.NotFound):
        await running.bot.http.request(discord.http.Route("GET", "/voice/regions"))
    assert [r.path for r in fake.unknown_requests] == ["/voice/regions"]
    text = fake.transcript()
    assert "GATEWAY IDENTIFY" in text and "<redacted>" in text and fake.token not in text


async def test_late_callback_is_unknown_interaction() -> None:
    """A bot that answers after Discord's 3 s gets 404 Unknown interaction, like in production."""
    async with run_bot(FakeDiscord(interaction_ack_timeout=0.0)) as r:
        await r.fake.wait_ready(10, watch=r.task)
        handle = await r.fake.slash(r.guild, None, r.alice, "hello")
        await handle.wait_for(lambda h: h.errors, STEP, "an API error")
        assert handle.errors[0]["code"] == 10062 and not handle.acknowledged


async def test_privileged_intent_is_refused() -> None:
    """Asking for message_content without it being enabled fails like on Discord (4014)."""
    fake = await FakeDiscord().start()
    restore = patch_discord_urls(fake.api_base, fake.gateway_url)
    fake.add_guild("G")
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.AutoShardedBot(command_prefix="!", intents=intents)
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(bot.start(fake.token), 10)
    finally:
        await asyncio.wait_for(bot.close(), STEP)
        await fake.stop()
        restore()


async def test_multipart_upload_and_edit_original(running: Running) -> None:
    fake = running.fake
    handle = await fake.slash(running.guild, None, running.alice, "report")
    reply = await handle.wait_response(STEP, until=lambda m: m.content == "report v2")
    assert [kind for kind, _ in handle.history()] == ["callback", "edit_original"]
    callback = next(r for r in fake.requests if r.route and r.route.endswith("/callback"))
    assert callback.json["data"]["attachments"][0]["filename"] == "report.txt"
    assert [f.field for f in callback.files] == ["files[0]"]
    assert callback.files[0].data == b"line 1\nline 2\n"
    assert reply.attachments[0]["filename"] == "report.txt" and reply.edited
    assert fake.attachments[int(reply.attachments[0]["id"])].data == b"line 1\nline 2\n"


SUBPROCESS_BOT = """
import os, sys
import discord
sys.path.insert(0, os.environ["FAKE_TESTS_DIR"])
from discord_fake import patch_discord_urls

patch_discord_urls(os.environ["FAKE_API_BASE"], os.environ["FAKE_GATEWAY_URL"])


class Plain(discord.Client):
    async def on_message(self, message):
        if not message.author.bot and self.user in message.mentions:
            await message.reply("pong from a subprocess",
                                allowed_mentions=discord.AllowedMentions.none())


Plain(intents=discord.Intents.default()).run(os.environ["FAKE_TOKEN"], log_handler=None)
"""


async def test_plain_client_in_a_subprocess() -> None:
    """A plain Client (DEFAULT_GATEWAY path) in another process works against the fake."""
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Elsewhere")
    bob = fake.add_member(guild, "bob")
    env = dict(
        os.environ,
        FAKE_TESTS_DIR=os.path.dirname(os.path.abspath(__file__)),
        FAKE_API_BASE=fake.api_base,
        FAKE_GATEWAY_URL=fake.gateway_url,
        FAKE_TOKEN=fake.token,
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SUBPROCESS_BOT, env=env)
    try:
        await fake.wait_ready(15)
        assert "GET /gateway/bot" not in [r.route for r in fake.requests]
        asked = await fake.mention(guild, None, bob, "ping?")
        reply = await fake.wait_reply(asked, STEP)
        assert reply.content == "pong from a subprocess"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STEP)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await fake.stop()
