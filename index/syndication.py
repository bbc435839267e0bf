"""Syndicated copies: one wire story republished by several outlets is one story, many sources.

At add time each article's MinHash signature (see :mod:`index.similarity`) is stored with the
*story* it belongs to: the story of the most similar earlier article when the two are near
duplicates, else a new story (numbered by the article's own row id). Candidates are found by
locality-sensitive hashing (bands of the signature, looked up in an SQLite index), so an add costs
the same in a library of ten articles or of a hundred thousand.

A story number is a plain label, not a reference: removing the article that started a story
leaves the other copies grouped. (SQLite gives a new article the highest row id plus one, and the
copies were added after the first article, so a story's number is never given to a new article
while any of its copies remains.) Answers quote one copy per story and name the others ("also
reported by"); listings show the group.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .similarity import NEAR_DUPLICATE, NUM_HASHES, shingles, signature, similarity

log = logging.getLogger(__name__)

# Bands of ROWS hashes each: two texts share a band with probability 1 - (1 - s^ROWS)^BANDS,
# 0.99 at s = 0.6 (NEAR_DUPLICATE) and 0.02 at s = 0.1, so nearly every near-duplicate is a
# candidate and few unrelated articles have to be compared.
ROWS = 3
BANDS = NUM_HASHES // ROWS
# Shorter texts are never grouped: notices and briefs legitimately repeat the same few lines,
# and wire copy is longer than this.
MIN_WORDS = 40

SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    article INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    library TEXT NOT NULL,
    story INTEGER NOT NULL,
    signature BLOB
);
CREATE INDEX IF NOT EXISTS stories_story ON stories (library, story);
CREATE TABLE IF NOT EXISTS story_bands (
    bucket INTEGER NOT NULL,
    article INTEGER NOT NULL,
    PRIMARY KEY (bucket, article)
) WITHOUT ROWID;
"""
# story_bands has no foreign key on purpose: an index on ``article`` (which a cascade needs) would
# double its size. A removed article's buckets stay behind; they only ever add a candidate that
# the comparison with the signatures in ``stories`` (which cascade) then drops.


@dataclass(frozen=True)
class Copy:
    """Another outlet's copy of a quoted story."""

    article_id: str
    title: str
    source: str | None
    url: str | None

    def to_json(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
        }


@dataclass(frozen=True)
class NearDuplicate:
    """The stored article a new one nearly repeats."""

    row: int
    article_id: str
    title: str
    similarity: float


def compact(sig: np.ndarray) -> np.ndarray:
    """The signature as stored: the low 32 bits of each MinHash value (half the bytes; two
    different shingles agree on them once in four billion, which no estimate notices)."""
    return (sig & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def band_keys(library: str, sig: np.ndarray) -> list[int]:
    """One bucket per band of the signature, unique to the library and the band (signed 63-bit
    ints for SQLite): two articles share a bucket when they agree on a whole band."""
    keys = []
    for band in range(BANDS):
        part = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(f"{library}\0{band}\0".encode() + part, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little") >> 1)
    return keys


def _groupable(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS and bool(shingles(text))


def record(
    db: sqlite3.Connection, library: str, row: int, article_id: str, text: str
) -> NearDuplicate | None:
    """Store the article's signature and story (in the caller's transaction).

    Returns:
        The most similar earlier article when this one is a near duplicate of it, else None.
    """
    if not _groupable(text):
        db.execute(
            "INSERT OR REPLACE INTO stories (article, library, story, signature)"
            " VALUES (?,?,?,NULL)",
            (row, library, row),
        )
        return None
    sig = compact(signature(text))
    keys = band_keys(library, sig)
    found = _nearest(db, library, row, sig, keys)
    story = found[1] if found else row
    db.execute(
        "INSERT OR REPLACE INTO stories (article, library, story, signature) VALUES (?,?,?,?)",
        (row, library, story, sig.tobytes()),
    )
    db.executemany(
        "INSERT OR IGNORE INTO story_bands (bucket, article) VALUES (?,?)",
        [(bucket, row) for bucket in keys],
    )
    if found is None:
        return None
    near_row, _, score = found
    near = db.execute("SELECT article_id, title FROM articles WHERE id=?", (near_row,)).fetchone()
    log.info("library %s: %s is a near duplicate of %s (%.2f)", library, article_id, near[0], score)
    return NearDuplicate(near_row, near[0], near[1], score)


def _nearest(
    db: sqlite3.Connection, library: str, row: int, sig: np.ndarray, keys: list[int]
) -> tuple[int, int, float] | None:
    """``(row, story, similarity)`` of the library's most similar near duplicate, if any.

    A candidate is checked against the library too: a bucket left behind by a removed article
    may name a row id that SQLite has since given to another library's article.
    """
    candidates: set[int] = set()
    marks = ",".join("?" * len(keys))
    candidates.update(
        r[0] for r in db.execute(f"SELECT article FROM story_bands WHERE bucket IN ({marks})", keys)
    )
    candidates.discard(row)
    best: tuple[int, int, float] | None = None
    for other in sorted(candidates):
        found = db.execute(
            "SELECT story, signature FROM stories WHERE article=? AND library=?", (other, library)
        ).fetchone()
        if found is None or found[1] is None:
            continue
        score = similarity(sig, np.frombuffer(found[1], dtype=np.uint32))
        if score >= NEAR_DUPLICATE and (best is None or score > best[2]):
            best = (other, int(found[0]), score)
    return best


def unrecorded(db: sqlite3.Connection, library: str) -> list[int]:
    """Rows of the library's articles without a story yet (stored before stories existed)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT a.id FROM articles a LEFT JOIN stories s ON s.article = a.id"
            " WHERE a.library=? AND s.article IS NULL ORDER BY a.id",
            (library,),
        )
    ]


def backfill(db: sqlite3.Connection, library: str) -> int:
    """Give every article stored before stories existed its story, oldest first."""
    rows = unrecorded(db, library)
    for row in rows:
        article_id, text = db.execute(
            "SELECT article_id, text FROM articles WHERE id=?", (row,)
        ).fetchone()
        record(db, library, row, article_id, text)
    if rows:
        log.info("library %s: grouped %d earlier article(s) into stories", library, len(rows))
    return len(rows)


def stories_of(db: sqlite3.Connection, rows: list[int]) -> dict[int, int]:
    """Row -> story for the given article rows (an article without one is its own story)."""
    out = {row: row for row in rows}
    for first in range(0, len(rows), 500):
        batch = rows[first : first + 500]
        marks = ",".join("?" * len(batch))
        for article, story in db.execute(
            f"SELECT article, story FROM stories WHERE article IN ({marks})", batch
        ):
            out[int(article)] = int(story)
    return out


def members(db: sqlite3.Connection, library: str, stories: set[int]) -> dict[int, list[tuple]]:
    """Story -> its articles as ``(row, article_id, title, source, url)``, oldest first.

    Only stories with more than one article are returned.
    """
    out: dict[int, list[tuple]] = defaultdict(list)
    wanted = sorted(stories)
    for first in range(0, len(wanted), 500):
        batch = wanted[first : first + 500]
        marks = ",".join("?" * len(batch))
        for story, *rest in db.execute(
            "SELECT s.story, a.id, a.article_id, a.title, a.source, a.url FROM stories s"
            f" JOIN articles a ON a.id = s.article WHERE s.library=? AND s.story IN ({marks})"
            " ORDER BY a.id",
            [library, *batch],
        ):
            out[int(story)].append(tuple(rest))
    return {story: items for story, items in out.items() if len(items) > 1}


def one_copy_per_story(items: list, row_of, story: dict[int, int]) -> list:
    """Drop the items (best first) of every copy but the first one seen of each story.

    Copies say the same thing: quoting two of them wastes the reader's passages. Items of the
    copy that ranks first are all kept (it may have several good passages).
    """
    chosen: dict[int, int] = {}
    out = []
    for item in items:
        row = row_of(item)
        key = story.get(row, row)
        if chosen.setdefault(key, row) == row:
            out.append(item)
    return out


def copies_for(members_of_story: dict[int, list[tuple]], story: int, quoted_row: int) -> list[Copy]:
    """The other articles of a story, to name under the one quoted."""
    return [
        Copy(article_id, title, source, url)
        for row, article_id, title, source, url in members_of_story.get(story, [])
        if row != quoted_row
    ]


def listing_groups(db: sqlite3.Connection, library: str) -> dict[str, tuple[str | None, int]]:
    """article_id -> ``(copy_of, copies)`` for grouped articles of a library.

    The first (oldest remaining) article of a story stands for it: it has ``copies`` others and
    no ``copy_of``; each other one is a copy of it.
    """
    groups: dict[int, list[str]] = defaultdict(list)
    for story, article_id in db.execute(
        "SELECT s.story, a.article_id FROM stories s JOIN articles a ON a.id = s.article"
        " WHERE s.library=? AND s.story IN (SELECT story FROM stories WHERE library=?"
        " GROUP BY story HAVING COUNT(*) > 1) ORDER BY a.id",
        (library, library),
    ):
        groups[int(story)].append(article_id)
    out: dict[str, tuple[str | None, int]] = {}
    for ids in groups.values():
        out[ids[0]] = (None, len(ids) - 1)
        for other in ids[1:]:
            out[other] = (ids[0], 0)
    return out
