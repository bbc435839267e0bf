"""The dense (FAISS) index of one library, behind a small interface.

Vectors are unit length, so inner product is cosine similarity. Positions in the FAISS index
map to chunk ids through an array kept beside it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

from .atomic import write_atomic

log = logging.getLogger(__name__)


class DenseIndex:
    """Exact inner-product search over a library's chunk vectors."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.index = faiss.IndexFlatIP(dim)
        self.ids = np.zeros(0, dtype=np.int64)

    @classmethod
    def build(cls, dim: int, ids: np.ndarray, vectors: np.ndarray) -> DenseIndex:
        dense = cls(dim)
        if len(ids):
            dense.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        dense.ids = np.asarray(ids, dtype=np.int64)
        return dense

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def vectors(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_n(0, len(self))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(chunk_ids, scores)`` of the ``k`` nearest chunks, best first."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, positions = self.index.search(
            query.reshape(1, -1).astype(np.float32), min(k, len(self))
        )
        keep = positions[0] >= 0
        return self.ids[positions[0][keep]], scores[0][keep]

    def save(self, directory: Path, stem: str) -> list[str]:
        """Write ``STEM.faiss`` and ``STEM.ids.npy``; returns the file names written."""
        names = [f"{stem}.faiss", f"{stem}.ids.npy"]
        write_atomic(directory / names[0], lambda tmp: faiss.write_index(self.index, tmp))
        write_atomic(directory / names[1], lambda tmp: _save_npy(tmp, self.ids))
        return names

    @classmethod
    def load(cls, directory: Path, stem: str, dim: int) -> DenseIndex:
        """Load a saved index; raises when the files are unreadable or do not fit together."""
        index = faiss.read_index(str(directory / f"{stem}.faiss"))
        ids = np.load(directory / f"{stem}.ids.npy", allow_pickle=False)
        if index.d != dim or index.ntotal != len(ids):
            raise ValueError(
                f"dense index has d={index.d}, n={index.ntotal}; expected d={dim}, n={len(ids)}"
            )
        dense = cls(dim)
        dense.index = index
        dense.ids = ids.astype(np.int64)
        return dense


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
