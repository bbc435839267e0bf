"""Why this passage, preview before adding, and the audit trail, through the loopback Discord.

The real bot on the real engine talks to the fake over real sockets; pages are served by the
fake itself on 127.0.0.1 (so the worlds that fetch them allow private URLs, as tests may).
Every test ends with the wire rules of tests/discord_world.py (mentions disabled, no API
errors, no unknown routes).
"""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from discord_fake import InvalidInvocation
from discord_world import ADDED, STEP, World, button
from sample_articles import (
    FULL_PAGE,
    FULL_PARAGRAPHS,
    FULL_TITLE,
    LIBRARY,
    QUAKE_QUESTION,
    SHORT_PAGE,
    SHORT_TITLE,
)

from bot import discord_render as render

log = logging.getLogger(__name__)

TRUSTING = {"ARTICLEBOT_ALLOW_PRIVATE_URLS": "1"}


def labels(message) -> list[str]:
    return [item["label"] for row in message.components for item in row["components"]]


def page_fetches(world: World) -> int:
    return sum(1 for r in world.fake.requests if r.path.startswith("/attachments/"))


# -- 4. why this passage ----------------------------------------------------------------------


@pytest.mark.slow
async def test_why_is_private_to_the_asker_and_reads_the_kept_evidence(world: World) -> None:
    library = world.library(world.a)
    await asyncio.to_thread(library.import_records, LIBRARY, "seed")
    expected = await asyncio.to_thread(library.ask, QUAKE_QUESTION, 4, explain=True)
    assert len(expected.passages) == 4, "enough for a second page"

    handle = await world.slash(world.a, world.alice, "ask", {"question": QUAKE_QUESTION})
    reply = await handle.wait_response(STEP)
    assert labels(reply) == ["Previous", "More passages", "Why?"]
    why = button(reply, "Why?")

    refused = await world.fake.click(reply, why["custom_id"], world.carol)
    refusal = await refused.wait_response(STEP)
    assert refused.callback_type == 4 and refusal.ephemeral
    assert "Only the person who asked" in refusal.content and not refusal.embeds

    # The evidence was kept with the answer: "Why?" still explains it after the best article
    # is gone, which a second search could not.
    await asyncio.to_thread(library.remove, expected.passages[0].article_id, "seed")
    click = await world.fake.click(reply, why["custom_id"], world.alice)
    shown = await click.wait_response(STEP)
    assert click.callback_type == 4 and shown.ephemeral and shown.id != reply.id
    (embed,) = shown.embeds
    assert embed["title"] == "Why these passages"
    fields = embed["fields"]
    assert len(fields) == render.PASSAGES_PER_PAGE
    for number, (item, passage) in enumerate(zip(fields, expected.passages, strict=False), 1):
        why_this = passage.explain
        assert item["name"] == f"{number}. {render.escape(passage.title)}"
        value = item["value"]
        assert f"Fused: #{why_this.fused_rank} ({why_this.fused_score:.4f})" in value
        assert f"Dense: #{why_this.dense_rank} (cosine {why_this.dense_score:.3f})" in value
        assert f"Lexical: #{why_this.lexical_rank} (BM25 {why_this.lexical_score:.3f})" in value
        assert f"Matched sentence (score {why_this.sentence_score:.3f}" in value
        assert render.escape(why_this.sentence)[:60] in value
    assert world.fake.message(reply.id).embeds == reply.embeds, "the answer is unchanged"
    log.info("why transcript:\n%s", world.fake.transcript(max_body=1500))

    # The explanation follows the page shown (the article is back, so there is a second page).
    back = [r for r in LIBRARY if r["title"] == expected.passages[0].title]
    await asyncio.to_thread(library.import_records, back, "seed")
    more = await world.fake.click(reply, button(reply, "More passages")["custom_id"], world.alice)
    second = await more.wait_response(STEP)
    assert re.match(r"Passages? 4", second.embeds[0]["footer"]["text"])
    click = await world.fake.click(second, button(second, "Why?")["custom_id"], world.alice)
    page2 = (await click.wait_response(STEP)).embeds[0]["fields"]
    assert page2 and page2[0]["name"].startswith("4. ")


@pytest.mark.slow
async def test_why_on_a_mention_reply_with_one_page(world: World) -> None:
    await world.seed(world.a, LIBRARY[0]["text"], LIBRARY[0]["title"])
    asked = await world.fake.mention(world.a, None, world.alice, QUAKE_QUESTION)
    reply = await world.fake.wait_reply(asked, STEP)
    assert labels(reply) == ["Why?"], "one page: no paging buttons"
    refused = await world.fake.click(reply, button(reply, "Why?")["custom_id"], world.mod)
    assert "Only the person who asked" in (await refused.wait_response(STEP)).content
    click = await world.fake.click(reply, button(reply, "Why?")["custom_id"], world.alice)
    shown = await click.wait_response(STEP)
    assert shown.ephemeral
    values = [f["value"] for f in shown.embeds[0]["fields"]]
    assert values and "Twenty-five people were killed" in values[0]


# -- 5. preview before adding -----------------------------------------------------------------


@pytest.mark.slow
async def test_preview_then_add_stores_exactly_the_previewed_page(start_world) -> None:
    world = await start_world(**TRUSTING)
    url = world.fake.add_attachment("dam.html", FULL_PAGE.encode(), "text/html").url
    handle = await world.slash(world.a, world.mod, "add", {"url": url})
    preview = await handle.wait_response(STEP)
    assert handle.callback_type == 5 and handle.ephemeral, "deferred privately while fetching"
    assert preview.ephemeral and preview.content == render.PREVIEW_CONTENT
    (embed,) = preview.embeds
    assert (embed["title"], embed["url"]) == (FULL_TITLE, url)
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Outlet": "Valley News",
        "Published": "2024-05-14",
        "Byline": "Maria Lopez",
        "Words": embed["fields"][3]["value"],
    }
    assert int(embed["fields"][3]["value"]) >= 150
    assert embed["description"] == "> " + FULL_PARAGRAPHS[0], "no warning, first paragraph"
    assert labels(preview) == ["Add", "Cancel"]
    assert world.library(world.a).count() == 0 and page_fetches(world) == 1

    other = await world.fake.click(preview, button(preview, "Add")["custom_id"], world.carol)
    assert "Only the moderator who used /add" in (await other.wait_response(STEP)).content
    assert world.library(world.a).count() == 0

    click = await world.fake.click(preview, button(preview, "Add")["custom_id"], world.mod)
    announced = await world.fake.wait_message(
        preview.channel_id, lambda m: not m.ephemeral and ADDED.fullmatch(m.content), STEP
    )
    edited = world.fake.message(preview.id)  # edited before the announcement was sent
    assert click.callback_type == 7 and edited.content == announced.content
    assert not edited.components, "the buttons are gone once added"
    (info,) = world.library(world.a).list()
    assert (info.title, info.url, info.added_by) == (FULL_TITLE, url, "mod")
    assert ADDED.fullmatch(announced.content)["id"] == info.article_id
    assert page_fetches(world) == 1, "stored what was previewed, without fetching again"
    stored = world.engine.store.article(str(world.a.id), info.article_id)
    assert stored.text.startswith(FULL_TITLE + "\nVALLEY CITY, May 14\n" + FULL_PARAGRAPHS[0])
    (entry,) = world.library(world.a).audit()
    assert (entry.action, entry.article_id, entry.who) == ("add", info.article_id, "mod")
    log.info("preview transcript:\n%s", world.fake.transcript(max_body=1500))


@pytest.mark.slow
async def test_a_short_page_is_flagged_and_cancel_stores_nothing(start_world) -> None:
    world = await start_world(**TRUSTING)
    url = world.fake.add_attachment("teaser.html", SHORT_PAGE.encode(), "text/html").url
    handle = await world.slash(world.a, world.mod, "add", {"url": url})
    preview = await handle.wait_response(STEP)
    (embed,) = preview.embeds
    assert embed["title"] == SHORT_TITLE and embed["color"] == render.WARNING_COLOUR.value
    assert re.match(r"⚠️ Only \d+ words were extracted", embed["description"])
    assert "may be paywalled or need JavaScript" in embed["description"]
    assert "subscribe to continue" in embed["description"]

    click = await world.fake.click(preview, button(preview, "Cancel")["custom_id"], world.mod)
    cancelled = await click.wait_response(STEP)
    assert click.callback_type == 7 and cancelled.id == preview.id
    assert cancelled.content == render.PREVIEW_CANCELLED and not cancelled.components
    await asyncio.sleep(0.3)
    assert world.library(world.a).count() == 0 and world.library(world.a).audit() == []
    assert not [m for m in world.fake.bot_messages_in(preview.channel_id) if not m.ephemeral]


@pytest.mark.slow
async def test_an_unanswered_preview_times_out_with_its_buttons_disabled(start_world) -> None:
    world = await start_world(**TRUSTING)
    world.bot.get_cog("Library").preview_timeout = 1.0
    url = world.fake.add_attachment("dam.html", FULL_PAGE.encode(), "text/html").url
    handle = await world.slash(world.a, world.mod, "add", {"url": url})
    preview = await handle.wait_response(STEP)
    expired = await handle.wait_response(STEP, until=lambda m: "expired" in m.content)
    assert expired.id == preview.id and expired.content == render.preview_expired(1.0)
    assert labels(expired) == ["Add", "Cancel"]
    assert all(item.get("disabled") for row in expired.components for item in row["components"])
    with pytest.raises(InvalidInvocation, match="disabled"):
        await world.fake.click(expired, button(expired, "Add")["custom_id"], world.mod)
    assert world.library(world.a).count() == 0 and world.library(world.a).audit() == []


@pytest.mark.slow
async def test_members_cannot_preview_or_add(start_world) -> None:
    world = await start_world(**TRUSTING)
    url = world.fake.add_attachment("dam.html", FULL_PAGE.encode(), "text/html").url
    handle = await world.slash(
        world.a, world.alice, "add", {"url": url}, bypass_default_permissions=True
    )
    refusal = await handle.wait_response(STEP)
    assert handle.callback_type == 4 and refusal.ephemeral
    assert refusal.content == "You need the Manage Server permission to do that."
    assert page_fetches(world) == 0, "refused before fetching"
    assert world.library(world.a).count() == 0


# -- 6. audit ---------------------------------------------------------------------------------


@pytest.mark.slow
async def test_articles_show_the_adder_and_removals_are_audited(world: World) -> None:
    handle = await world.slash(
        world.a, world.mod, "add", {"text": LIBRARY[2]["text"], "title": LIBRARY[2]["title"]}
    )
    article_id = ADDED.fullmatch((await handle.wait_response(STEP)).content)["id"]
    await world.seed(world.a, LIBRARY[3]["text"], LIBRARY[3]["title"])
    (info, _) = world.library(world.a).list()
    listing = await (await world.slash(world.a, world.alice, "articles")).wait_response(STEP)
    description = listing.embeds[0]["description"]
    added_at = f"{info.added_at[:10]} {info.added_at[11:16]} UTC"
    assert f"`{article_id}` · added by mod on {added_at}" in description
    assert "added by seed on " in description

    removal = await world.slash(world.a, world.mod, "remove", {"id": article_id})
    assert (await removal.wait_response(STEP)).content.startswith("Removed")
    latest = world.library(world.a).audit()[0]
    assert (latest.action, latest.article_id, latest.title, latest.who) == (
        "remove",
        article_id,
        LIBRARY[2]["title"],
        "mod",
    )

    audit = await world.slash(world.a, world.mod, "audit")
    shown = await audit.wait_response(STEP)
    assert audit.callback_type == 4 and shown.ephemeral
    lines = shown.embeds[0]["description"].splitlines()
    assert len(lines) == 3
    assert lines[0].endswith(f"· **removed** `{article_id}` {LIBRARY[2]['title']} · by mod")
    assert lines[1].endswith(f"{LIBRARY[3]['title']} · by seed")
    assert lines[2].endswith(f"· **added** `{article_id}` {LIBRARY[2]['title']} · by mod")
    log.info("audit transcript:\n%s", world.fake.transcript(max_body=1500))

    member = await world.slash(world.a, world.alice, "audit", bypass_default_permissions=True)
    refused = await member.wait_response(STEP)
    assert refused.ephemeral and "Manage Server" in refused.content and not refused.embeds
    other = await world.slash(world.b, world.bob, "articles")
    assert "No articles yet" in (await other.wait_response(STEP)).text()
