"""Rendering answers and listings as terminal text (the console and ``articlebot ask``)."""

from __future__ import annotations

from index.audit import AuditEntry
from index.dates import format_day, window_sentence
from index.figures import figure_line, outlet, summary
from index.models import AddResult, Answer, ArticleInfo, Explanation, Passage
from index.preview import Preview

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


def unknown_names_line(names: list[str]) -> str:
    """Why nothing was found: "No article mentions Eiffel." (names as the asker wrote them)."""
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    return f"No article mentions {listed}."


def render_answer(answer: Answer, color: bool = False) -> str:
    if not answer.found:
        lines = [NOTHING_FOUND]
        if answer.unknown_names:
            lines.append(unknown_names_line(answer.unknown_names))
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
        if passage.explain is not None:
            lines += ["   " + line for line in explanation_lines(passage.explain)]
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
        # Without a published date the "added ... on" part already gives the only date there is.
        date = f"{info.published}, " if info.published else ""
        added = f"added by {info.added_by or 'someone'} on {when(info.added_at)}"
        lines.append(
            f"{info.article_id}  {info.title}  ({date}{info.chunks} chunks, {added}"
            f"{group_note(info)})"
        )
    return "\n".join(lines)


def when(iso: str | None) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM UTC`` (the store keeps UTC)."""
    if not iso:
        return "an unknown date"
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 else iso[:10]


def evidence(rank: int | None, score: float | None, what: str) -> str:
    """One retriever's rank and score for a chunk, or that it did not return it."""
    if rank is None or score is None:
        return "not in its top results"
    return f"#{rank} ({what} {score:.3f})"


def explanation_lines(explain: Explanation) -> list[str]:
    """Why a passage was chosen, in two lines (``ask --explain``)."""
    cosine = "" if explain.sentence_dense is None else f", cosine {explain.sentence_dense:.3f}"
    return [
        f"why: dense {evidence(explain.dense_rank, explain.dense_score, 'cosine')}"
        f" · lexical {evidence(explain.lexical_rank, explain.lexical_score, 'BM25')}"
        f" · fused #{explain.fused_rank} ({explain.fused_score:.4f})",
        f"matched sentence [{explain.sentence_start}:{explain.sentence_end}]"
        f" (score {explain.sentence_score:.3f}{cosine},"
        f" question words {explain.sentence_lexical:.0%}): {explain.sentence}",
    ]


def render_preview(preview: Preview) -> str:
    """``add --dry-run``: what would be stored; nothing was."""
    lines = [
        "Preview (nothing stored)",
        f"Headline:   {preview.headline}",
        f"Outlet:     {preview.outlet or 'unknown'}",
        f"Published:  {preview.published or 'no date found'}",
        f"Byline:     {preview.byline or 'none found'}",
    ]
    if preview.document.url:
        lines.append(f"URL:        {preview.document.url}")
    lines += [f"Words:      {preview.words}", "First paragraph:", f"  {preview.first_paragraph}"]
    lines += [f"Warning: {warning}" for warning in preview.warnings]
    return "\n".join(lines)


def render_audit(entries: list[AuditEntry]) -> str:
    """The audit trail, newest first: when, what, which article, who."""
    if not entries:
        return "Nothing has been added or removed in this library yet."
    return "\n".join(
        f"{when(e.at)}  {e.action:<6}  {e.article_id}  {e.title or ''}  by {e.who or 'someone'}"
        for e in entries
    )
