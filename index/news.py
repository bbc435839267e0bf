"""What makes answers news-aware, between retrieval and the finished Answer.

``Library.ask`` calls these hooks around the engine's own pipeline (retrieve -> score sentences
-> build answer), which stays as it is:

- :func:`retrieve_within` restricts retrieval to the articles dated inside the question's window
  (over-fetching, so ``k`` passages still come back when older articles dominate the library);
- :func:`one_copy_per_story` keeps one syndicated copy of each story among the scored sentences;
- :func:`newest_first` puts newer reports first for "latest"-style questions;
- :func:`finish` attaches outlets, dates, "also reported by" and the sources' figures.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import numpy as np

from . import figures as fig
from . import syndication
from .dates import Window, article_date
from .models import Answer
from .retrieval import SEARCH_DEPTH, Candidate, retrieve
from .snapshot import Snapshot
from .store import Store

log = logging.getLogger(__name__)

# "Newest first" reorders only the sentences that answer about as well as the best one: a newer
# report must not displace the passage that answers, only an equally good older one.
RECENT_MARGIN = 0.1


def rows_in_window(store: Store, library: str, window: Window) -> np.ndarray | None:
    """Article rows dated inside the window, or None when the window does not filter."""
    if not window.filters:
        return None
    since = window.since.isoformat() if window.since else None
    before = window.before.isoformat() if window.before else None
    return np.asarray(store.rows_dated(library, since, before), dtype=np.int64)


def retrieve_within(
    snapshot: Snapshot,
    query_vector: np.ndarray,
    question: str,
    mode: str,
    rows: np.ndarray | None,
) -> list[Candidate]:
    """Candidate chunks of the allowed article rows only (all when ``rows`` is None).

    The indexes rank the whole library, so the search goes deeper in proportion to the share of
    chunks that are allowed, and deeper again (up to every chunk) while too few come back.
    """
    if rows is None:
        return retrieve(snapshot, query_vector, question, mode=mode)
    allowed = np.isin(snapshot.chunks.articles, rows)
    count = int(allowed.sum())
    total = len(snapshot)
    if count == 0:
        return []
    wanted = min(SEARCH_DEPTH, count)
    depth = min(total, math.ceil(SEARCH_DEPTH * total / count))
    keep = set(int(r) for r in rows)
    while True:
        found = [
            c
            for c in retrieve(snapshot, query_vector, question, depth=depth, mode=mode)
            if c.article in keep
        ]
        if len(found) >= wanted or depth >= total:
            return found[:SEARCH_DEPTH]
        depth = min(total, depth * 4)


def one_copy_per_story(store: Store, scored: list) -> tuple[list, dict[int, int]]:
    """Scored sentences with one copy of each syndicated story, and the rows' stories."""
    rows = sorted({s.article.row for s in scored})
    stories = syndication.stories_of(store.conn(), rows)
    kept = syndication.one_copy_per_story(scored, lambda s: s.article.row, stories)
    return kept, stories


def _day(article) -> str:
    return article_date(article.published, article.added_at)[0] or ""


def newest_first(scored: list, window: Window) -> list:
    """For "latest"-style questions: among the sentences within RECENT_MARGIN of the best, the
    newer article's go first (stable, so equally new ones keep their order)."""
    if not window.newest_first or len(scored) < 2:
        return scored
    best = scored[0]
    cut = next(
        (n for n, s in enumerate(scored) if s.score < best.score - RECENT_MARGIN), len(scored)
    )
    close, rest = scored[:cut], scored[cut:]
    close.sort(key=lambda s: _day(s.article), reverse=True)
    if close[0] is not best:
        # The relevance of the answer was judged on the best sentence's quote window; the
        # question is as answerable when a newer equally good report is quoted first.
        close[0] = replace(close[0], window_lexical=best.window_lexical)
    return close + rest


def finish(
    store: Store,
    library: str,
    answer: Answer,
    scored: list,
    stories: dict[int, int],
    k: int,
    window: Window,
    explicit: tuple[str | None, str | None],
    note: str | None,
) -> Answer:
    """Outlets, "also reported by", figures, the date window; passages cut to ``k``."""
    since, before = explicit
    recency = note or window.note()
    if not answer.found:
        return replace(answer, since=since, before=before, recency=recency)
    views = {s.article.article_id: s.article for s in scored}
    row_of = {article_id: view.row for article_id, view in views.items()}
    groups = syndication.members(
        store.conn(), library, {stories.get(r, r) for r in row_of.values()}
    )
    passages = []
    for passage in answer.passages:
        row = row_of.get(passage.article_id)
        copies = (
            syndication.copies_for(groups, stories.get(row, row), row) if row is not None else []
        )
        passages.append(replace(passage, also_reported_by=tuple(copies)))
    figures, agreeing = fig.compare(
        answer.question, passages, lambda article_id: views[article_id].sentences
    )
    return replace(
        answer,
        passages=passages[:k],
        since=since,
        before=before,
        recency=recency,
        figures=figures,
        agreeing_sources=agreeing,
    )


def passages_to_build(question: str, k: int) -> int:
    """How many passages to build: more than ``k`` for how-many questions (their figures)."""
    return max(k, fig.FIGURE_PASSAGES) if fig.asks_for_a_figure(question) else k
