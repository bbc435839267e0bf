"""Near-duplicate articles: wire copy republished by several outlets.

MinHash over word shingles estimates the Jaccard similarity of two texts from short signatures,
so a new article is compared with every article of its library without re-reading their text.
Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

SHINGLE_WORDS = 5
NUM_HASHES = 64
# Reprints differ by a headline, a byline, a "Visit our homepage" line; rewrites of one story
# by different newsrooms share far fewer 5-word runs. 0.6 separates the two in practice.
NEAR_DUPLICATE = 0.6

_WORD = re.compile(r"[^\W_]+")
_MERSENNE = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20191231)
_A = _rng.integers(1, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """Hashes of the overlapping ``size``-word runs of the text, case and punctuation folded."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < size:
        words = words + [""] * (size - len(words)) if words else []
    runs = {" ".join(words[i : i + size]) for i in range(max(0, len(words) - size + 1))}
    return {
        int.from_bytes(hashlib.blake2b(r.encode(), digest_size=8).digest(), "little") >> 3
        for r in runs
    }


def signature(text: str) -> np.ndarray:
    """A MinHash signature (``NUM_HASHES`` uint64) of the text's shingles."""
    values = np.fromiter(shingles(text), dtype=np.uint64)
    if values.size == 0:
        return np.full(NUM_HASHES, np.iinfo(np.uint64).max, dtype=np.uint64)
    # (a*x + b) mod p, computed in float-free uint64 arithmetic with wrap-around, is a
    # universal-enough hash family for estimating overlap.
    hashed = (values[None, :] * _A[:, None] + _B[:, None]) % _MERSENNE
    return hashed.min(axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the texts behind two signatures."""
    return float(np.mean(a == b))


def most_similar(sig: np.ndarray, others: list[tuple[str, np.ndarray]]) -> tuple[str, float] | None:
    """The id and similarity of the closest signature among ``others``, if any."""
    best: tuple[str, float] | None = None
    for key, other in others:
        score = similarity(sig, other)
        if best is None or score > best[1]:
            best = (key, score)
    return best
