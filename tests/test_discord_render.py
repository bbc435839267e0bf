"""Rendering answers for Discord: pure functions, no Discord connection and no model."""

from __future__ import annotations

import re

import pytest

from bot import discord_render as render
from index.models import AddResult, Answer, ArticleInfo, Passage

QUAKE = (
    "A magnitude 6.4 earthquake struck Hatay early on Monday. Twenty-five people were "
    "killed and more than 300 were injured, the disaster agency said."
)


def passage(
    text: str,
    answer: str | None = None,
    *,
    start: int = 0,
    title: str = "Quake",
    url: str | None = "https://news.example/quake",
    **extra,
) -> Passage:
    a = b = None
    if answer is not None:
        a = start + text.index(answer)
        b = a + len(answer)
    return Passage(
        article_id=extra.pop("article_id", "abc123"),
        title=title,
        url=url,
        text=text,
        start=start,
        end=start + len(text),
        score=0.9,
        answer_start=a,
        answer_end=b,
        published=extra.pop("published", "2024-02-05"),
        added_by=extra.pop("added_by", "mod"),
        added_at=extra.pop("added_at", "2024-02-06T10:00:00+00:00"),
    )


def answer_of(*passages: Passage, question: str = "How many were killed?") -> Answer:
    best = passages[0].answer_text if passages else None
    return Answer(question=question, answer=best, passages=list(passages))


def visible(markdown: str) -> str:
    """What Discord shows for our markdown: block-quote markers, bold and escapes removed."""
    text = re.sub(r"(?m)^> ", "", markdown).replace("**", "")
    return re.sub(r"\\(.)", r"\1", text)


def test_answer_span_is_bold_and_quote_is_verbatim() -> None:
    embed = render.answer_embed(answer_of(passage(QUAKE, "Twenty-five")))
    assert "**Twenty\\-five**" not in embed.description  # a mid-line "-" needs no escape
    assert "**Twenty-five**" in embed.description
    assert embed.description.startswith("> ")
    assert QUAKE in visible(embed.description)
    assert embed.title == "Quake" and embed.url == "https://news.example/quake"
    assert "Published 5 Feb 2024" in embed.description


def test_answer_span_with_offset_passage() -> None:
    # Offsets are article offsets: the passage starts at 1000 in its article.
    p = passage(QUAKE, "more than 300", start=1000)
    assert p.answer_text == "more than 300"
    assert "**more than 300**" in render.quote(p, 4096)


def test_no_url_says_who_added_it_and_when() -> None:
    embed = render.answer_embed(answer_of(passage(QUAKE, "Twenty-five", url=None, published=None)))
    assert embed.url is None
    assert "Added by mod on 6 Feb 2024" in embed.description


def test_more_passages_become_fields() -> None:
    passages = [
        passage(QUAKE, "Twenty-five", title=f"Article {i}", article_id=f"id{i}") for i in range(5)
    ]
    first = render.answer_embed(answer_of(*passages), page=0)
    assert first.title == "Article 0" and [f.name for f in first.fields] == [
        "Article 1",
        "Article 2",
    ]
    assert "Passages 1–3" in first.footer.text
    second = render.answer_embed(answer_of(*passages), page=1)
    assert second.title == "Article 3" and [f.name for f in second.fields] == ["Article 4"]
    with pytest.raises(ValueError):
        render.answer_embed(answer_of(*passages), page=2)


def test_mentions_stay_literal_and_cannot_render_as_mentions() -> None:
    text = "Protesters wrote @everyone and @here and <@123> and <@&456> and <#789> on walls."
    embed = render.answer_embed(answer_of(passage(text, "<@123>")))
    assert "@everyone" in embed.description and "@here" in embed.description
    assert "<@123>" in embed.description  # shown as typed...
    assert "\\<@123>" in embed.description  # ...because the "<" is escaped: no mention chip
    assert "\\<@&456>" in embed.description and "\\<#789>" in embed.description
    assert text in visible(embed.description)


def test_markdown_in_quotes_is_escaped_but_readable() -> None:
    text = (
        "The **minister** said _nothing_ about ~~cuts~~, `code` or ||spoilers||; "
        "see [this](https://evil.example) and https://news.example/a_b_c.\n"
        "# Not a heading\n> not a quote\n- not a list\n1. not numbered"
    )
    quoted = render.quote(passage(text), 4096)
    for raw in (
        "**minister**",
        "_nothing_",
        "~~cuts~~",
        "`code`",
        "||spoilers||",
        "[this](",
        "\n> # Not",
        "\n> > not",
        "\n> - not",
        "\n> 1. not",
    ):
        assert raw not in quoted, raw
    assert "https://news.example/a_b_c" in quoted  # links are left intact
    assert visible(quoted) == text
    assert "\\1" not in quoted  # escaping a digit would show the backslash


def test_escape_rules() -> None:
    assert render.escape("a*b_c") == "a\\*b\\_c"
    assert render.escape("2024. was") == "2024\\. was"
    assert render.escape("back\\slash") == "back\\\\slash"
    assert render.escape("@everyone") == "@everyone"


def test_cut_on_word_boundary() -> None:
    assert render.cut("short", 10) == "short"
    cut = render.cut("alpha beta gamma delta", 14)
    assert cut == "alpha beta…" and len(cut) <= 14
    assert render.cut("x" * 50, 10) == "x" * 9 + "…"
    assert not render.cut("word \\" + "y" * 40, 7).endswith("\\…")


def test_ten_thousand_character_passage_respects_every_limit() -> None:
    words = [f"word{i}" for i in range(2000)]
    text = " ".join(words)[:10_000]
    answer = "word1000"
    long_title = "T" * 400
    passages = [passage(text, answer, title=long_title, article_id=f"a{i}") for i in range(3)]
    embed = render.answer_embed(answer_of(*passages, question="q" * 1000))
    assert render.embed_within_limits(embed)
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert len(embed.description) <= render.DESCRIPTION_LIMIT
    assert all(len(f.value) <= render.FIELD_VALUE_LIMIT for f in embed.fields)
    assert len(embed.title) <= render.TITLE_LIMIT
    # The answer survives the cut, in bold, and the cuts fall between words.
    assert f"**{answer}**" in embed.description
    body = embed.description.split("\n\n")[0]
    assert body.startswith("> …") and body.endswith("…")
    inner = body[len("> …") : -1]
    assert inner.split()[0] in words and inner.split()[-1] in words
    for field in embed.fields:
        assert f"**{answer}**" in field.value


def test_quote_cut_without_answer_keeps_the_start() -> None:
    text = "Lorem ipsum " * 1000
    quoted = render.quote(passage(text), 1024)
    assert len(quoted) <= 1024 and quoted.startswith("> Lorem ipsum") and quoted.endswith("…")


def test_quote_respects_limit_when_escaping_expands() -> None:
    text = "*_" * 5000  # every character needs an escape
    for limit in (50, 1024, 4096):
        assert len(render.quote(passage(text, "*_*_"), limit)) <= limit


def test_nothing_found_offers_nearest_titles_within_message_limit() -> None:
    empty = Answer(
        question="What about Mars?", answer=None, nearest_titles=["Budget **approved**", "T" * 5000]
    )
    message = render.nothing_found_message(empty)
    assert message.startswith(render.NOTHING_FOUND)
    assert "Budget \\*\\*approved\\*\\*" in message
    assert len(message) <= render.MESSAGE_LIMIT
    assert "/add" in render.nothing_found_message(Answer(question="x", answer=None))


def test_nothing_found_names_what_no_article_mentions() -> None:
    answer = Answer(question="Eiffel Tower?", answer=None, unknown_names=["Eiffel", "Gustave"])
    lines = render.nothing_found_message(answer).splitlines()
    assert lines[:2] == [render.NOTHING_FOUND, "No article mentions Eiffel or Gustave."]


def test_listing_and_replies() -> None:
    infos = [
        ArticleInfo(
            article_id=f"id{i:02}",
            title=f"Title {i}",
            url=None,
            published=None,
            added_by="mod_1",
            added_at="2024-03-01T00:00:00",
            chunks=2,
        )
        for i in range(23)
    ]
    page = render.articles_embed(infos, 2)
    assert "Page 3 of 3" in page.footer.text and "Title 20" in page.description
    assert "added by mod\\_1" in page.description and "`id22`" in page.description
    assert render.embed_within_limits(page)
    assert "No articles" in render.articles_embed([], 0).description
    added = render.added_message(AddResult("abc", "Quake", 3, False, 0.5), 1.25)
    assert added == "Added **Quake** as `abc`: 3 chunks in 1.2 s."
    dup = render.added_message(AddResult("abc", "Quake", 3, True, 0.1), 0.1)
    assert "already in the library as `abc`" in dup
    assert render.embed_within_limits(render.help_embed())
