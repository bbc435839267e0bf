"""End to end: the real ArticleBot on the real engine, through the loopback fake of Discord.

The bot runs in the test's event loop and talks to the fake over real sockets (REST + gateway);
the engine is real (SQLite in a temporary home, the session's embedding model). Every test
asserts on what the fake received over the wire; after each test the fixture checks the rules
that hold for every request (mentions disabled, no API errors, no unknown routes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from discord_fake import FakeDiscord, Perm
from discord_world import (
    STEP,
    World,
    assert_wire_rules,
    bot_running,
    button,
    make_settings,
)

from bot import discord_render as render
from bot.discord_app import BAD_TOKEN, NO_TOKEN
from bot.discord_bot import COMMANDS_HASH_FILE
from index import Engine

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent

QUAKE_TITLE = "Earthquake kills 25 in Hatay"
QUAKE = (
    "A magnitude 6.4 earthquake struck the southern province of Hatay early on Monday, "
    "collapsing dozens of buildings. Twenty-five people were killed and more than 300 were "
    "injured, the national disaster agency said. Rescue teams worked through the night to reach "
    "survivors trapped under the rubble. The quake was felt as far away as Cyprus and Lebanon."
)
QUESTION = "How many people were killed in the earthquake?"
FLOOD_TITLE = "River floods the old town"
FLOOD = (
    "# River floods the old town\n\n"
    "Heavy rain pushed the river over its banks on Thursday. About 1,200 residents were "
    "evacuated from the old town, and the mayor said the water would recede by the weekend.\n"
)


def embed_size(embed: dict[str, Any]) -> int:
    fields = embed.get("fields") or []
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
    )


ADDED = re.compile(
    r"Added \*\*(?P<title>.+)\*\* as `(?P<id>\w+)`: (?P<chunks>\d+) chunks "
    r"in [\d.]+ s\."
)


# -- adding -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_moderator_adds_by_text_and_by_attachment(world: World) -> None:
    handle = await world.slash(world.a, world.mod, "add", {"text": QUAKE, "title": QUAKE_TITLE})
    reply = await handle.wait_response(STEP)
    assert handle.callback_type == 5, "the bot defers first"
    match = ADDED.fullmatch(reply.content)
    assert match, reply.content
    (info,) = world.library(world.a).list()
    assert (match["id"], match["title"], int(match["chunks"])) == (
        info.article_id,
        QUAKE_TITLE,
        info.chunks,
    )
    assert info.added_by == "mod"

    handle = await world.slash(
        world.a, world.mod, "add", attachments={"file": ("flood.md", FLOOD.encode())}
    )
    reply = await handle.wait_response(STEP)
    match = ADDED.fullmatch(reply.content)
    assert match, reply.content
    flood = world.library(world.a).get(match["id"])
    assert flood.chunks == int(match["chunks"]) >= 1
    assert any(
        r.route == "GET /attachments/{attachment_id}/{filename}" for r in world.fake.requests
    ), "the bot downloaded the attachment"

    handle = await world.slash(world.a, world.mod, "add", {"text": QUAKE, "title": "Again"})
    reply = await handle.wait_response(STEP)
    assert f"already in the library as `{info.article_id}`" in reply.content
    assert world.library(world.a).count() == 2

    # Refusals come before any work, privately, and say why.
    for options, attachments, why in (
        ({}, {"file": ("tool.exe", b"MZ\x90\x00")}, "I can read .txt, .md, .html and .pdf"),
        ({"text": QUAKE}, {}, "title"),
        ({"url": "file:///etc/passwd"}, {}, "http:// or https://"),
        ({"url": "https://a.example", "text": "x", "title": "t"}, {}, "exactly one"),
    ):
        handle = await world.slash(world.a, world.mod, "add", options, attachments=attachments)
        reply = await handle.wait_response(STEP)
        assert handle.callback_type == 4 and reply.ephemeral, reply
        assert why in reply.content
    assert world.library(world.a).count() == 2


@pytest.mark.slow
async def test_add_by_url_refuses_private_addresses_unless_allowed(start_world) -> None:
    page = (
        f"<html><head><title>{QUAKE_TITLE}</title></head><body><article><h1>{QUAKE_TITLE}"
        f"</h1><p>{QUAKE}</p></article></body></html>"
    ).encode()
    world = await start_world()
    url = world.fake.add_attachment("quake.html", page, "text/html").url  # on 127.0.0.1
    handle = await world.slash(world.a, world.mod, "add", {"url": url})
    await handle.wait_for(
        lambda h: [e.kind for e in h.events][-2:] == ["delete", "followup"],
        STEP,
        "a private refusal",
    )
    assert handle.events[-1].body["flags"] & 64 and handle.events[-1].body["content"]
    assert world.library(world.a).count() == 0
    assert not any(r.path.startswith("/attachments/") for r in world.fake.requests), (
        "a private address is refused before any connection"
    )

    trusting = await start_world(ARTICLEBOT_ALLOW_PRIVATE_URLS="1")
    url = trusting.fake.add_attachment("quake.html", page, "text/html").url
    handle = await trusting.slash(trusting.a, trusting.mod, "add", {"url": url})
    match = ADDED.fullmatch((await handle.wait_response(STEP)).content)
    assert match and match["title"] == QUAKE_TITLE
    (info,) = trusting.library(trusting.a).list()
    assert info.url == url


async def test_member_without_manage_server_is_refused(world: World) -> None:
    for name in ("add", "remove", "rebuild"):
        assert world.fake.command(name)["default_member_permissions"] == str(Perm.MANAGE_GUILD)
    assert world.fake.command("ask").get("default_member_permissions") is None
    for name, options in (
        ("add", {"text": QUAKE, "title": QUAKE_TITLE}),
        ("remove", {"id": "abc"}),
        ("rebuild", {}),
    ):
        handle = await world.slash(
            world.a, world.alice, name, options, bypass_default_permissions=True
        )
        callback = await handle.wait_callback(STEP)
        assert callback["type"] == 4 and callback["data"]["flags"] & 64, callback
        assert callback["data"]["content"] == "You need the Manage Server permission to do that."
    assert world.library(world.a).count() == 0


@pytest.mark.slow
async def test_per_guild_article_limit(start_world) -> None:
    world = await start_world(ARTICLEBOT_MAX_ARTICLES="1")
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    handle = await world.slash(world.a, world.mod, "add", {"text": FLOOD, "title": FLOOD_TITLE})
    reply = await handle.wait_response(STEP)
    assert reply.ephemeral and "library is full (1 articles)" in reply.content
    assert world.library(world.a).count() == 1


@pytest.mark.slow
async def test_per_guild_byte_limit(start_world) -> None:
    world = await start_world(ARTICLEBOT_MAX_LIBRARY_BYTES=str(len(QUAKE.encode())))
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    handle = await world.slash(world.a, world.mod, "add", {"text": FLOOD, "title": FLOOD_TITLE})
    reply = await handle.wait_response(STEP)
    assert reply.ephemeral and "library is full" in reply.content and "MB of text" in reply.content
    assert world.library(world.a).count() == 1


# -- asking -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_member_asks_by_slash_and_by_mention(world: World) -> None:
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    expected = (await asyncio.to_thread(world.library(world.a).ask, QUESTION, 4)).passages[0]
    assert expected.answer_text and "Twenty-five" in expected.text
    bold = f"**{render.escape(expected.answer_text.strip())}**"

    handle = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    reply = await handle.wait_response(STEP)
    assert handle.callback_type == 5 and not handle.ephemeral, "deferred, public"
    assert [kind for kind, _ in handle.history()] == ["callback", "followup"]
    (embed,) = reply.embeds
    assert embed["title"] == QUAKE_TITLE
    assert bold in embed["description"]
    assert "Twenty-five" in embed["description"]
    assert "Added by seed on" in embed["description"]  # no url: who added it and when

    asked = await world.fake.mention(world.a, None, world.alice, QUESTION)
    answer = await world.fake.wait_reply(asked, STEP)
    assert answer.message_reference["message_id"] == str(asked.id)
    assert answer.embeds[0]["title"] == QUAKE_TITLE and bold in answer.embeds[0]["description"]
    assert world.fake.typing, "typing shown while answering"

    empty = await world.fake.mention(world.a, None, world.alice, "")
    assert (
        "Ask me a question after the mention" in (await world.fake.wait_reply(empty, STEP)).content
    )
    # A message that does not mention the bot gets no answer.
    before = len(world.fake.message_sends())
    await world.fake.send_user_message(world.a, None, world.alice, QUESTION)
    await asyncio.sleep(0.5)
    assert len(world.fake.message_sends()) == before


@pytest.mark.slow
async def test_guild_articles_are_invisible_from_another_guild(world: World) -> None:
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    handle = await world.slash(world.b, world.bob, "ask", {"question": QUESTION})
    reply = await handle.wait_response(STEP)
    assert reply.content.startswith(render.NOTHING_FOUND) and not reply.embeds
    assert "Hatay" not in reply.text()
    handle = await world.slash(world.b, world.bob, "articles")
    reply = await handle.wait_response(STEP)
    assert "No articles yet" in reply.text() and "Hatay" not in reply.text()
    asked = await world.fake.mention(world.b, None, world.bob, QUESTION)
    assert (await world.fake.wait_reply(asked, STEP)).content.startswith(render.NOTHING_FOUND)


@pytest.mark.slow
async def test_quoted_mentions_never_ping(world: World) -> None:
    text = (
        "Protesters chanted @everyone to the square and a banner read <@123> welcome. "
        "Police said forty people were arrested during the protest on Friday."
    )
    await world.seed(world.a, text, "Protest @everyone <@123>")
    question = "How many people were arrested at the protest?"
    handle = await world.slash(world.a, world.alice, "ask", {"question": question})
    reply = await handle.wait_response(STEP)
    asked = await world.fake.mention(world.a, None, world.alice, question)
    mention_reply = await world.fake.wait_reply(asked, STEP)
    for message in (reply, mention_reply):
        description = message.embeds[0]["description"]
        assert "@everyone" in description and "\\<@123>" in description
        assert "<@123>" in message.embeds[0]["title"]
        assert message.pinged_user_ids == []
    sends = world.fake.message_sends()
    assert len(sends) >= 2
    for request, payload in sends:
        assert payload["allowed_mentions"]["parse"] == [], request.summary()


@pytest.mark.slow
async def test_ten_thousand_character_passage_is_cut_to_the_limits(world: World) -> None:
    words = [
        "internationalization",
        "counterrevolutionaries",
        "electroencephalography",
        "reconstruction",
        "infrastructure",
        "parliamentarians",
        "telecommunications",
        "bridges",
        "budget",
    ]
    text = " ".join(words[(i * 7 + i // 3) % len(words)] for i in range(800))[:10_000]
    handle = await world.slash(
        world.a,
        world.mod,
        "add",
        {"title": "A very long paragraph"},
        attachments={"file": ("long.txt", text.encode())},
    )
    assert ADDED.fullmatch((await handle.wait_response(STEP)).content)
    handle = await world.slash(
        world.a,
        world.alice,
        "ask",
        {"question": "What about the infrastructure reconstruction budget?"},
    )
    reply = await handle.wait_response(STEP)
    (embed,) = reply.embeds
    assert len(embed["description"]) <= 4096
    assert all(len(f["value"]) <= 1024 for f in embed.get("fields") or [])
    assert embed_size(embed) <= 6000
    assert "…" in reply.text(), "a long quote is cut with an ellipsis"
    for _, payload in world.fake.message_sends():
        assert len(payload.get("content") or "") <= 2000
        for sent in payload.get("embeds") or []:
            assert embed_size(sent) <= 6000 and len(sent.get("description") or "") <= 4096
            assert all(len(f["value"]) <= 1024 for f in sent.get("fields") or [])


MORE = [
    (
        "Hatay death toll rises",
        "The death toll from Monday's earthquake in Hatay rose to "
        "twenty-five people killed, officials said on Tuesday.",
    ),
    (
        "Survivors pulled from rubble",
        "Rescuers pulled eleven survivors from collapsed buildings "
        "after the earthquake killed twenty-five people in Hatay.",
    ),
    (
        "Aid arrives after quake",
        "Aid convoys reached Hatay two days after the earthquake that "
        "killed twenty-five people and injured hundreds.",
    ),
    (
        "Mourning in Hatay",
        "Funerals were held for the twenty-five people killed in the "
        "earthquake that struck Hatay on Monday.",
    ),
    (
        "Quake damage assessed",
        "Engineers inspected buildings damaged by the deadly earthquake "
        "in Hatay, where twenty-five people were killed.",
    ),
]


@pytest.mark.slow
async def test_more_passages_button_is_for_the_asker_only(world: World) -> None:
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    for title, text in MORE:
        await world.seed(world.a, text, title)
    handle = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    reply = await handle.wait_response(STEP)
    assert "Passages 1–3" in reply.embeds[0]["footer"]["text"]
    more = button(reply, "More passages")
    assert not more.get("disabled") and button(reply, "Previous").get("disabled")
    first_page = reply.embeds[0]

    refused = await world.fake.click(reply, more["custom_id"], world.carol)
    refusal = await refused.wait_response(STEP)
    assert refused.callback_type == 4 and refusal.ephemeral
    assert "Only the person who asked" in refusal.content
    assert world.fake.message(reply.id).embeds[0] == first_page, "unchanged for carol"

    click = await world.fake.click(reply, more["custom_id"], world.alice)
    page = await click.wait_response(STEP)
    assert click.callback_type == 6 and page.id == reply.id, "the answer is edited in place"
    assert "Passages 4–" in page.embeds[0]["footer"]["text"]
    assert page.embeds[0] != first_page
    back = await world.fake.click(page, button(page, "Previous")["custom_id"], world.alice)
    again = await back.wait_response(STEP)
    assert again.embeds[0]["footer"]["text"] == first_page["footer"]["text"]


@pytest.mark.slow
async def test_ask_cooldown(start_world) -> None:
    world = await start_world(ARTICLEBOT_ASK_COOLDOWN="60")
    await world.seed(world.a, QUAKE, QUAKE_TITLE)
    first = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    assert (await first.wait_response(STEP)).embeds
    second = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    refusal = await second.wait_response(STEP)
    assert second.callback_type == 4 and refusal.ephemeral
    assert re.fullmatch(r"Slow down: try again in (5\d|60) s\.", refusal.content), refusal.content
    asked = await world.fake.mention(world.a, None, world.alice, QUESTION)
    reply = await world.fake.wait_reply(asked, STEP)
    assert reply.content.startswith("Slow down: try again in") and not reply.embeds
    other = await world.slash(world.a, world.carol, "ask", {"question": QUESTION})
    assert (await other.wait_response(STEP)).embeds, "the cooldown is per user"


@pytest.mark.slow
async def test_add_cooldown(start_world) -> None:
    world = await start_world(ARTICLEBOT_ADD_COOLDOWN="60")
    first = await world.slash(world.a, world.mod, "add", {"text": QUAKE, "title": QUAKE_TITLE})
    assert "Added" in (await first.wait_response(STEP)).content
    second = await world.slash(world.a, world.mod, "add", {"text": FLOOD, "title": FLOOD_TITLE})
    refusal = await second.wait_response(STEP)
    assert refusal.ephemeral and refusal.content.startswith("Slow down: try again in")
    assert [a.title for a in world.library(world.a).list()] == [QUAKE_TITLE]


# -- listing, removing ------------------------------------------------------------------------


@pytest.mark.slow
async def test_articles_are_paginated(world: World) -> None:
    records = [
        {
            "title": f"Council report {i:02}",
            "text": f"The council met for session {i} and approved item {i} of the agenda.",
        }
        for i in range(12)
    ]
    await asyncio.to_thread(world.library(world.a).import_records, records, "seed")
    handle = await world.slash(world.a, world.alice, "articles")
    page1 = await handle.wait_response(STEP)
    assert page1.ephemeral and "Page 1 of 2 · 12 articles" in page1.embeds[0]["footer"]["text"]
    assert page1.embeds[0]["description"].count("added by seed") == 10
    assert button(page1, "Previous").get("disabled")
    first_ids = re.findall(r"`(\w+)`", page1.embeds[0]["description"])  # before it is edited
    click = await world.fake.click(page1, button(page1, "Next")["custom_id"], world.alice)
    page2 = await click.wait_response(STEP)
    assert click.callback_type == 7 and page2.id == page1.id
    assert "Page 2 of 2" in page2.embeds[0]["footer"]["text"]
    assert page2.embeds[0]["description"].count("added by seed") == 2
    assert button(page2, "Next").get("disabled")
    listed = {info.article_id for info in world.library(world.a).list()}
    shown = first_ids + re.findall(r"`(\w+)`", page2.embeds[0]["description"])
    assert len(shown) == 12 and set(shown) == listed


@pytest.mark.slow
async def test_remove_with_autocomplete(world: World, caplog) -> None:
    quake_id = await world.seed(world.a, QUAKE, QUAKE_TITLE)
    await world.seed(world.a, FLOOD, FLOOD_TITLE)
    choices = await world.fake.autocomplete(
        world.a, None, world.mod, "remove", focused="id", options={"id": "earth"}, timeout=STEP
    )
    assert choices == [{"name": QUAKE_TITLE, "value": quake_id}]
    everything = await world.fake.autocomplete(
        world.a, None, world.mod, "remove", focused="id", timeout=STEP
    )
    assert {c["name"] for c in everything} == {QUAKE_TITLE, FLOOD_TITLE}
    assert (
        await world.fake.autocomplete(
            world.a, None, world.alice, "remove", focused="id", timeout=STEP
        )
        == []
    ), "members see no titles"

    with caplog.at_level(logging.INFO, logger="bot"):
        handle = await world.slash(world.a, world.mod, "remove", {"id": quake_id})
        reply = await handle.wait_response(STEP)
    assert reply.content == f"Removed **{QUAKE_TITLE}** (`{quake_id}`)."
    assert f"user mod ({world.mod.id}) removed {quake_id}" in caplog.text
    assert [i.title for i in world.library(world.a).list()] == [FLOOD_TITLE]

    # Removing it again: the public "thinking…" is dropped and the error is private.
    # (Asserted on the requests: the fake applies a follow-up to a deleted placeholder.)
    handle = await world.slash(world.a, world.mod, "remove", {"id": quake_id})
    await handle.wait_for(
        lambda h: [e.kind for e in h.events][-2:] == ["delete", "followup"],
        STEP,
        "the placeholder deleted, then a private follow-up",
    )
    followup = handle.events[-1].body
    assert followup["flags"] & 64 and "No article with id" in followup["content"]
    gone = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    assert "Hatay" not in (await gone.wait_response(STEP)).text()


# -- rebuilding, heartbeats -------------------------------------------------------------------


@pytest.mark.slow
async def test_rebuild_reports_progress_answers_meanwhile_and_heartbeats(start_world) -> None:
    interval = 0.4
    world = await start_world(heartbeat_ms=int(interval * 1000))
    topics = [
        "harbour",
        "railway",
        "school",
        "hospital",
        "library",
        "stadium",
        "market",
        "museum",
        "airport",
        "bridge",
    ]
    # 25 articles of 17 short sentences: about 200 chunks, embedded in few, larger batches.
    records = [
        {
            "title": f"{topics[i % 10].title()} works, part {i}",
            "text": " ".join(
                f"Crews finished stage {j} of the {topics[i % 10]} project in district {i}."
                for j in range(17)
            ),
        }
        for i in range(25)
    ]
    records.append({"title": QUAKE_TITLE, "text": QUAKE})
    library = world.library(world.a)
    await asyncio.to_thread(library.import_records, records, "seed")
    chunks = sum(info.chunks for info in library.list())
    assert chunks >= 150

    acks_before = world.fake.heartbeat_acks
    started = time.monotonic()
    rebuild = await world.slash(world.a, world.mod, "rebuild")
    await rebuild.wait_callback(STEP)
    asked = await world.slash(world.a, world.alice, "ask", {"question": QUESTION})
    answer = await asked.wait_response(STEP)
    answered_at = time.monotonic()
    assert answer.embeds and answer.embeds[0]["title"] == QUAKE_TITLE
    final = await rebuild.wait_response(
        STEP * 3, until=lambda m: m.content.startswith("Rebuilt the library")
    )
    finished = time.monotonic()
    assert re.fullmatch(
        rf"Rebuilt the library: 26 articles, {chunks} chunks in [\d.]+ s\.", final.content
    ), final.content

    edits = [e for e in rebuild.events if e.kind == "edit_original"]
    progress = [e for e in edits if e.message["content"].startswith("Rebuilding the library…")]
    assert progress, [e.message["content"] for e in edits]
    assert edits[-1].message["content"] == final.content
    for earlier, later in zip(progress, progress[1:], strict=False):
        assert later.time - earlier.time >= 1.9, "progress is edited at most every 2 s"
    rebuild_done = edits[-1].time
    if rebuild_done - started > 3:  # the question was answered while the rebuild ran
        assert answered_at < rebuild_done

    beats = [b.time for b in world.fake.heartbeats if started <= b.time <= finished]
    assert world.fake.heartbeat_acks - acks_before >= max(2, len(beats) - 1)
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    assert gaps and max(gaps) <= 2 * interval + 0.2, f"heartbeat blocked: gaps {gaps}"
    log.info(
        "rebuild of %d chunks took %.1fs; %d progress edits; max heartbeat gap %.2fs",
        chunks,
        finished - started,
        len(progress),
        max(gaps),
    )


# -- start-up ---------------------------------------------------------------------------------


@pytest.mark.slow
async def test_commands_sync_only_when_changed_and_to_the_dev_guild(encoder, tmp_path) -> None:
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Dev")
    engine = None
    try:
        settings = make_settings(tmp_path / "home", fake)
        engine = Engine(settings.engine_config(), encoder=encoder)
        put_global = "PUT /applications/{application_id}/commands"
        put_guild = "PUT /applications/{application_id}/guilds/{guild_id}/commands"

        def puts(route: str) -> int:
            return sum(1 for r in fake.requests if r.route == route)

        async with bot_running(fake, settings, engine):
            pass
        assert puts(put_global) == 1
        assert {c["name"] for c in fake.registered_commands()} == {
            "ask",
            "add",
            "articles",
            "remove",
            "rebuild",
            "help",
        }
        assert (settings.home / COMMANDS_HASH_FILE).is_file()
        async with bot_running(fake, settings, engine):
            pass
        assert puts(put_global) == 1, "unchanged commands are not synced again"
        dev = make_settings(tmp_path / "home", fake, DISCORD_DEV_GUILD=str(guild.id))
        async with bot_running(fake, dev, engine):
            pass
        assert puts(put_global) == 1 and puts(put_guild) == 1
        assert {c["name"] for c in fake.registered_commands(guild)} >= {"ask", "add"}
        for command in fake.registered_commands():
            assert command["description"], command["name"]
            for option in command.get("options") or []:
                assert option["description"], (command["name"], option["name"])
        assert_wire_rules(fake)
    finally:
        await fake.stop()
        if engine is not None:
            engine.close()


class GatewayElsewhere(FakeDiscord):
    """A Discord-compatible server whose ``GET /gateway/bot`` names an unreachable gateway."""

    async def _r_gateway_bot(self, req: Any) -> tuple[int, Any]:
        status, body = await super()._r_gateway_bot(req)
        return status, {**body, "url": "ws://127.0.0.1:9/unreachable"}


@pytest.mark.slow
async def test_discord_gateway_url_setting_wins(encoder, tmp_path) -> None:
    fake = await GatewayElsewhere().start()
    fake.add_guild("Elsewhere")
    engine = None
    try:
        settings = make_settings(tmp_path / "home", fake)
        assert settings.discord_gateway_url == fake.gateway_url
        engine = Engine(settings.engine_config(), encoder=encoder)
        async with bot_running(fake, settings, engine) as bot:
            assert bot.is_ready() and fake.ready_sessions
        assert any(r.route == "GET /gateway/bot" for r in fake.requests)
    finally:
        await fake.stop()
        if engine is not None:
            engine.close()


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARTICLEBOT_"))}
    env.update(
        {
            "ARTICLEBOT_HOME": str(tmp_path / "home"),
            "ARTICLEBOT_SEED_SAMPLES": "0",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env


def _not_log_lines(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not re.match(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
    ]


def test_run_without_token_exits_2_with_one_line(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=_cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [NO_TOKEN]


@pytest.mark.slow
async def test_run_with_rejected_token_exits_2_without_leaking_it(tmp_path) -> None:
    fake = await FakeDiscord(token="the-real-token").start()
    try:
        secret = "wrong-" + secrets.token_hex(24)
        env = _cli_env(
            tmp_path,
            DISCORD_TOKEN=secret,
            DISCORD_API_BASE=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            ARTICLEBOT_LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "-v",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        await fake.stop()
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 2, stderr
    assert _not_log_lines(stderr) == [BAD_TOKEN]
    assert "Traceback" not in stderr
    assert secret not in stderr and secret not in stdout
    assert "DEBUG" in stderr, "the most verbose log was checked for the token"
    me = [r for r in fake.requests if r.route == "GET /users/@me"]
    assert me and me[0].status == 401
