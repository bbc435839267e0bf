"""Why this passage: attach the retrieval and re-scoring evidence to each quoted passage.

Retrieval (``index.retrieval``) already keeps, for every candidate chunk, its dense and lexical
ranks and scores and its fused score; sentence re-scoring (``index.answering``) keeps, for every
sentence, its score and the chunk it came from. An answer only lists the quotes, so this module
maps each quote back to the sentence it was built around and copies that evidence onto it. It
reads what the search produced and never searches again, so explaining costs nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from .answering import ScoredSentence
from .models import Answer, Explanation, Passage
from .retrieval import Candidate

log = logging.getLogger(__name__)


def matched_sentence(passage: Passage, scored: list[ScoredSentence]) -> ScoredSentence | None:
    """The re-scored sentence a passage was quoted for, or None.

    Every quote is a window of sentences around one re-scored sentence, and its answer span (when
    it has one) lies in that sentence; so the sentence holding the span is the one, and without a
    span the best-scored sentence inside the quote (``scored`` is sorted best first).
    """
    inside = [
        s
        for s in scored
        if s.article.article_id == passage.article_id
        and passage.start <= s.article.sentences[s.index][0] < passage.end
    ]
    if passage.answer_start is not None and passage.answer_end is not None:
        for item in inside:
            start, end = item.article.sentences[item.index]
            if start <= passage.answer_start and passage.answer_end <= end:
                return item
    return inside[0] if inside else None


def explanation(item: ScoredSentence, fused_rank: int) -> Explanation:
    """The evidence for one re-scored sentence and the chunk that brought it in."""
    chunk: Candidate = item.chunk
    start, end = item.article.sentences[item.index]
    return Explanation(
        dense_rank=chunk.dense_rank,
        dense_score=chunk.dense_score,
        lexical_rank=chunk.lexical_rank,
        lexical_score=chunk.lexical_score,
        fused_rank=fused_rank,
        fused_score=chunk.fused,
        sentence=item.article.text[start:end],
        sentence_start=start,
        sentence_end=end,
        sentence_score=item.score,
        sentence_dense=item.dense,
        sentence_lexical=item.lexical,
    )


def explain_answer(
    answer: Answer, scored: list[ScoredSentence], candidates: list[Candidate]
) -> Answer:
    """``answer`` with an :class:`Explanation` on every passage that can be traced back.

    Args:
        scored: the re-scored sentences the answer was built from (best first).
        candidates: the fused ranking the sentences came from (best first), for the fused rank.
    """
    if not answer.passages:
        return answer
    fused_rank = {c.chunk_id: n for n, c in enumerate(candidates, start=1)}
    passages = []
    for passage in answer.passages:
        item = matched_sentence(passage, scored)
        if item is None:  # cannot happen with build_answer's passages; keep the quote anyway
            log.warning("no re-scored sentence inside passage %s", passage.article_id)
            passages.append(passage)
            continue
        rank = fused_rank.get(item.chunk.chunk_id, 0)
        passages.append(replace(passage, explain=explanation(item, rank)))
    return replace(answer, passages=passages)
