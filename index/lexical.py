"""The lexical (BM25) index of one library, built with bm25s.

Dense embeddings blur names, numbers and rare words; BM25 matches them exactly, which is why the
retriever fuses both. Tokens are lower-cased, stemmed, stop words dropped, and runs of number
words folded into digits ("Twenty-five" -> "25") so a question and an article that write the
same figure differently still match.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomic
from .numbers import NUMBER_WORDS, words_to_number

log = logging.getLogger(__name__)


def _import_bm25s():
    """Import bm25s quietly: it sets its own logger to DEBUG on import, and its per-build
    chatter would land on a CLI user's stderr."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _fold_numbers(words: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if word in NUMBER_WORDS:
            run.append(word)
            continue
        if run:
            value = words_to_number(run)
            out.append(str(value) if value is not None else " ".join(run))
            run = []
        if word:
            out.append(word)
    return out


def tokenize(text: str) -> list[str]:
    """Lower-case, fold number words into digits, drop stop words, stem."""
    words = _fold_numbers([w.lower() for w in _TOKEN.findall(text)])
    stop = _stopwords()
    kept = [w for w in words if w not in stop]
    return _stemmer().stemWords(kept)


class LexicalIndex:
    """BM25 over a library's chunks; positions map to chunk ids."""

    def __init__(self) -> None:
        self.retriever = None
        self.ids = np.zeros(0, dtype=np.int64)

    @classmethod
    def build(cls, ids: np.ndarray, texts: list[str]) -> LexicalIndex:
        bm25s = _import_bm25s()

        lexical = cls()
        lexical.ids = np.asarray(ids, dtype=np.int64)
        if len(texts):
            retriever = bm25s.BM25()
            # An empty token list would be skipped by bm25s and shift positions; a placeholder
            # token that no query produces keeps positions aligned with ids.
            corpus = [tokenize(t) or ["\u2400"] for t in texts]
            retriever.index(corpus, show_progress=False)
            lexical.retriever = retriever
        return lexical

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query, in position order."""
        if self.retriever is None or not query_tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        vocab = self.retriever.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of each token over the library's chunks.

        A token no chunk holds gets the highest weight: it is the rarest word there is.
        """
        n = len(self.ids)
        if self.retriever is None or not n:
            return dict.fromkeys(tokens, 1.0)
        vocab = self.retriever.vocab_dict
        indptr = self.retriever.scores["indptr"]
        out = {}
        for token in tokens:
            vid = vocab.get(token)
            df = int(indptr[vid + 1] - indptr[vid]) if vid is not None else 0
            out[token] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(chunk_ids, scores)`` of the ``k`` best-scoring chunks with a score > 0."""
        scores = self.scores(tokenize(query))
        if not len(scores) or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return self.ids[top], scores[top]

    def save(self, directory: Path, stem: str) -> list[str]:
        """Write the index into the folder ``STEM`` beside the ids file; returns names written."""
        folder = directory / stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        if self.retriever is not None:
            self.retriever.save(str(folder), show_progress=False)
        buffer = json.dumps({"ids": self.ids.tolist(), "empty": self.retriever is None})
        write_bytes_atomic(folder / "ids.json", buffer.encode())
        return [stem]

    @classmethod
    def load(cls, directory: Path, stem: str) -> LexicalIndex:
        bm25s = _import_bm25s()

        folder = directory / stem
        meta = json.loads((folder / "ids.json").read_text())
        lexical = cls()
        lexical.ids = np.asarray(meta["ids"], dtype=np.int64)
        if not meta["empty"]:
            lexical.retriever = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        return lexical
