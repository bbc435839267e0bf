"""A library's derived search state: dense + lexical indexes and the chunk table, as one snapshot.

A snapshot is never changed after it is built; a write builds a new one and swaps it in, so a
question always runs against one complete, consistent index (the last one), even while a
rebuild is under way. On disk a snapshot is a folder whose ``manifest.json`` is the commit
point: data files are written first under fresh names, then the manifest naming them replaces
the old one atomically, then unreferenced files are removed. A folder whose manifest is missing,
unreadable, of another model or chunker, or behind the store's generation is rebuilt from SQLite.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomic
from .dense import DenseIndex
from .lexical import LexicalIndex

log = logging.getLogger(__name__)

FORMAT = 1
TOKENIZER = "bm25s-stem-en/numbers/v1"


@dataclass(frozen=True)
class IndexIdentity:
    """What must match between a saved index and the running engine for it to be reused."""

    model: str
    dim: int
    chunker: str

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "dim": self.dim,
            "chunker": self.chunker,
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


def save(snapshot: Snapshot, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"g{snapshot.generation}-{uuid.uuid4().hex[:8]}"
    dense_files = snapshot.dense.save(folder, f"dense-{tag}")
    lexical_files = snapshot.lexical.save(folder, f"lexical-{tag}")
    manifest = {
        **snapshot.identity.to_json(),
        "library": snapshot.library,
        "generation": snapshot.generation,
        "chunks": len(snapshot.chunks),
        "dense": f"dense-{tag}",
        "lexical": f"lexical-{tag}",
        "versions": _versions(),
    }
    write_bytes_atomic(folder / "manifest.json", json.dumps(manifest, indent=1).encode())
    keep = {"manifest.json", *dense_files, *lexical_files}
    for entry in folder.iterdir():
        if entry.name not in keep and not entry.name.startswith(".manifest"):
            if entry.is_dir():
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
        manifest = json.loads(manifest_path.read_text())
        wanted = identity.to_json()
        mismatched = [k for k, v in wanted.items() if manifest.get(k) != v]
        if mismatched:
            log.warning(
                "library %s: saved index differs in %s, rebuilding it",
                library,
                ", ".join(mismatched),
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
        dense = DenseIndex.load(folder, manifest["dense"], identity.dim)
        lexical = LexicalIndex.load(folder, manifest["lexical"])
        if not (np.array_equal(dense.ids, chunks.ids) and np.array_equal(lexical.ids, chunks.ids)):
            log.warning(
                "library %s: saved index covers other chunks than the store, rebuilding", library
            )
            return None
    except Exception as err:  # noqa: BLE001 - any unreadable file means: rebuild from SQLite
        log.warning("library %s: saved index is unreadable (%s), rebuilding it", library, err)
        return None
    return Snapshot(library, generation, identity, dense, lexical, chunks)


def _versions() -> dict:
    import bm25s
    import faiss

    return {"faiss": faiss.__version__, "bm25s": bm25s.__version__}
