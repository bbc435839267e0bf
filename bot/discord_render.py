"""Answers and listings as Discord embeds and messages: pure functions, tested without Discord.

Quotes are verbatim, but Discord markdown in them is escaped (so an article cannot inject
formatting, masked links or mention syntax) and they are cut to Discord's limits on a word
boundary with "…", keeping the answer span (in bold) inside the cut.
"""

from __future__ import annotations

import logging
import re

import discord

from index.audit import AuditEntry
from index.dates import format_day, window_sentence
from index.figures import figure_line, outlet, summary
from index.models import AddResult, Answer, ArticleInfo, Explanation, Passage
from index.preview import Preview

from .text_render import evidence, unknown_names_line, when

log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

ELLIPSIS = "…"
PASSAGES_PER_PAGE = 3
ARTICLES_PER_PAGE = 10
COLOUR = discord.Colour.blurple()
NOTHING_FOUND = "I found nothing about that in this server's articles."

# A URL is left alone (escaping inside it would break the link); otherwise escape the characters
# Discord reads as inline markdown, ``<`` (mentions, channels, timestamps, custom emoji) and, at
# the start of a line, headings, list markers and block quotes.
_URL = r"(?P<url>https?://[^\s<>]+[^\s<>.,:;\"')\]])"
_INLINE = r"(?P<md>[\\*_~`|\[\]<])"
_LINE_START = r"(?P<ls>^[ \t]*(?:[#>\-+]|\d+\.))"
_ESCAPE = re.compile(f"{_URL}|{_INLINE}|{_LINE_START}", re.MULTILINE)


def escape(text: str) -> str:
    """Escape Discord markdown and mention syntax so ``text`` shows literally.

    ``@everyone`` stays as it is: it shows as plain text and cannot ping, because every message
    is sent with mentions disabled (and embeds never ping).
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("url"):
            return match.group("url")
        if match.group("md"):
            return "\\" + match.group("md")
        prefix = match.group("ls")
        if prefix.endswith("."):  # "1." starts a list: escape the dot (a "\\1" would show)
            return prefix[:-1] + "\\."
        stripped = prefix.lstrip(" \t")
        return prefix[: len(prefix) - len(stripped)] + "\\" + stripped

    return _ESCAPE.sub(replace, text)


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut on a word boundary with "…"."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    head = text[: limit - 1]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if space >= limit // 2:  # a word boundary not too far back; else cut inside the word
        head = head[:space]
    head = head.rstrip()
    # Never end on a lone escaping backslash.
    while head.endswith("\\") and (len(head) - len(head.rstrip("\\"))) % 2 == 1:
        head = head[:-1]
    return head + ELLIPSIS


def _answer_span(passage: Passage) -> tuple[int, int] | None:
    """The answer's offsets inside ``passage.text``, trimmed of surrounding whitespace."""
    if passage.answer_start is None or passage.answer_end is None:
        return None
    a = max(0, passage.answer_start - passage.start)
    b = min(len(passage.text), passage.answer_end - passage.start)
    text = passage.text
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def _window(text: str, span: tuple[int, int] | None, budget: int) -> tuple[int, int, int, int]:
    """Choose ``text[s:e]`` of at most ``budget`` characters around the answer ``[a:b)``.

    Returns ``(s, e, a, b)``; the answer is shortened when it alone exceeds the budget.
    """
    n = len(text)
    a, b = span if span else (0, 0)
    if n <= budget:
        return 0, n, a, b
    room = max(1, budget - 2)  # two ellipses
    if b - a > room:
        b = a + room
    extra = room - (b - a)
    before = min(a, extra // 3)
    after = extra - before
    if b + after > n:
        after = n - b
        before = min(a, extra - after)
    s, e = a - before, b + after
    if s > 0:  # start on a word: skip the partial word
        match = re.search(r"\s", text[s:a])
        if match:
            s += match.end()
    if e < n:  # end on a word: drop the partial word
        tail = text[b:e]
        last = max(tail.rfind(" "), tail.rfind("\n"), tail.rfind("\t"))
        if last >= 0:
            e = b + last
    return s, e, a, b


def _render_window(text: str, span: tuple[int, int] | None, budget: int) -> str:
    s, e, a, b = _window(text, span, budget)
    if span and s <= a < b <= e:
        body = escape(text[s:a]) + "**" + escape(text[a:b]) + "**" + escape(text[b:e])
    else:
        body = escape(text[s:e])
    body = body.strip()
    lead = ELLIPSIS if s > 0 else ""
    tail = ELLIPSIS if e < len(text) else ""
    quoted = lead + body + tail
    return "> " + quoted.replace("\n", "\n> ")


def quote(passage: Passage, limit: int) -> str:
    """The passage as a Discord block quote, answer in bold, escaped, at most ``limit`` chars."""
    span = _answer_span(passage)
    text = passage.text.strip("\n") if span is None else passage.text
    budget = limit
    while budget > 0:
        out = _render_window(text, span, budget)
        if len(out) <= limit:
            return out
        budget -= max(1, len(out) - limit)
    return cut("> " + escape(passage.text), limit)


def _link(url: str | None) -> str | None:
    """``url`` when Discord will accept it as an embed or masked link, else None."""
    if not url or len(url) > 2000 or not re.match(r"https?://[^\s]+$", url):
        return None
    return url.replace("(", "%28").replace(")", "%29")


def meta_line(passage: Passage, with_link: bool) -> str:
    """Where a passage comes from: outlet, date (published, else the day it was added), link or
    who added it, and the other outlets that published the same story."""
    parts = []
    url = _link(passage.url)
    if passage.source:
        parts.append(escape(cut(passage.source, 80)))
    if passage.published:
        parts.append(f"Published {format_day(passage.published)}")
    if url and with_link:
        parts.append(f"[Read the article]({url})")
    if not url:
        who = escape(cut(passage.added_by or "someone", 80))
        when = format_day(passage.added_at)
        parts.append(f"Added by {who}" + (f" on {when}" if when else ""))
    elif not passage.published and passage.added_at:
        parts.append(f"Added {format_day(passage.added_at)} (no published date)")
    line = " · ".join(parts)
    if passage.also_reported_by:
        names = ", ".join(escape(cut(outlet(c), 60)) for c in passage.also_reported_by[:5])
        more = len(passage.also_reported_by) - 5
        count = len(passage.also_reported_by)
        line += (
            f"\nAlso reported by {count} outlet{'s' if count > 1 else ''}: {names}"
            + (f" and {more} more" if more > 0 else "")
        )
    return line


def _field_value(passage: Passage) -> str:
    meta = meta_line(passage, with_link=True)
    return quote(passage, FIELD_VALUE_LIMIT - len(meta) - 1) + "\n" + meta


def page_count(answer: Answer, per_page: int = PASSAGES_PER_PAGE) -> int:
    return max(1, -(-len(answer.passages) // per_page))


def answer_embed(answer: Answer, page: int = 0, per_page: int = PASSAGES_PER_PAGE) -> discord.Embed:
    """One page of an answer: the page's best passage quoted in the description, the next ones
    as fields; title linked to the article. ``answer`` must have passages on that page."""
    passages = answer.passages[page * per_page : (page + 1) * per_page]
    if not passages:
        raise ValueError(f"page {page} of the answer has no passages")
    best = passages[0]
    embed = discord.Embed(
        title=cut(escape(best.title), TITLE_LIMIT), url=_link(best.url), colour=COLOUR
    )
    if answer.figures and page == 0:
        name, value = figures_field(answer)
        embed.add_field(name=name, value=value, inline=False)
    for passage in passages[1:]:
        embed.add_field(
            name=cut(escape(passage.title), FIELD_NAME_LIMIT),
            value=_field_value(passage),
            inline=False,
        )
    first = page * per_page + 1
    last = page * per_page + len(passages)
    shown = f"Passage {first}" if first == last else f"Passages {first}–{last}"
    footer = f"{shown} · article {best.article_id} · asked: {answer.question}"
    if window_note(answer):
        footer = f"{window_note(answer)} · {footer}"
    embed.set_footer(text=cut(footer, 300))
    meta = meta_line(best, with_link=False)
    room = EMBED_TOTAL_LIMIT - len(embed) - 16  # keep the whole embed under 6000
    limit = min(DESCRIPTION_LIMIT, room) - len(meta) - 2
    embed.description = quote(best, limit) + ("\n\n" + meta if meta else "")
    return embed


def window_note(answer: Answer) -> str:
    """The dates the answer was limited to and what the question's words did, or ""."""
    return window_sentence(answer.since, answer.before, answer.recency)


def figures_field(answer: Answer) -> tuple[str, str]:
    """The field comparing the sources' figures: each figure in bold with outlet, date and the
    sentence it stands in, or how many sources agree."""
    if not answer.figures_differ:
        return "Sources agree", cut(summary(answer.figures, answer.agreeing_sources, escape), 1024)
    shown = answer.figures[:6]
    budget = FIELD_VALUE_LIMIT // len(shown) - 2
    lines = []
    for figure in shown:
        head = "**" + cut(figure_line(figure, lambda text: escape(cut(text, 60))), 200)
        head = head.replace(" — ", "** — ", 1)
        lines.append(head + "\n" + quote(figure.sentence(), max(20, budget - len(head) - 1)))
    return "Sources differ", cut("\n".join(lines), FIELD_VALUE_LIMIT)


def nothing_found_message(answer: Answer) -> str:
    """Plain text for an answer with no relevant passage, offering the nearest titles."""
    lines = [NOTHING_FOUND]
    if answer.unknown_names:
        lines.append(escape(cut(unknown_names_line(answer.unknown_names), 300)))
    if window_note(answer):
        lines.append(window_note(answer))
    if answer.nearest_titles:
        lines.append("The nearest articles are:")
        lines += [f"• {cut(escape(title), 200)}" for title in answer.nearest_titles[:5]]
    else:
        lines.append("A moderator can add articles with /add.")
    return cut("\n".join(lines), MESSAGE_LIMIT)


def added_message(result: AddResult, seconds: float) -> str:
    title = cut(escape(result.title), 300)
    if result.duplicate:
        return f"That article is already in the library as `{result.article_id}`: **{title}**."
    message = (
        f"Added **{title}** as `{result.article_id}`: {result.chunks} chunks in {seconds:.1f} s."
    )
    if result.near_duplicate_of:
        other = cut(escape(result.near_duplicate_title or ""), 300)
        message += (
            f"\nIt is a near-duplicate of `{result.near_duplicate_of}` (**{other}**): kept as "
            "another outlet's copy; answers quote one and say who else reported it."
        )
    return message


def removed_message(info: ArticleInfo) -> str:
    return f"Removed **{cut(escape(info.title), 300)}** (`{info.article_id}`)."


def articles_embed(
    articles: list[ArticleInfo], page: int, per_page: int = ARTICLES_PER_PAGE
) -> discord.Embed:
    """One page of the library listing: title, id, date and who added each article."""
    pages = max(1, -(-len(articles) // per_page))
    page = min(max(page, 0), pages - 1)
    embed = discord.Embed(title="Articles in this server's library", colour=COLOUR)
    if not articles:
        embed.description = "No articles yet: a moderator can add some with /add."
        return embed
    lines = []
    for info in articles[page * per_page : (page + 1) * per_page]:
        # Without a published date the "added ... on" part already gives the only date there is.
        date = f" · {format_day(info.published)}" if info.published else ""
        who = escape(cut(info.added_by or "someone", 80))
        title = cut(escape(info.title), 200)
        group = ""
        if info.copy_of:
            group = f" · copy of `{info.copy_of}`"
        elif info.copies:
            group = f" · {info.copies} cop{'ies' if info.copies > 1 else 'y'} by other outlets"
        added = f"added by {who} on {when(info.added_at)}"
        lines.append(f"**{title}**\n`{info.article_id}`{date} · {added}{group}")
    embed.description = cut("\n".join(lines), DESCRIPTION_LIMIT)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {len(articles)} articles")
    return embed


def rebuild_message(
    done: int, total: int, seconds: float, finished: bool = False, chunks: int | None = None
) -> str:
    if finished:
        return f"Rebuilt the library: {total} articles, {chunks} chunks in {seconds:.1f} s."
    return f"Rebuilding the library… {done}/{total} articles ({seconds:.0f} s)."


HELP_TEXT = """\
I answer questions about the news articles this server's moderators added, by quoting them.

**Ask**
`/ask question:` — I quote the passages that answer it, the answer in **bold**.
Add `since:` / `before:` (2019-12-31, or 7d, 2w, 1m, 1y) to keep to articles of those dates.
You can also mention me: `@ArticleBot how many people were killed?`

**Library** (needs Manage Server)
`/add url:` · `/add text: title:` · `/add file:` (.txt .md .html .pdf) — add an article.
`/add url:` shows a preview first (headline, outlet, date, byline, words): press Add or Cancel.
`/articles` — list the articles. `/remove id:` — remove one. `/audit` — who added or removed what.
`/rebuild` — re-index every article (questions are still answered meanwhile).

Each server has its own library; I never show one server's articles in another."""


# -- why this passage ------------------------------------------------------------------------


def explanation_text(explain: Explanation, limit: int = FIELD_VALUE_LIMIT) -> str:
    """One passage's evidence: both retrievers' ranks and scores, the fusion, the sentence."""
    cosine = "" if explain.sentence_dense is None else f", cosine {explain.sentence_dense:.3f}"
    head = (
        f"Dense: {evidence(explain.dense_rank, explain.dense_score, 'cosine')}\n"
        f"Lexical: {evidence(explain.lexical_rank, explain.lexical_score, 'BM25')}\n"
        f"Fused: #{explain.fused_rank} ({explain.fused_score:.4f})\n"
        f"Matched sentence (score {explain.sentence_score:.3f}{cosine}, "
        f"question words {explain.sentence_lexical:.0%}):\n"
    )
    return head + cut("> " + escape(explain.sentence).replace("\n", "\n> "), limit - len(head))


def explanation_embed(
    answer: Answer, page: int = 0, per_page: int = PASSAGES_PER_PAGE
) -> discord.Embed:
    """Why each passage on a page of the answer was chosen (the "Why?" button, ephemeral)."""
    passages = answer.passages[page * per_page : (page + 1) * per_page]
    embed = discord.Embed(title="Why these passages", colour=COLOUR)
    embed.description = cut(
        "Each passage's chunk was ranked by meaning (dense) and by words (lexical, BM25); the "
        "two rankings are fused, then the sentences are re-scored against the question.",
        DESCRIPTION_LIMIT,
    )
    for number, passage in enumerate(passages, start=page * per_page + 1):
        name = cut(f"{number}. {escape(passage.title)}", FIELD_NAME_LIMIT)
        if passage.explain is None:
            value = "No evidence was kept for this passage; ask again."
        else:
            value = explanation_text(passage.explain)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=cut(f"asked: {answer.question}", 300))
    return embed


# -- preview before adding ------------------------------------------------------------------

PREVIEW_CONTENT = "Preview of the page: press **Add** to store it, or **Cancel**."
PREVIEW_ADDING = "Adding…"
PREVIEW_CANCELLED = "Cancelled: nothing was stored."
WARNING_COLOUR = discord.Colour.orange()


def preview_expired(seconds: float | None) -> str:
    after = f" after {seconds:.0f} s" if seconds else ""
    return f"This preview expired{after}: nothing was stored. Use /add again to add it."


def preview_refused(reason: str | None) -> str:
    return f"Nothing was stored: {reason or 'something went wrong; the error was logged.'}"


def preview_embed(preview: Preview) -> discord.Embed:
    """The page as it would be stored: headline, outlet, date, byline, words, first paragraph;
    warnings (too short, paywall words, already stored) first, in an orange embed."""
    embed = discord.Embed(
        title=cut(escape(preview.headline), TITLE_LIMIT),
        url=_link(preview.document.url),
        colour=WARNING_COLOUR if preview.warnings else COLOUR,
    )
    for name, value in (
        ("Outlet", preview.outlet or "unknown"),
        ("Published", preview.published or "no date found"),
        ("Byline", preview.byline or "none found"),
        ("Words", f"{preview.words:,}"),
    ):
        embed.add_field(name=name, value=cut(escape(value), 200), inline=True)
    warnings = "".join(f"⚠️ {escape(w)}\n" for w in preview.warnings)
    paragraph = "> " + escape(preview.first_paragraph or "(no text)").replace("\n", "\n> ")
    embed.description = cut(warnings + ("\n" if warnings else "") + paragraph, DESCRIPTION_LIMIT)
    embed.set_footer(text="Nothing is stored until you press Add.")
    return embed


# -- audit -----------------------------------------------------------------------------------

AUDIT_SHOWN = 20
_ACTIONS = {"add": "added", "remove": "removed"}


def audit_embed(entries: list[AuditEntry]) -> discord.Embed:
    """The latest adds and removals, newest first (``/audit``, moderators, ephemeral)."""
    embed = discord.Embed(title="Recent changes to this server's library", colour=COLOUR)
    if not entries:
        embed.description = "Nothing has been added or removed yet."
        return embed
    lines = []
    for entry in entries[:AUDIT_SHOWN]:
        who = escape(cut(entry.who or "someone", 80))
        title = cut(escape(entry.title or ""), 150)
        action = _ACTIONS.get(entry.action, entry.action)
        lines.append(f"{when(entry.at)} · **{action}** `{entry.article_id}` {title} · by {who}")
    embed.description = cut("\n".join(lines), DESCRIPTION_LIMIT)
    embed.set_footer(text=f"Latest {min(len(entries), AUDIT_SHOWN)} changes, newest first")
    return embed


def help_embed() -> discord.Embed:
    return discord.Embed(title="ArticleBot", description=HELP_TEXT, colour=COLOUR)


def embed_within_limits(embed: discord.Embed) -> bool:
    """True when ``embed`` respects every Discord embed limit."""
    data = embed.to_dict()
    fields = data.get("fields", [])
    return (
        len(data.get("title", "")) <= TITLE_LIMIT
        and len(data.get("description", "")) <= DESCRIPTION_LIMIT
        and len(fields) <= 25
        and all(
            len(f["name"]) <= FIELD_NAME_LIMIT and len(f["value"]) <= FIELD_VALUE_LIMIT
            for f in fields
        )
        and len(data.get("footer", {}).get("text", "")) <= FOOTER_LIMIT
        and len(embed) <= EMBED_TOTAL_LIMIT
    )
