"""Hybrid retrieval: dense nearest neighbours and BM25 matches, fused into one ranking.

Dense search finds paraphrases; BM25 finds the names, figures and rare words that embeddings
blur. Reciprocal-rank fusion combines the two without needing their scores on one scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lexical import tokenize
from .snapshot import Snapshot

# Depth of each ranking that enters the fusion; deeper lists cost little and let a chunk that
# one retriever ranks low but the other ranks high still surface.
SEARCH_DEPTH = 50
# The RRF constant. The usual 60 makes ranks 1 and 10 nearly equal; a library holds a few
# hundred chunks and only the top dozen are read again at sentence level, so the top ranks must
# count: with 10, a chunk both retrievers put in their top three beats one that only one of
# them likes (dev: chunk recall@5 0.920 -> 0.946, @8 0.960 -> 0.966).
RRF_K = 10
# Weights of the two rankings in the fusion.
W_DENSE = 1.0
W_LEXICAL = 1.0


@dataclass(frozen=True)
class Candidate:
    """A chunk that either retriever found, with the evidence for it (kept for "why this")."""

    chunk_id: int
    article: int
    start: int
    end: int
    fused: float
    dense_rank: int | None
    dense_score: float | None
    lexical_rank: int | None
    lexical_score: float | None


def fuse(
    dense: tuple[np.ndarray, np.ndarray],
    lexical: tuple[np.ndarray, np.ndarray],
    dense_weight: float = 1.0,
    lexical_weight: float = 1.0,
    rrf_k: int = RRF_K,
) -> list[tuple[int, float, int | None, float | None, int | None, float | None]]:
    """Reciprocal-rank fusion of two rankings given as ``(ids, scores)``, best first.

    Returns:
        ``(id, fused, dense_rank, dense_score, lexical_rank, lexical_score)`` tuples sorted by
        fused score, ranks counted from 1.
    """
    table: dict[int, list] = {}
    for rank, (cid, score) in enumerate(zip(*dense, strict=True), start=1):
        entry = table.setdefault(int(cid), [0.0, None, None, None, None])
        entry[0] += dense_weight / (rrf_k + rank)
        entry[1], entry[2] = rank, float(score)
    for rank, (cid, score) in enumerate(zip(*lexical, strict=True), start=1):
        entry = table.setdefault(int(cid), [0.0, None, None, None, None])
        entry[0] += lexical_weight / (rrf_k + rank)
        entry[3], entry[4] = rank, float(score)
    ranked = sorted(table.items(), key=lambda item: -item[1][0])
    return [(cid, e[0], e[1], e[2], e[3], e[4]) for cid, e in ranked]


def retrieve(
    snapshot: Snapshot,
    query_vector: np.ndarray,
    question: str,
    depth: int = SEARCH_DEPTH,
    mode: str = "hybrid",
) -> list[Candidate]:
    """Candidate chunks for a question from one library snapshot, best first.

    Args:
        mode: ``hybrid`` (default), ``dense`` or ``lexical``, the last two for evaluation.
    """
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    dense = snapshot.dense.search(query_vector, depth) if mode != "lexical" else empty
    lexical = snapshot.lexical.search(question, depth) if mode != "dense" else empty
    fused = fuse(dense, lexical, W_DENSE, W_LEXICAL, RRF_K)
    if not fused:
        return []
    ids = np.fromiter((f[0] for f in fused), dtype=np.int64, count=len(fused))
    positions = snapshot.chunks.positions(ids)
    table = snapshot.chunks
    return [
        Candidate(
            cid,
            int(table.articles[p]),
            int(table.starts[p]),
            int(table.ends[p]),
            fs,
            dr,
            ds,
            lr,
            ls,
        )
        for (cid, fs, dr, ds, lr, ls), p in zip(fused, positions, strict=True)
    ]


def query_tokens(question: str) -> list[str]:
    return tokenize(question)
