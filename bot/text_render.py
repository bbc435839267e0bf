"""Rendering answers and listings as terminal text (the console and ``articlebot ask``)."""

from __future__ import annotations

from index.audit import AuditEntry
from index.models import Answer, ArticleInfo, Explanation, Passage
from index.preview import Preview

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
        if passage.explain is not None:
            lines += ["   " + line for line in explanation_lines(passage.explain)]
        lines.append("")
    return "\n".join(lines).rstrip()


def render_listing(articles: list[ArticleInfo]) -> str:
    if not articles:
        return "This library has no articles yet."
    lines = []
    for info in articles:
        date = info.published or info.added_at[:10]
        added = f"added by {info.added_by or 'someone'} on {when(info.added_at)}"
        lines.append(f"{info.article_id}  {info.title}  ({date}, {info.chunks} chunks, {added})")
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
