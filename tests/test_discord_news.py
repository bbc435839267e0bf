"""News-aware answers over the loopback Discord (issue 7, points 1-3): /ask with since/before,
a reply listing conflicting figures, an "also reported by" reply, /add of a near-duplicate and
/articles showing the group.

The real bot and engine against the fake Discord (tests/discord_world.py); assertions are on
what the fake received over the wire. Each request body is logged (``wire:``) so a run with
``--log-cli-level=INFO`` shows the transcript.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from discord_world import STEP, World, button
from news_articles import (
    FIRES_QUESTION,
    FLOOD,
    QUAKES,
    STRIKES,
    TOLL_QUESTION,
    WIRE_AP,
    WIRE_GUARDIAN,
    WIRES,
)

log = logging.getLogger(__name__)


async def seed(world: World, records: list[dict]) -> None:
    """Add articles with their outlet and date through the facade (setup, not under test)."""
    await asyncio.to_thread(world.library(world.a).import_records, records, "seed")


def log_wire(handle) -> None:
    for event in handle.events:
        log.info("wire: %s %s", event.kind, json.dumps(event.body, ensure_ascii=False))


@pytest.mark.slow
async def test_ask_with_since_and_before(world: World) -> None:
    await seed(world, STRIKES + [FLOOD])
    handle = await world.slash(
        world.a, world.alice, "ask", {"question": TOLL_QUESTION, "since": "2020-01-01"}
    )
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    assert handle.callback_type == 5, "deferred: the question is answered in a thread"
    (embed,) = reply.embeds
    assert embed["title"] == "Death toll from US strikes in Iraq rises"
    assert "**Twenty-six**" in embed["description"]
    assert "Reuters · Published 1 Jan 2020" in embed["description"]
    assert embed["footer"]["text"].startswith("Only articles dated from 1 Jan 2020.")
    assert not any(f["name"] == "Sources differ" for f in embed.get("fields", []))

    handle = await world.slash(
        world.a, world.alice, "ask", {"question": TOLL_QUESTION, "before": "2020-01-01"}
    )
    (embed,) = (await handle.wait_response(STEP)).embeds
    assert "Reuters" not in json.dumps(embed), "the 1 January report is outside the window"
    assert embed["footer"]["text"].startswith("Only articles dated before 1 Jan 2020.")

    handle = await world.slash(
        world.a, world.alice, "ask", {"question": TOLL_QUESTION, "since": "last week"}
    )
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    assert handle.callback_type == 4 and reply.ephemeral, "refused at once, privately"
    assert reply.content == (
        "since must be a date like 2019-12-31 or a span back from today like 7d, 2w, 1m or 1y, "
        "not 'last week'."
    )

    handle = await world.slash(
        world.a, world.alice, "ask", {"question": TOLL_QUESTION, "since": "2021-01-01"}
    )
    reply = await handle.wait_response(STEP)
    assert "I found nothing about that" in reply.content
    assert "Only articles dated from 1 Jan 2021." in reply.content


@pytest.mark.slow
async def test_conflicting_figures_reply(world: World) -> None:
    await seed(world, STRIKES + [FLOOD])
    handle = await world.slash(world.a, world.alice, "ask", {"question": TOLL_QUESTION})
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    (embed,) = reply.embeds
    (field,) = [f for f in embed["fields"] if f["name"] == "Sources differ"]
    value = field["value"]
    assert "**25** — Business Insider, 31 Dec 2019" in value
    assert "**26** — Reuters, 1 Jan 2020" in value
    assert value.index("**25**") < value.index("**26**"), "in date order"
    assert "> The strikes killed **25** fighters" in value
    assert "> **Twenty-six** fighters were killed in the strikes" in value
    assert "Al Jazeera" not in value, "two dozen is not a figure"


@pytest.mark.slow
async def test_also_reported_by_reply(world: World) -> None:
    await seed(world, WIRES + [FLOOD])
    handle = await world.slash(world.a, world.alice, "ask", {"question": FIRES_QUESTION})
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    (embed,) = reply.embeds
    assert "4,000**" in embed["description"]
    assert "Also reported by 2 outlets: " in embed["description"]
    fire_titles = {w["title"] for w in WIRES}
    shown = [embed["title"]] + [f["name"] for f in embed.get("fields", [])]
    assert len([t for t in shown if t in fire_titles]) == 1, "one copy of the story is quoted"
    others = {w["source"] for w in WIRES if w["title"] != embed["title"]}
    line = embed["description"].split("Also reported by 2 outlets: ")[1]
    assert {name.strip() for name in line.split(",")} == others


@pytest.mark.slow
async def test_add_near_duplicate_and_articles_show_the_group(world: World) -> None:
    await seed(world, [WIRE_AP, FLOOD])
    handle = await world.slash(
        world.a,
        world.mod,
        "add",
        {"text": WIRE_GUARDIAN["text"], "title": WIRE_GUARDIAN["title"]},
    )
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    lines = reply.content.splitlines()
    assert lines[0].startswith(f"Added **{WIRE_GUARDIAN['title']}** as `")
    assert lines[1] == (
        f"It is a near-duplicate of `ap-fires` (**{WIRE_AP['title']}**): kept as another "
        "outlet's copy; answers quote one and say who else reported it."
    )
    assert world.library(world.a).count() == 3, "a near-duplicate is added: it is another source"

    handle = await world.slash(world.a, world.alice, "articles")
    reply = await handle.wait_response(STEP)
    log_wire(handle)
    text = reply.embeds[0]["description"]
    assert re.search(r"`ap-fires` · 4 Jan 2020 · added by seed on [^·]+ · 1 copy by other", text)
    copy_id = next(i.article_id for i in world.library(world.a).list() if i.copy_of)
    assert re.search(rf"`{copy_id}` · added by mod on [^·]+ · copy of `ap-fires`", text)
    assert re.search(r"`flood` · 10 Feb 2020 · added by seed on [^·\n]+\n", text + "\n")


@pytest.mark.slow
async def test_more_passages_stay_inside_the_window(world: World) -> None:
    await seed(world, STRIKES + WIRES + QUAKES + [FLOOD])
    handle = await world.slash(
        world.a, world.alice, "ask", {"question": "How many people were killed?", "before": "1m"}
    )
    await handle.wait_response(STEP)  # a relative window is fine too (all are older)
    handle = await world.slash(
        world.a,
        world.alice,
        "ask",
        {"question": "How many people were killed?", "before": "2020-02-01"},
    )
    reply = await handle.wait_response(STEP)
    more = button(reply, "More passages")
    click = await world.fake.click(reply, more["custom_id"], world.alice)
    page = await click.wait_response(STEP)
    log_wire(click)
    (embed,) = page.embeds
    assert embed["footer"]["text"].startswith("Only articles dated before 1 Feb 2020. · Passage 4")
    shown = json.dumps(embed)
    dates = re.findall(r"Published (\d+ \w+ \d{4})", shown)
    assert dates and all(d.endswith(("2019", "Jan 2020")) for d in dates), dates


def test_figures_and_copies_fit_discord_limits_and_are_escaped() -> None:
    """Pure rendering: many sources with long, markdown-laden names stay inside every limit."""
    from bot import discord_render as render
    from index.figures import Figure
    from index.models import Answer, Passage
    from index.syndication import Copy

    text = "Officials said that 25 people were killed. " * 20
    name = "**Outlet** <@everyone> " * 15
    copies = tuple(Copy(f"c{n}", f"Copy {n}", name, None) for n in range(30))
    passages = [
        Passage(
            f"a{n}",
            "T" * 300,
            None,
            text,
            0,
            len(text),
            1.0,
            18,
            20,
            "2020-01-01",
            "mod",
            "2020-01-02T00:00:00+00:00",
            name,
            copies,
        )
        for n in range(3)
    ]
    figures = [
        Figure(
            float(n),
            False,
            str(n),
            f"a{n}",
            "T",
            name,
            None,
            "2020-01-01",
            False,
            18,
            20,
            text[:42],
            0,
            42,
        )
        for n in range(10)
    ]
    answer = Answer(
        "How many people were killed?",
        "25",
        passages,
        figures=figures,
        agreeing_sources=1,
        since="2019-12-01",
        recency='Newest reports first ("now").',
    )
    embed = render.answer_embed(answer)
    assert render.embed_within_limits(embed)
    shown = [embed.description] + [f.value for f in embed.fields]
    assert all(re.search(r"(?<!\\)<", part) is None for part in shown), "mentions escaped"
    assert all(re.search(r"(?<![\\*])\*\*Outlet", part) is None for part in shown)
    assert embed.fields[0].name == "Sources differ"
    assert "Also reported by 30 outlets" in embed.description and "and 25 more" in embed.description
