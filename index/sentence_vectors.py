"""Sentence vectors computed at ingest, so that answering a question embeds only the question.

Answering re-scores the sentences of the best chunks by their cosine with the question
(``index.answering``), through an ``encode`` callable that maps sentence texts to vectors.
Embedding those ~25 sentences at question time cost ~95 ms of a ~100 ms answer. The vectors
depend only on the sentence text and the encoder, so they are computed once when an article is
added or re-embedded (the same encoder, the same text: the sentence alone, exactly what
answering embeds) and stored in SQLite beside the article, one row per article (table
``sentence_vectors``, created by ``index.store``; an existing data directory gets the empty
table at its next start).

At question time :class:`SentenceVectors` serves ``encode`` from those rows: the articles that
answering opens are looked up (one small read each, then kept in memory), and any text with no
stored vector (an old data directory, another backend's vectors, an answer-span candidate that
is not a whole sentence) is embedded as before. A stored row is used only when it was computed
by the engine's encoder for the article's current sentences, so a stale row can never change an
answer; it only costs the old speed until the next rebuild replaces it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .answering import ArticleView

log = logging.getLogger(__name__)

# Sentence texts whose vectors stay in memory between questions (~1.5 KB each: ~12 MB). The
# articles a question opens are looked up again only after they fell out of this.
TEXT_CACHE = 8_192
# Articles remembered as having no usable stored vectors (an old data directory).
ROW_CACHE = 4_096
# Stored as float32: the same numbers answering would compute, so answers do not move.
DTYPE = np.float32


def sentence_texts(text: str, sentences: Sequence[tuple[int, int]]) -> list[str]:
    """The texts answering embeds for an article's sentences (the sentence alone)."""
    return [text[s:e] for s, e in sentences]


def spans_digest(sentences: Sequence[tuple[int, int]]) -> str:
    """What the stored vectors were computed for: a re-split article no longer matches."""
    data = np.asarray(sentences, dtype=np.int64).reshape(-1, 2).tobytes()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def put(
    db: sqlite3.Connection,
    article_row: int,
    encoder_tag: str,
    sentences: Sequence[tuple[int, int]],
    vectors: np.ndarray,
) -> None:
    """Store an article's sentence vectors (inside the caller's write transaction)."""
    if len(vectors) != len(sentences):
        raise ValueError("one vector per sentence")
    db.execute(
        "INSERT OR REPLACE INTO sentence_vectors (article, encoder, spans, vectors)"
        " VALUES (?,?,?,?)",
        (
            article_row,
            encoder_tag,
            spans_digest(sentences),
            np.ascontiguousarray(vectors, dtype=DTYPE).tobytes(),
        ),
    )


def get(
    db: sqlite3.Connection,
    article_row: int,
    encoder_tags: str | Collection[str],
    sentences: Sequence[tuple[int, int]],
) -> np.ndarray | None:
    """The article's stored sentence vectors, or None when absent or not for these inputs.

    Args:
        encoder_tags: The encoder tag (or tags, ``Encoder.compatible_tags``) accepted.
    """
    if isinstance(encoder_tags, str):
        encoder_tags = (encoder_tags,)
    row = db.execute(
        "SELECT encoder, spans, vectors FROM sentence_vectors WHERE article=?", (article_row,)
    ).fetchone()
    if row is None or row[0] not in encoder_tags or row[1] != spans_digest(sentences):
        return None
    vectors = np.frombuffer(row[2], dtype=DTYPE)
    if not sentences or len(vectors) % len(sentences):
        return None
    return vectors.reshape(len(sentences), -1)


class SentenceVectors:
    """The engine's source of sentence vectors for answering: stored ones, else the encoder.

    One per engine (long-lived, so the answering module's own text -> vector cache, which is
    keyed by the owner of ``encode``, keeps working across questions as it did with the
    encoder). Thread-safe.

    Args:
        conn: The calling thread's SQLite connection (``Store.conn``).
        encoder_tag: The engine's encoder identity, or the identities it accepts
            (``Encoder.compatible_tags``); rows of another encoder are ignored.
        embed: Embeds texts the store has no vector for (``Encoder.encode_documents``).
    """

    def __init__(
        self,
        conn: Callable[[], sqlite3.Connection],
        encoder_tag: str | Collection[str],
        embed: Callable[[list[str]], np.ndarray],
    ) -> None:
        self._conn = conn
        self._tag = encoder_tag
        self._embed = embed
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()
        # Articles found without usable stored vectors: not read again until forgotten.
        self._unstored: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()
        self.stored_hits = 0
        self.embedded = 0

    def articles(self, view: Callable[[int], ArticleView]) -> Callable[[int], ArticleView]:
        """Wrap the article lookup answering uses, so each article it opens is prefetched.

        Wrap once per question: an article that several of its chunks come from is looked up
        and prefetched once (checking that all of an article's sentences are in memory costs
        more than the lookup).
        """
        opened: dict[int, ArticleView] = {}

        def article(row: int) -> ArticleView:
            found = opened.get(row)
            if found is None:
                found = opened[row] = view(row)
                self.prefetch(found)
            return found

        return article

    def prefetch(self, article: ArticleView) -> bool:
        """Make the article's stored sentence vectors available to ``encode``.

        Returns:
            Whether the article's sentences all have a vector in memory now.
        """
        texts = sentence_texts(article.text, article.sentences)
        with self._lock:
            if article.row in self._unstored:
                self._unstored.move_to_end(article.row)
                return False
            if all(t in self._texts for t in texts):
                for text in texts:
                    self._texts.move_to_end(text)
                return True
        vectors = get(self._conn(), article.row, self._tag, article.sentences)
        with self._lock:
            if vectors is None:
                self._unstored[article.row] = None
                while len(self._unstored) > ROW_CACHE:
                    self._unstored.popitem(last=False)
                return False
            for text, vector in zip(texts, vectors, strict=True):
                self._texts[text] = vector
                self._texts.move_to_end(text)
            while len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
        return True

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``: stored ones where known, the rest embedded now."""
        with self._lock:
            found = [self._texts.get(t) for t in texts]
        missing = [t for t, v in zip(texts, found, strict=True) if v is None]
        with self._lock:
            self.stored_hits += len(texts) - len(missing)
            self.embedded += len(missing)
        if len(missing) == len(texts):
            return self._embed(list(texts))
        if missing:
            fresh = iter(self._embed(missing))
            found = [v if v is not None else next(fresh) for v in found]
        return np.stack(found).astype(np.float32, copy=False)

    def forget(self, row: int | None = None) -> None:
        """Read an article (None: every article) again: its sentences or vectors changed."""
        with self._lock:
            if row is None:
                self._unstored.clear()
            else:
                self._unstored.pop(row, None)
