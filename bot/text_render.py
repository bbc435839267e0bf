"""Rendering answers and listings as terminal text (the console and ``articlebot ask``)."""

from __future__ import annotations

from index.dates import format_day, window_sentence
from index.figures import figure_line, outlet, summary
from index.models import AddResult, Answer, ArticleInfo, Passage

NOTHING_FOUND = "I found nothing about that in this library."


def highlight(passage: Passage, before: str, after: str) -> str:
    """The passage text with the answer span wrapped in ``before``/``after``."""
    if passage.answer_start is None or passage.answer_end is None:
        return passage.text
    a = passage.answer_start - passage.start
    b = passage.answer_end - passage.start
    return passage.text[:a] + before + passage.text[a:b] + after + passage.text[b:]


def date_label(day: str | None, is_added: bool) -> str:
    """ "31 Dec 2019", or "added 27 Nov 2026" when the source gave no date."""
    return f"added {format_day(day)}" if is_added else format_day(day)


def source_line(passage: Passage) -> str:
    parts = [passage.title]
    if passage.source:
        parts.append(passage.source)
    if passage.date:
        parts.append(date_label(passage.date, passage.date_is_added))
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
        if answer.recency or answer.since or answer.before:
            lines.append(window_line(answer))
        return "\n".join(lines)
    before, after = ("\033[1;33m", "\033[0m") if color else ("**", "**")
    lines = [f"Answer: {answer.answer}"]
    if answer.since or answer.before or answer.recency:
        lines.append(window_line(answer))
    if answer.figures:
        lines.append(summary(answer.figures, answer.agreeing_sources))
        if answer.figures_differ:
            lines += [f"  {figure_line(f)}: “{f.quote}”" for f in answer.figures]
    lines.append("")
    for number, passage in enumerate(answer.passages, start=1):
        quote = highlight(passage, before, after).replace("\n", "\n   > ")
        lines.append(f"{number}. > {quote}")
        lines.append(
            f"   — {source_line(passage)} [{passage.article_id}, score {passage.score:.2f}]"
        )
        if passage.also_reported_by:
            lines.append(f"   {also_reported(passage)}")
        lines.append("")
    return "\n".join(lines).rstrip()


def also_reported(passage: Passage, escape=lambda text: text) -> str:
    """ "Also reported by 2 outlets: Associated Press, ABC News." """
    names = ", ".join(escape(outlet(c)) for c in passage.also_reported_by)
    count = len(passage.also_reported_by)
    return f"Also reported by {count} outlet{'s' if count > 1 else ''}: {names}."


def window_line(answer: Answer) -> str:
    """The dates the answer was restricted to, or what the question's words did."""
    return window_sentence(answer.since, answer.before, answer.recency)


def group_note(info: ArticleInfo) -> str:
    if info.copy_of:
        return f", copy of {info.copy_of}"
    if info.copies:
        return f", {info.copies} cop{'ies' if info.copies > 1 else 'y'} by other outlets"
    return ""


def added_line(result: AddResult) -> str:
    """What ``add`` prints for one source (the near-duplicate note on its own line)."""
    state = "duplicate of" if result.duplicate else "added"
    line = f"{state} {result.article_id}\t{result.title}\t{result.chunks} chunks"
    if result.near_duplicate_of:
        line += (
            f"\n  near-duplicate of {result.near_duplicate_of} ({result.near_duplicate_title}):"
            " kept as another outlet's copy; answers quote one and name the others"
        )
    return line


def render_listing(articles: list[ArticleInfo]) -> str:
    if not articles:
        return "This library has no articles yet."
    lines = []
    for info in articles:
        date = info.published or f"added {info.added_at[:10]}"
        who = f", added by {info.added_by}" if info.added_by else ""
        lines.append(
            f"{info.article_id}  {info.title}  ({date}, {info.chunks} chunks{who}"
            f"{group_note(info)})"
        )
    return "\n".join(lines)
