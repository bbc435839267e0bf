"""The dense (FAISS) index of one library, behind a small interface.

Vectors are unit length, so inner product is cosine similarity. Positions in the FAISS index
map to chunk ids through an array kept beside it.

Two kinds, chosen by size (thresholds measured in ``bench/README.md``):

- ``flat``: exact search, float32; best below ``HNSW_THRESHOLD`` chunks, where one query over
  every vector still takes a few milliseconds.
- ``hnsw``: an HNSW graph over fp16 vectors (``IndexHNSWSQ``), approximate, with ``efSearch``
  tuned on real sentence embeddings to recall@10 >= 0.97; about 1 KB per chunk instead of 1.5.

A snapshot's index must never change under a question, yet copying a million vectors for every
added article would make adds O(library). So the FAISS index is shared, append-only, between
the snapshots of a library: each ``DenseIndex`` is a view of its first ``n`` positions, minus
a mask of removed positions. Appending takes an exclusive lock against searches (FAISS may move
its storage while adding); the old view still sees exactly its own positions. HNSW cannot
remove vectors, so removal masks them, and the index is rebuilt once the mask grows past
``MAX_MASKED``. On disk the same holds: a base file plus small delta files of appended vectors,
compacted into a new base when the deltas grow.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from .atomic import write_atomic

log = logging.getLogger(__name__)

# Below this many chunks exact search is fast enough (flat at 100k x 384 takes ~13 ms a query
# on 2 cores, at 20k ~3 ms); above it the HNSW graph answers in well under a millisecond.
HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# Tuned on real all-MiniLM-L6-v2 chunk embeddings for recall@10 >= 0.97 against exact search.
HNSW_EF_SEARCH = 128
# Removed positions tolerated before the index is rebuilt without them.
MAX_MASKED = 0.10
# Appended vectors kept in delta files before a save writes a new base file.
MAX_DELTA = 20_000
ADD_BATCH = 20_000


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run one query's search on the calling thread alone.

    FAISS parallelises with OpenMP; for a single query the second thread buys nothing and, on
    a host whose cores are busy (the encoder's threads, other processes), waking it costs more
    than the search: a flat search over 10k vectors took ~16 ms with 2 threads and ~0.6 ms
    with 1 at load ~4 (bench/README.md, session 4). OpenMP's thread count is per calling
    thread, so builds (``add``, which do use both cores) and other threads are unaffected.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class _RWLock:
    """Many searches at once, or one append; appends wait for running searches."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class _Store:
    """The FAISS index shared by successive views, and what of it is on disk already."""

    def __init__(self, index, kind: str) -> None:
        self.index = index
        self.kind = kind
        self.lock = _RWLock()
        self.ids = np.zeros(0, dtype=np.int64)  # chunk id of every position
        # On disk: (folder, base file, positions in it, [(delta file, start, count)]).
        self.folder: Path | None = None
        self.base: tuple[str, int] | None = None
        self.deltas: list[tuple[str, int, int]] = []
        self.unsaved: list[tuple[int, np.ndarray]] = []  # appended vectors not yet on disk

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)


def _new_index(dim: int, kind: str):
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWSQ(
        dim, faiss.ScalarQuantizer.QT_fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT
    )
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def kind_for(count: int) -> str:
    return "hnsw" if count >= HNSW_THRESHOLD else "flat"


class DenseIndex:
    """Nearest-neighbour search over a library's chunk vectors (a view of a shared index)."""

    def __init__(self, dim: int, kind: str = "flat", ef_search: int | None = None) -> None:
        self.dim = dim
        self._store = _Store(_new_index(dim, kind), kind)
        self._n = 0
        self._masked = np.zeros(0, dtype=np.int64)  # removed positions, sorted
        self._selector = None
        self._selector_keep = None
        self.ids = np.zeros(0, dtype=np.int64)  # chunk ids of the live positions, in order
        self.ef_search = ef_search or HNSW_EF_SEARCH

    # -- building ------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._store.kind

    @classmethod
    def build(
        cls, dim: int, ids: np.ndarray, vectors: np.ndarray, kind: str | None = None
    ) -> DenseIndex:
        return cls.build_from([(np.asarray(ids), vectors)], dim, len(ids), kind)

    @classmethod
    def build_from(
        cls,
        parts: Iterable[tuple[np.ndarray, np.ndarray]],
        dim: int,
        total: int,
        kind: str | None = None,
    ) -> DenseIndex:
        """Build from ``(ids, vectors)`` batches without holding all vectors twice in memory."""
        dense = cls(dim, kind or kind_for(total))
        store = dense._store
        id_parts = []
        for ids, vectors in parts:
            if not len(ids):
                continue
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            if not store.index.is_trained:
                store.index.train(vectors)
            for first in range(0, len(ids), ADD_BATCH):
                store.index.add(vectors[first : first + ADD_BATCH])
            id_parts.append(np.asarray(ids, dtype=np.int64))
        if id_parts:
            store.ids = np.concatenate(id_parts)
        dense._n = store.ntotal
        dense.ids = store.ids
        return dense

    def extended(self, ids: np.ndarray, vectors: np.ndarray) -> DenseIndex:
        """A new view with ``vectors`` appended; this view keeps answering as it did.

        Raises:
            ValueError: when this view is not the newest of its index (the caller rebuilds).
        """
        store = self._store
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with store.lock.write():
            if store.ntotal != self._n or len(store.ids) != self._n:
                raise ValueError("this dense view is not the newest; rebuild instead")
            if len(ids):
                if not store.index.is_trained:
                    store.index.train(vectors)
                store.index.add(vectors)
                store.unsaved.append((self._n, vectors))
                store.ids = np.concatenate([store.ids, np.asarray(ids, dtype=np.int64)])
            n = store.ntotal
        return self._view(n, self._masked)

    def without(self, chunk_ids: np.ndarray) -> DenseIndex:
        """A new view with the positions of ``chunk_ids`` masked out."""
        live = self._live_positions()
        gone = live[np.isin(self._store.ids[live], np.asarray(chunk_ids, dtype=np.int64))]
        masked = np.union1d(self._masked, gone)
        return self._view(self._n, masked)

    def needs_rebuild(self) -> bool:
        """True when masked positions or the size call for a fresh index of the right kind."""
        if self._n and len(self._masked) > MAX_MASKED * self._n:
            return True
        live = len(self)
        if self.kind == "flat" and live >= HNSW_THRESHOLD:
            return True
        return self.kind == "hnsw" and live < HNSW_THRESHOLD // 2

    def _view(self, n: int, masked: np.ndarray) -> DenseIndex:
        view = DenseIndex.__new__(DenseIndex)
        view.dim = self.dim
        view._store = self._store
        view._n = n
        view._masked = masked
        view.ef_search = self.ef_search
        view._selector = view._selector_keep = None
        view.ids = view._store.ids[view._live_positions()]
        return view

    def _live_positions(self) -> np.ndarray:
        positions = np.arange(self._n, dtype=np.int64)
        if len(self._masked):
            positions = np.setdiff1d(positions, self._masked, assume_unique=True)
        return positions

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n - len(self._masked)

    def vectors(self) -> np.ndarray:
        """The live vectors in position order (fp16-rounded for ``hnsw``)."""
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._store.lock.read():
            every = self._store.index.reconstruct_n(0, self._n)
        return every[self._live_positions()]

    def _params(self):
        if self._n == self._store.ntotal and not len(self._masked):
            selector = None
        else:
            if self._selector is None:
                if len(self._masked):
                    keep = np.zeros((self._n + 7) // 8 * 8, dtype=bool)
                    keep[self._live_positions()] = True
                    self._selector_keep = np.packbits(keep, bitorder="little")
                    self._selector = faiss.IDSelectorBitmap(
                        len(self._selector_keep), faiss.swig_ptr(self._selector_keep)
                    )
                else:
                    self._selector = faiss.IDSelectorRange(0, self._n)
            selector = self._selector
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW()
            params.efSearch = self.ef_search
        elif selector is None:
            return None
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        return params

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(chunk_ids, scores)`` of the ``k`` nearest chunks, best first."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(self))
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = self._params()
        with self._store.lock.read(), _one_thread():
            if params is None:
                scores, positions = self._store.index.search(query, k)
            else:
                scores, positions = self._store.index.search(query, k, params=params)
        keep = positions[0] >= 0
        return self._store.ids[positions[0][keep]], scores[0][keep]

    # -- disk ----------------------------------------------------------------------------------

    def save(self, directory: Path, stem: str) -> tuple[list[str], dict]:
        """Write this view's files; returns every file name it uses and its layout.

        The layout (for the manifest) names the base index ``BASE.faiss`` + ``BASE.ids.npy``,
        the delta files of vectors appended since (``D.npy`` + ``D.ids.npy``) and the masked
        positions. Files already on disk for this index are reused, so a save after an add
        writes only the added vectors, until the deltas outgrow ``MAX_DELTA``.
        """
        store = self._store
        with store.lock.read():
            on_disk = store.base[1] + sum(d[2] for d in store.deltas) if store.base else 0
            reuse = (
                store.folder == directory
                and store.base is not None
                and on_disk <= self._n
                and sum(d[2] for d in store.deltas) + self._n - on_disk
                <= max(MAX_DELTA, store.base[1] // 10)
                and all((directory / name).exists() for name in self._disk_names())
            )
            if reuse and self._n > on_disk:
                vectors = self._unsaved_range(on_disk, self._n)
                if vectors is None:
                    reuse = False
                else:
                    delta = f"{stem}.delta"
                    ids = store.ids[on_disk : self._n]
                    write_atomic(directory / f"{delta}.npy", lambda t: _save_npy(t, vectors))
                    write_atomic(directory / f"{delta}.ids.npy", lambda t: _save_npy(t, ids))
                    store.deltas.append((delta, on_disk, self._n - on_disk))
            if not reuse:
                index = store.index
                if self._n != store.ntotal:
                    # Only the first n positions belong to this view.
                    index = _prefix_copy(store, self._n, self.dim)
                write_atomic(directory / f"{stem}.faiss", lambda t: faiss.write_index(index, t))
                ids = store.ids[: self._n]
                write_atomic(directory / f"{stem}.ids.npy", lambda t: _save_npy(t, ids))
                store.folder = directory
                store.base = (stem, self._n)
                store.deltas = []
            _drop_unsaved(store, self._n)
            names = self._disk_names()
            layout = {
                "kind": self.kind,
                "n": self._n,
                "base": store.base[0],
                "base_n": store.base[1],
                "deltas": [list(d) for d in store.deltas],
                "masked": self._masked.tolist(),
                "ef_search": self.ef_search,
            }
        return names, layout

    def _disk_names(self) -> list[str]:
        store = self._store
        if store.base is None:
            return []
        names = [f"{store.base[0]}.faiss", f"{store.base[0]}.ids.npy"]
        for delta, _, _ in store.deltas:
            names += [f"{delta}.npy", f"{delta}.ids.npy"]
        return names

    def _unsaved_range(self, start: int, end: int) -> np.ndarray | None:
        parts = []
        covered = start
        for first, vectors in self._store.unsaved:
            last = first + len(vectors)
            if last <= covered or first >= end:
                continue
            if first > covered:
                return None
            parts.append(vectors[covered - first : min(last, end) - first])
            covered = min(last, end)
        return np.concatenate(parts) if parts and covered == end else None

    @classmethod
    def load(cls, directory: Path, stem: str, dim: int, layout: dict | None = None) -> DenseIndex:
        """Load a saved index; raises when the files are unreadable or do not fit together.

        Args:
            stem: The base files' stem (``STEM.faiss``, ``STEM.ids.npy``).
            layout: What ``save`` returned; None for a single flat file without deltas.
        """
        index = faiss.read_index(str(directory / f"{stem}.faiss"))
        ids = np.load(directory / f"{stem}.ids.npy", allow_pickle=False)
        if layout is None:
            layout = {"kind": "flat", "n": len(ids), "base_n": len(ids), "deltas": [], "masked": []}
        if index.d != dim or index.ntotal != len(ids) or len(ids) != layout["base_n"]:
            raise ValueError(
                f"dense index has d={index.d}, n={index.ntotal}; expected d={dim}, n={len(ids)}"
            )
        dense = cls(dim, layout["kind"], layout.get("ef_search"))
        store = dense._store
        store.index = index
        if layout["kind"] == "hnsw":
            index.hnsw.efSearch = dense.ef_search
        id_parts = [ids.astype(np.int64)]
        deltas = []
        for delta, first, count in layout["deltas"]:
            vectors = np.load(directory / f"{delta}.npy", allow_pickle=False)
            delta_ids = np.load(directory / f"{delta}.ids.npy", allow_pickle=False)
            if first != index.ntotal or len(vectors) != count or len(delta_ids) != count:
                raise ValueError(f"dense delta {delta} does not fit the base index")
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            id_parts.append(delta_ids.astype(np.int64))
            deltas.append((delta, first, count))
        store.ids = np.concatenate(id_parts)
        if store.ntotal != layout["n"]:
            raise ValueError(f"dense index holds {store.ntotal} vectors, not {layout['n']}")
        store.folder = directory
        store.base = (stem, layout["base_n"])
        store.deltas = deltas
        return dense._view(store.ntotal, np.asarray(layout["masked"], dtype=np.int64))

    def memory_bytes(self) -> int:
        """Approximate bytes held by the FAISS index and the id arrays."""
        index = self._store.index
        per_vector = self.dim * (4 if self.kind == "flat" else 2)
        graph = 0
        if self.kind == "hnsw":
            graph = int(index.hnsw.neighbors.size()) * 4 + int(index.hnsw.levels.size()) * 4
        return self._store.ntotal * (per_vector + 8) + graph + self.ids.nbytes


def _prefix_copy(store: _Store, n: int, dim: int):
    """A new index holding the first ``n`` positions (rare: a save of an older view)."""
    vectors = store.index.reconstruct_n(0, n)
    index = _new_index(dim, store.kind)
    if n:
        index.train(vectors)
        index.add(vectors)
    return index


def _drop_unsaved(store: _Store, upto: int) -> None:
    store.unsaved = [(first, v) for first, v in store.unsaved if first + len(v) > upto]


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
