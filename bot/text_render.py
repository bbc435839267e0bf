"""Rendering answers and listings as terminal text (the console and ``articlebot ask``)."""

from __future__ import annotations

from index.models import Answer, ArticleInfo, Passage

NOTHING_FOUND = "I found nothing about that in this library."


def highlight(passage: Passage, before: str, after: str) -> str:
    """The passage text with the answer span wrapped in ``before``/``after``."""
    if passage.answer_start is None or passage.answer_end is None:
        return passage.text
    a = passage.answer_start - passage.start
    b = passage.answer_end - passage.start
    return passage.text[:a] + before + passage.text[a:b] + after + passage.text[b:]


def source_line(passage: Passage) -> str:
    parts = [passage.title]
    if passage.published:
        parts.append(passage.published)
    if passage.url:
        parts.append(passage.url)
    elif passage.added_by:
        parts.append(f"added by {passage.added_by}")
    return " — ".join(parts)


def render_answer(answer: Answer, color: bool = False) -> str:
    if not answer.found:
        lines = [NOTHING_FOUND]
        if answer.nearest_titles:
            lines.append("Nearest articles: " + "; ".join(answer.nearest_titles))
        return "\n".join(lines)
    before, after = ("\033[1;33m", "\033[0m") if color else ("**", "**")
    lines = [f"Answer: {answer.answer}", ""]
    for number, passage in enumerate(answer.passages, start=1):
        quote = highlight(passage, before, after).replace("\n", "\n   > ")
        lines.append(f"{number}. > {quote}")
        lines.append(
            f"   — {source_line(passage)} [{passage.article_id}, score {passage.score:.2f}]"
        )
        lines.append("")
    return "\n".join(lines).rstrip()


def render_listing(articles: list[ArticleInfo]) -> str:
    if not articles:
        return "This library has no articles yet."
    lines = []
    for info in articles:
        date = info.published or info.added_at[:10]
        who = f", added by {info.added_by}" if info.added_by else ""
        lines.append(f"{info.article_id}  {info.title}  ({date}, {info.chunks} chunks{who})")
    return "\n".join(lines)
