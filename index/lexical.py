"""The lexical (BM25) index of one library.

Dense embeddings blur names, numbers and rare words; BM25 matches them exactly, which is why the
retriever fuses both. Tokens are lower-cased, stemmed, stop words dropped, and runs of number
words folded into digits ("Twenty-five" -> "25") so a question and an article that write the
same figure differently still match.

The scores are bm25s's (its default "lucene" variant, k1 1.5, b 0.75), bit for bit, but the
index keeps term frequencies instead of precomputed scores: BM25's IDF and length norm depend
on the whole library, so precomputed scores must all be redone when one article is added (7 s
at 100k chunks, 83 s at 1M, re-tokenizing every chunk). Term frequencies of the chunks already
indexed never change, so an add tokenizes only the new chunks and appends one segment; the
statistics (document frequencies, lengths) are updated and the scores computed per question
from the postings of the question's words, which costs about what reading precomputed ones did.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomic
from .numbers import NUMBER_WORDS, words_to_number

log = logging.getLogger(__name__)


_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    # bm25s's English list (the tokenizer's identity): imported quietly, since bm25s sets its
    # own logger to DEBUG on import and its chatter would land on a CLI user's stderr.
    from bm25s.stopwords import STOPWORDS_EN

    logging.getLogger("bm25s").setLevel(logging.WARNING)
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


_APOSTROPHES = str.maketrans({"\u02bb": "'", "\u02bc": "'", "\u02bd": "'"})


def fold_accents(text: str) -> str:
    """``text`` without diacritics ("Löwenheim" -> "Lowenheim", "Köppen" -> "Koppen").

    Readers type names the way their keyboard does: a question about "Lowenheim" or "Koppen"
    must match the article's "Löwenheim" and "Köppen" on exact words. Letters with no plain
    form ("ø", "ß") are left as they are; the okina and other modifier-letter apostrophes
    become the apostrophe they are typed as ("Waiʻaleʻale" -> "Wai'ale'ale").
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Lower-case, fold accents and number words into digits, drop stop words, stem."""
    words = _fold_numbers([w.lower() for w in _TOKEN.findall(fold_accents(text))])
    stop = _stopwords()
    kept = [w for w in words if w not in stop]
    return _stemmer().stemWords(kept)


# bm25s's defaults ("lucene" BM25); the saved format names them, so a change rebuilds.
K1 = 1.5
B = 0.75
FORMAT = "tf-segments/v1"
# An empty token list still takes a position (positions map to chunk ids); this token is never
# produced by ``tokenize`` (it is not a word character), so no question matches it.
PLACEHOLDER = "\u2400"
# Segments kept apart before the small ones are merged (each costs a slice per question word).
MAX_SEGMENTS = 8
# Term weights kept for words with at least this many postings (a rarer word's are cheap to
# compute), up to this many postings in all (8 bytes each, plus the positions of a library
# with several segments): ~64 MB, the common words of a million-chunk library.
WEIGHT_CACHE_MIN = 10_000
WEIGHT_CACHE_POSTINGS = 8_000_000


@dataclass(frozen=True)
class _Segment:
    """Term frequencies of the positions ``start .. start + n``, grouped by token (CSC).

    The postings of token ``t`` are ``docs[indptr[t]:indptr[t + 1]]`` (positions relative to
    ``start``, ascending) with counts ``tf[...]``; tokens past ``len(indptr) - 1`` came later.
    """

    start: int
    n: int
    indptr: np.ndarray  # int64
    docs: np.ndarray  # int32
    tf: np.ndarray  # float32

    @classmethod
    def build(cls, start: int, token_ids: list[np.ndarray], vocab_size: int) -> _Segment:
        n = len(token_ids)
        lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=n)
        flat = np.concatenate(token_ids) if n else np.zeros(0, dtype=np.int64)
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys, counts = np.unique(flat * max(n, 1) + doc, return_counts=True)
        tokens = keys // max(n, 1)
        indptr = np.zeros(vocab_size + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=vocab_size), out=indptr[1:])
        return cls(
            start,
            n,
            indptr,
            (keys % max(n, 1)).astype(np.int32),
            counts.astype(np.float32),
        )

    @classmethod
    def merge(cls, parts: list[_Segment], vocab_size: int) -> _Segment:
        """One segment holding consecutive segments' postings (no re-tokenizing)."""
        tokens = np.concatenate(
            [np.repeat(np.arange(len(p.indptr) - 1), np.diff(p.indptr)) for p in parts]
        )
        docs = np.concatenate([p.docs.astype(np.int64) + (p.start - parts[0].start) for p in parts])
        tf = np.concatenate([p.tf for p in parts])
        order = np.lexsort((docs, tokens))
        indptr = np.zeros(vocab_size + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=vocab_size), out=indptr[1:])
        n = sum(p.n for p in parts)
        return cls(parts[0].start, n, indptr, docs[order].astype(np.int32), tf[order])


class LexicalIndex:
    """BM25 over a library's chunks; positions map to chunk ids.

    Immutable once built: ``extended`` returns a new index sharing this one's segments, so a
    snapshot being searched is never changed under a question.
    """

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.vocab: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)  # chunks holding each token
        self.doc_len = np.zeros(0, dtype=np.int32)  # tokens per chunk
        self.total = 0  # sum of doc_len
        self.segments: tuple[_Segment, ...] = ()
        self._norm: np.ndarray | None = None  # per chunk: k1 * (1 - b + b * len / average)
        # Term weights of common words (see _postings), least recently used first.
        self._weights: OrderedDict[int, list[tuple[np.ndarray, np.ndarray]]] = OrderedDict()
        self._cached = 0  # postings held in _weights
        self._weights_lock = threading.Lock()  # questions search one index from many threads

    @classmethod
    def build(cls, ids: np.ndarray, texts: list[str]) -> LexicalIndex:
        return cls().extended(ids, texts)

    def extended(self, ids: np.ndarray, texts: list[str]) -> LexicalIndex:
        """This index plus the chunks ``ids`` (after every current one) with their texts.

        Only the new texts are tokenized; the result scores exactly as a build of every chunk.
        """
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(texts):
            raise ValueError("one text per id")
        out = LexicalIndex()
        out.vocab = dict(self.vocab)
        vocab = out.vocab
        token_ids = []
        for text in texts:
            tokens = tokenize(text) or [PLACEHOLDER]
            token_ids.append(
                np.fromiter(
                    (vocab.setdefault(t, len(vocab)) for t in tokens),
                    dtype=np.int64,
                    count=len(tokens),
                )
            )
        segment = _Segment.build(len(self), token_ids, len(vocab))
        lengths = np.fromiter(map(len, token_ids), dtype=np.int32, count=len(token_ids))
        out.ids = np.concatenate([self.ids, ids])
        out.df = np.zeros(len(vocab), dtype=np.int64)
        out.df[: len(self.df)] = self.df
        out.df += np.diff(segment.indptr)
        out.doc_len = np.concatenate([self.doc_len, lengths])
        out.total = self.total + int(lengths.sum())
        segments = [*self.segments, segment] if len(ids) else list(self.segments)
        if len(segments) > MAX_SEGMENTS:
            # The first (largest) segment stays; the later, small ones become one.
            segments = [segments[0], _Segment.merge(segments[1:], len(vocab))]
        out.segments = tuple(segments)
        return out

    def without(self, keep: np.ndarray) -> LexicalIndex:
        """This index with only the positions where ``keep`` is true (a removal).

        The postings of the dropped chunks are cut out and the later positions renumbered, so a
        removal costs one pass over the postings of the segments it touches instead of
        re-tokenizing every chunk (66 s at 1M chunks); segments it does not touch keep their
        arrays. Words no remaining chunk holds leave the vocabulary, as they would on a fresh
        build; the result scores exactly as one.
        """
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != len(self.ids):
            raise ValueError("one flag per position")
        if keep.all():
            return self
        kept_before = np.concatenate([[0], np.cumsum(keep)])  # kept positions before each
        vocab_size = len(self.vocab)
        removed = np.zeros(vocab_size, dtype=np.int64)  # postings removed, per token
        parts = []  # (start, n, postings per token, docs, tf) of the segments left
        for seg in self.segments:
            counts = np.diff(seg.indptr)
            local_keep = keep[seg.start : seg.start + seg.n]
            n = int(local_keep.sum())
            if n == seg.n:
                parts.append((int(kept_before[seg.start]), n, counts, seg.docs, seg.tf))
                continue
            dead = np.flatnonzero(~local_keep[seg.docs])  # postings of dropped chunks
            dead_counts = np.bincount(
                np.searchsorted(seg.indptr, dead, side="right") - 1, minlength=len(counts)
            )
            removed[: len(counts)] += dead_counts
            if not n:
                continue
            docs = np.delete(seg.docs, dead)
            # A kept chunk moves down by the dropped chunks before it in the segment.
            shift = np.cumsum(~local_keep, dtype=np.int32)
            docs = docs - shift[docs]
            tf = np.delete(seg.tf, dead)
            parts.append((int(kept_before[seg.start]), n, counts - dead_counts, docs, tf))
        df = self.df - removed
        # Words still held by some chunk, renumbered in their old order; the postings stay
        # grouped by token in ascending order, so only the pointers change.
        held = np.flatnonzero(df)
        out = LexicalIndex()
        words = list(self.vocab)
        out.vocab = {words[t]: i for i, t in enumerate(held.tolist())}
        out.df = df[held]
        out.ids = self.ids[keep]
        out.doc_len = self.doc_len[keep]
        out.total = int(out.doc_len.sum(dtype=np.int64))
        segments = []
        for start, n, counts, docs, tf in parts:
            mine = held[held < len(counts)]
            indptr = np.zeros(len(mine) + 1, dtype=np.int64)
            np.cumsum(counts[mine], out=indptr[1:])
            segments.append(_Segment(start, n, indptr, docs, tf))
        out.segments = tuple(segments)
        return out

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query, in position order.

        Computed as bm25s computes its precomputed scores (same operations, same dtypes), so
        the numbers are bm25s's to the bit.
        """
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        if not n or not query_tokens:
            return out
        norms = self._norm
        if norms is None:  # once per index (the average length changes with every add)
            norms = K1 * ((1 - B) + B * self.doc_len.astype(np.float64) / (self.total / n))
            self._norm = norms
        for token in query_tokens:
            vid = self.vocab.get(token)
            if vid is None:
                continue
            df = int(self.df[vid])
            idf = np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))
            for docs, weights in self._postings(vid, norms):
                out[docs] += (idf * weights).astype(np.float32)
        return out

    def _postings(self, vid: int, norms: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The chunk positions holding token ``vid`` and their BM25 term weights (before IDF),
        per segment.

        The weights of the words questions use most are kept: a common word ("people",
        "killed") has hundreds of thousands of postings at 1M chunks, and its weights, which
        depend on the library's average length, stay the same until the next add (a new index
        object). Kept as float64, the very numbers computed in place, so scores do not move.
        """
        with self._weights_lock:
            cached = self._weights.get(vid)
            if cached is not None:
                self._weights.move_to_end(vid)
                return cached
        parts = []
        for seg in self.segments:
            if vid + 1 >= len(seg.indptr):
                continue
            first, last = seg.indptr[vid], seg.indptr[vid + 1]
            if first == last:
                continue
            docs = seg.docs[first:last]
            if seg.start:
                docs = docs + seg.start
            tf = seg.tf[first:last]
            parts.append((docs, tf / (norms[docs] + tf)))
        size = sum(len(d) for d, _ in parts)
        if size >= WEIGHT_CACHE_MIN:
            with self._weights_lock:
                if vid not in self._weights:
                    self._weights[vid] = parts
                    self._cached += size
                while self._cached > WEIGHT_CACHE_POSTINGS:
                    _, dropped = self._weights.popitem(last=False)
                    self._cached -= sum(len(d) for d, _ in dropped)
        return parts

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of each token over the library's chunks.

        A token no chunk holds gets the highest weight: it is the rarest word there is.
        """
        n = len(self.ids)
        if not n:
            return dict.fromkeys(tokens, 1.0)
        out = {}
        for token in tokens:
            vid = self.vocab.get(token)
            df = int(self.df[vid]) if vid is not None else 0
            out[token] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(chunk_ids, scores)`` of the ``k`` best-scoring chunks with a score > 0."""
        scores = self.scores(tokenize(query))
        # Only chunks holding a question word score above 0: selecting among those (a fifth of
        # a million-chunk library for a question of common words, far fewer usually) instead
        # of among every chunk saves most of the selection's time at scale.
        hits = np.flatnonzero(scores > 0) if k > 0 else np.zeros(0, dtype=np.int64)
        if not len(hits):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(hits))
        top = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        top = top[np.argsort(-scores[top], kind="stable")]
        return self.ids[top], scores[top]

    def save(self, directory: Path, stem: str) -> list[str]:
        """Write the index into the folder ``STEM``; returns the names written."""
        folder = directory / stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        arrays = {"ids": self.ids, "doc_len": self.doc_len}
        for i, seg in enumerate(self.segments):
            arrays[f"s{i}_indptr"] = seg.indptr
            arrays[f"s{i}_docs"] = seg.docs
            arrays[f"s{i}_tf"] = seg.tf
        with open(folder / "postings.npz", "wb") as handle:
            np.savez(handle, **arrays)
        meta = {
            "format": FORMAT,
            "k1": K1,
            "b": B,
            "segments": [[seg.start, seg.n] for seg in self.segments],
            "vocab": list(self.vocab),
        }
        write_bytes_atomic(folder / "meta.json", json.dumps(meta).encode())
        return [stem]

    @classmethod
    def load(cls, directory: Path, stem: str) -> LexicalIndex:
        """Read a saved index.

        Raises:
            ValueError: The folder holds another format (the snapshot is then rebuilt).
        """
        folder = directory / stem
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT or meta.get("k1") != K1 or meta.get("b") != B:
            raise ValueError(f"lexical index of another format ({meta.get('format')})")
        lexical = cls()
        with np.load(folder / "postings.npz") as arrays:
            lexical.ids = arrays["ids"]
            lexical.doc_len = arrays["doc_len"]
            lexical.segments = tuple(
                _Segment(
                    start, n, arrays[f"s{i}_indptr"], arrays[f"s{i}_docs"], arrays[f"s{i}_tf"]
                )
                for i, (start, n) in enumerate(meta["segments"])
            )
        lexical.vocab = {token: i for i, token in enumerate(meta["vocab"])}
        lexical.total = int(lexical.doc_len.sum())
        lexical.df = np.zeros(len(lexical.vocab), dtype=np.int64)
        for seg in lexical.segments:
            lexical.df[: len(seg.indptr) - 1] += np.diff(seg.indptr)
        return lexical
