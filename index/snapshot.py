"""A library's derived search state: dense + lexical indexes and the chunk table, as one snapshot.

A snapshot is never changed after it is built; a write builds a new one and swaps it in, so a
question always runs against one complete, consistent index (the last one), even while a
rebuild is under way. On disk a snapshot is a folder whose ``manifest.json`` is the commit
point: data files are written first under fresh names, then the manifest naming them replaces
the old one atomically, then unreferenced files are removed. A folder whose manifest is missing,
unreadable, of another model or chunker, or behind the store's generation is rebuilt from SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomic
from .dense import DenseIndex
from .errors import StorageError
from .lexical import LexicalIndex

log = logging.getLogger(__name__)

FORMAT = 1
# The lexical side: tokenizer and saved format (index.lexical; its scores equal bm25s's).
TOKENIZER = "bm25s-stem-en/numbers/accents/v2;tf-segments/v1"


@dataclass(frozen=True)
class IndexIdentity:
    """What must match between a saved index and the running engine for it to be reused."""

    model: str
    dim: int
    chunker: str
    # How the model ran (index.embedding.BACKENDS) for the engine that saved the index. Its
    # vectors may come from another backend whose vectors are the same up to rounding
    # (index.embedding.FP32_EQUIVALENT: a bulk import on torch-bf16); int8 ones are never mixed.
    backend: str = "torch"

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "dim": self.dim,
            "chunker": self.chunker,
            "backend": self.backend,
            "tokenizer": TOKENIZER,
            "format": FORMAT,
        }


@dataclass(frozen=True)
class ChunkTable:
    """Chunk ids (ascending) with their article row and offsets, as parallel arrays."""

    ids: np.ndarray
    articles: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def empty(cls) -> ChunkTable:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z)

    def positions(self, chunk_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, chunk_ids)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Snapshot:
    library: str
    generation: int
    identity: IndexIdentity
    dense: DenseIndex
    lexical: LexicalIndex
    chunks: ChunkTable

    def __len__(self) -> int:
        return len(self.chunks)


def folder_for(root: Path, library: str) -> Path:
    """A file-system-safe folder name for a library name, unique by hash."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", library)[:40]
    digest = hashlib.sha1(library.encode()).hexdigest()[:8]
    return root / f"{safe}-{digest}"


LOCK_NAME = ".lock"


@contextlib.contextmanager
def _folder_lock(folder: Path, exclusive: bool, wait: bool = True) -> Iterator[bool]:
    """Hold an advisory lock on the index folder (shared to load, exclusive to save); yields
    whether it is held, which without ``wait`` it is not when another process holds it.

    Why: processes sharing a data directory (the bot, a CLI import) save the same folder; the
    lock keeps one from deleting the files of another's save in progress, and a reader from
    opening files that a save is about to remove.
    """
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield True  # a read-only folder: nobody can be saving into it
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def save(snapshot: Snapshot, folder: Path) -> None:
    """Write the snapshot's files, then the manifest naming them, then remove older files.

    Raises:
        StorageError: The folder cannot be written (disk full, read-only, not a folder). The
            files of this save are removed again and the previous manifest stays in force.
    """
    tag = f"g{snapshot.generation}-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _folder_lock(folder, exclusive=True):
            try:
                _, dense_layout = snapshot.dense.save(folder, f"dense-{tag}")
                snapshot.lexical.save(folder, f"lexical-{tag}")
                manifest = {
                    **snapshot.identity.to_json(),
                    "library": snapshot.library,
                    "generation": snapshot.generation,
                    "chunks": len(snapshot.chunks),
                    # The base index file(s); an add appends a small delta file beside them.
                    "dense": dense_layout["base"],
                    "dense_layout": dense_layout,
                    "lexical": f"lexical-{tag}",
                    "versions": _versions(),
                }
                data = json.dumps(manifest, indent=1).encode()
                write_bytes_atomic(folder / "manifest.json", data)
            except BaseException:
                _remove(folder, lambda name: tag in name)
                raise
            # Older snapshots and temporary files of saves that were killed midway.
            _remove_unreferenced(folder, manifest)
    except (OSError, RuntimeError) as err:  # faiss reports write errors as RuntimeError
        reason = err.strerror.lower() if isinstance(err, OSError) and err.strerror else str(err)
        raise StorageError(f"The search index cannot be saved ({reason[:200]}).") from err


def _remove_unreferenced(folder: Path, manifest: dict) -> int:
    """Remove what ``manifest`` (the one in force) does not name; returns how many entries."""
    keep = referenced_files(manifest) | {"manifest.json", LOCK_NAME}
    doomed = [entry.name for entry in folder.iterdir() if entry.name not in keep]
    _remove(folder, lambda name: name in doomed)
    return len(doomed)


def _remove(folder: Path, doomed: Callable[[str], bool]) -> None:
    for entry in folder.iterdir():
        if doomed(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def load(
    folder: Path, library: str, identity: IndexIdentity, generation: int, chunks: ChunkTable
) -> Snapshot | None:
    """The saved snapshot if complete and current; None (logged) when it must be rebuilt."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        log.info("library %s: no saved index, building it from the store", library)
        return None
    try:
        with _folder_lock(folder, exclusive=False):
            loaded = _load_locked(folder, library, identity, generation, chunks)
    except Exception as err:  # noqa: BLE001 - any unreadable file means: rebuild from SQLite
        log.warning("library %s: saved index is unreadable (%s), rebuilding it", library, err)
        return None
    if loaded is not None:
        _tidy(folder)
    return loaded


def referenced_files(manifest: dict) -> set[str]:
    """The names of the files and folders a manifest's snapshot is made of."""
    layout = manifest.get("dense_layout") or {}
    base = layout.get("base") or manifest["dense"]
    names = {manifest["lexical"], f"{base}.faiss", f"{base}.ids.npy"}
    for delta, *_ in layout.get("deltas", []):
        names.update((f"{delta}.npy", f"{delta}.ids.npy"))
    return names


def _tidy(folder: Path) -> None:
    """Remove what the manifest does not name, when no other process holds the folder.

    A save killed after writing its manifest but before removing the previous snapshot's
    files leaves those behind; the next save removes them, but a process that only reads the
    index (a bot nobody adds to) never saves. Skipped when the lock is busy: whoever holds it
    is reading (the files are in use) or saving (and will tidy up itself).
    """
    try:
        with _folder_lock(folder, exclusive=True, wait=False) as held:
            if held:
                manifest = json.loads((folder / "manifest.json").read_text())
                if removed := _remove_unreferenced(folder, manifest):
                    log.info("index folder %s: removed %d unreferenced file(s)", folder, removed)
    except (OSError, ValueError, KeyError) as err:
        log.debug("index folder %s not tidied: %s", folder, err)


def _load_locked(
    folder: Path, library: str, identity: IndexIdentity, generation: int, chunks: ChunkTable
) -> Snapshot | None:
    manifest = json.loads((folder / "manifest.json").read_text())
    wanted = identity.to_json()
    mismatched = [k for k, v in wanted.items() if manifest.get(k) != v]
    if mismatched:
        log.warning(
            "library %s: saved index differs in %s, rebuilding it", library, ", ".join(mismatched)
        )
        return None
    if manifest.get("generation") != generation or manifest.get("chunks") != len(chunks):
        log.warning(
            "library %s: saved index is stale (generation %s, store %s), rebuilding",
            library,
            manifest.get("generation"),
            generation,
        )
        return None
    dense = DenseIndex.load(
        folder, manifest["dense"], identity.dim, manifest.get("dense_layout")
    )
    lexical = LexicalIndex.load(folder, manifest["lexical"])
    if not (np.array_equal(dense.ids, chunks.ids) and np.array_equal(lexical.ids, chunks.ids)):
        log.warning(
            "library %s: saved index covers other chunks than the store, rebuilding", library
        )
        return None
    return Snapshot(library, generation, identity, dense, lexical, chunks)


def _versions() -> dict:
    import bm25s
    import faiss

    return {"faiss": faiss.__version__, "bm25s": bm25s.__version__}
