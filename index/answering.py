"""From candidate chunks to an Answer: sentence re-scoring, quote windows, answer spans.

Chunks are what retrieval ranks, but a reader wants the sentence that answers, with just enough
context around it. So the sentences inside the best chunks are re-scored against the question
(the same embedding model plus word overlap, plus the standing of the chunk they came from), the
best one is quoted with its neighbours, and the answer span inside it is marked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .chunking import count_words
from .lexical import tokenize
from .models import Answer, Passage
from .retrieval import Candidate
from .spans import mark_answer

log = logging.getLogger(__name__)

# How many of the fused candidates have their sentences re-scored.
RESCORE_CHUNKS = 8
# Quotes must fit a Discord embed field; DESIGN.md caps a passage at 150 words.
MAX_PASSAGE_WORDS = 150
# Sentences on each side of the best sentence that are quoted as context.
CONTEXT_SENTENCES = 1
# Below this cosine similarity between the question and the best sentence or chunk, the
# library holds nothing about the question and the bot says so instead of guessing.
# Calibrated on the dev set (see README, "Knowing when not to answer").
MIN_RELEVANCE = 0.30

# Sentence score = weights · (sentence cosine, share of question words present, chunk fusion).
W_SENTENCE_DENSE = 1.0
W_SENTENCE_LEXICAL = 0.5
W_CHUNK = 0.5


@dataclass(frozen=True)
class ArticleView:
    """What answering needs of a stored article."""

    row: int
    article_id: str
    title: str
    url: str | None
    published: str | None
    added_by: str | None
    added_at: str | None
    text: str
    sentences: list[tuple[int, int]]


@dataclass(frozen=True)
class ScoredSentence:
    article: ArticleView
    index: int  # position in article.sentences
    score: float
    dense: float
    lexical: float
    chunk: Candidate


def _lexical_overlap(question_tokens: set[str], sentence: str) -> float:
    if not question_tokens:
        return 0.0
    return len(question_tokens & set(tokenize(sentence))) / len(question_tokens)


def score_sentences(
    question: str,
    query_vector: np.ndarray,
    candidates: list[Candidate],
    articles: Callable[[int], ArticleView],
    encode: Callable[[list[str]], np.ndarray] | None,
) -> list[ScoredSentence]:
    """Re-score every sentence inside the top candidate chunks, best first.

    ``encode`` embeds sentences; None skips the dense part (used to measure what it buys).
    """
    top = candidates[:RESCORE_CHUNKS]
    if not top:
        return []
    best_fused = max(c.fused for c in top) or 1.0
    seen: dict[tuple[int, int], tuple[ArticleView, int, Candidate]] = {}
    for cand in top:
        article = articles(cand.article)
        for i, (s, e) in enumerate(article.sentences):
            if s >= cand.start and e <= cand.end and (article.row, i) not in seen:
                seen[(article.row, i)] = (article, i, cand)
    items = list(seen.values())
    texts = [a.text[a.sentences[i][0] : a.sentences[i][1]] for a, i, _ in items]
    if encode is not None and texts:
        dense = encode(texts) @ query_vector
    else:
        dense = np.zeros(len(texts), dtype=np.float32)
    q_tokens = set(tokenize(question))
    scored = []
    for (article, i, cand), text, d in zip(items, texts, dense, strict=True):
        lex = _lexical_overlap(q_tokens, text)
        score = (W_SENTENCE_DENSE * float(d) + W_SENTENCE_LEXICAL * lex
                 + W_CHUNK * cand.fused / best_fused)
        scored.append(ScoredSentence(article, i, score, float(d), lex, cand))
    scored.sort(key=lambda s: -s.score)
    return scored


def quote_window(article: ArticleView, index: int, context: int = CONTEXT_SENTENCES,
                 max_words: int = MAX_PASSAGE_WORDS) -> tuple[int, int]:
    """Sentence indexes ``(first, last)`` to quote around sentence ``index``, within the cap."""
    first = last = index
    words = count_words(article.text[slice(*article.sentences[index])])
    for _ in range(context):
        for step in (-1, 1):
            j = (first - 1) if step < 0 else (last + 1)
            if 0 <= j < len(article.sentences):
                extra = count_words(article.text[slice(*article.sentences[j])])
                if words + extra <= max_words:
                    words += extra
                    first, last = min(first, j), max(last, j)
    return first, last


def _clip_to_words(article: ArticleView, start: int, end: int, max_words: int) -> int:
    """End offset after at most ``max_words`` words of ``text[start:end]`` (a single long sentence)."""
    text = article.text
    count = 0
    i = start
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        if i >= end:
            break
        count += 1
        if count > max_words:
            break
        while i < end and not text[i].isspace():
            i += 1
    return i if count > max_words else end


def build_answer(question: str, scored: list[ScoredSentence], k: int,
                 min_relevance: float = MIN_RELEVANCE) -> Answer:
    """Pick up to ``k`` non-overlapping quote windows and mark the answer in the best one."""
    if not scored:
        return Answer(question=question, answer=None)
    relevance = max(max(s.dense for s in scored[:5]), scored[0].chunk.dense_score or 0.0)
    if relevance < min_relevance:
        titles = list(dict.fromkeys(s.article.title for s in scored))[:3]
        return Answer(question=question, answer=None, nearest_titles=titles)
    passages: list[Passage] = []
    taken: dict[int, list[tuple[int, int]]] = {}
    for item in scored:
        if len(passages) >= k:
            break
        first, last = quote_window(item.article, item.index)
        windows = taken.setdefault(item.article.row, [])
        # Overlapping or adjacent windows of one article would quote the same text twice.
        if any(first <= b + 1 and last >= a - 1 for a, b in windows):
            continue
        windows.append((first, last))
        article = item.article
        start = article.sentences[first][0]
        end = _clip_to_words(article, start, article.sentences[last][1], MAX_PASSAGE_WORDS)
        sentence_start, sentence_end = article.sentences[item.index]
        answer_start = answer_end = None
        span = mark_answer(question, article.text[sentence_start:sentence_end])
        if span is not None and sentence_start + span[1] <= end:
            answer_start, answer_end = sentence_start + span[0], sentence_start + span[1]
        passages.append(Passage(
            article_id=article.article_id, title=article.title, url=article.url,
            text=article.text[start:end], start=start, end=end, score=item.score,
            answer_start=answer_start, answer_end=answer_end, published=article.published,
            added_by=article.added_by, added_at=article.added_at,
        ))
    best = passages[0]
    if best.answer_start is not None:
        answer_text = best.answer_text
    else:
        s, e = scored[0].article.sentences[scored[0].index]
        answer_text = scored[0].article.text[s:e]
    return Answer(question=question, answer=answer_text, passages=passages)
