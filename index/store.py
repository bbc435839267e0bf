"""SQLite, the store of record: libraries, articles with their text, chunks with their vectors.

Everything else (the FAISS and lexical indexes) is derived from what is here and can be rebuilt
from it. Each library has a ``generation`` counter bumped in the same transaction as any change
to its chunks, so a derived index can tell whether it is stale.

Connections are per thread (SQLite objects must not cross threads) and the database runs in WAL
mode, so readers never wait for a writer; writers across processes queue on SQLite's own lock
(``busy_timeout``) and a writer that waits too long is told the library is busy.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .audit import SCHEMA as AUDIT_SCHEMA
from .errors import Busy, StorageError
from .syndication import SCHEMA as STORY_SCHEMA

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS libraries (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    library TEXT NOT NULL REFERENCES libraries(name),
    article_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    published TEXT,
    source TEXT,
    author TEXT,
    text TEXT NOT NULL,
    sentences BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    added_by TEXT,
    added_at TEXT NOT NULL,
    UNIQUE (library, article_id),
    UNIQUE (library, content_hash)
);
CREATE INDEX IF NOT EXISTS articles_url ON articles (library, url);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    library TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS chunks_library ON chunks (library, id);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article);
-- Vectors of an article's sentences for answering (index.sentence_vectors): derived data, like
-- the chunk vectors; a data directory without them answers by embedding sentences instead.
CREATE TABLE IF NOT EXISTS sentence_vectors (
    article INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    encoder TEXT NOT NULL,
    spans TEXT NOT NULL,
    vectors BLOB NOT NULL
);
""" + AUDIT_SCHEMA + STORY_SCHEMA  # new tables only: an existing home gains them at its next start


def encode_spans(spans: list[tuple[int, int]]) -> bytes:
    return np.asarray(spans, dtype=np.int64).reshape(-1, 2).tobytes()


def decode_spans(blob: bytes) -> list[tuple[int, int]]:
    pairs = np.frombuffer(blob, dtype=np.int64).reshape(-1, 2)
    return [(int(a), int(b)) for a, b in pairs]


def _reason(err: BaseException) -> str:
    """SQLite's or the OS's short reason, without a file path (messages reach users)."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err).rstrip(".") or type(err).__name__


# SQLite's primary result codes (the low byte of an extended code) and what they mean here.
_SQLITE_REASONS = {
    8: "the data directory is read-only",  # SQLITE_READONLY
    10: "a disk I/O error; is the disk full?",  # SQLITE_IOERR (EFBIG, EIO, ...)
    11: "the database file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the data directory is missing or read-only",  # SQLITE_CANTOPEN
    26: "the file is not an ArticleBot database",  # SQLITE_NOTADB
}


def _write_error(err: sqlite3.Error, doing: str) -> Busy | StorageError:
    code = getattr(err, "sqlite_errorcode", None)
    text = str(err).lower()
    if code in (5, 6) or "locked" in text or "busy" in text:  # SQLITE_BUSY, SQLITE_LOCKED
        return Busy("The library is busy with another write; try again in a moment.")
    reason = _SQLITE_REASONS.get(code & 0xFF if code is not None else -1) or _reason(err)
    return StorageError(f"The database cannot be {doing} ({reason}).")


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class StoredArticle:
    id: int
    library: str
    article_id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    author: str | None
    text: str
    content_hash: str
    added_by: str | None
    added_at: str


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article: int
    ordinal: int
    start: int
    end: int


_ARTICLE_COLUMNS = (
    "id, library, article_id, title, url, published, source, author, text, content_hash, "
    "added_by, added_at"
)


class Store:
    """The SQLite database of one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = self.conn()
            try:
                # One script (executescript commits any open transaction before it runs).
                db.executescript(
                    f"BEGIN IMMEDIATE;{_SCHEMA}INSERT OR IGNORE INTO meta (key, value)"
                    f" VALUES ('schema_version', '{SCHEMA_VERSION}');COMMIT;"
                )
            except BaseException:
                self._rollback(db)
                raise
            found = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except (OSError, sqlite3.Error, Busy) as err:
            self.close()
            if isinstance(err, sqlite3.Error):
                raise _write_error(err, "used") from err
            if isinstance(err, Busy):
                raise
            reason = (
                "it is not a folder"
                if isinstance(err, FileExistsError | NotADirectoryError)
                else _reason(err)
            )
            raise StorageError(f"The data directory cannot be used ({reason}).") from err
        if int(found[0]) != SCHEMA_VERSION:
            raise StorageError(
                f"The database has schema version {found[0]}; this ArticleBot expects "
                f"{SCHEMA_VERSION}."
            )

    def conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as err:
                raise _write_error(err, "opened") from err
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA foreign_keys=ON")
                db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            except sqlite3.Error as err:
                db.close()
                raise _write_error(err, "opened") from err
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._all_lock:
            for db in self._all:
                try:
                    db.close()
                except sqlite3.Error:  # pragma: no cover - closing a broken handle
                    log.debug("closing a connection failed", exc_info=True)
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at once (``BEGIN IMMEDIATE``), committed or rolled back.

        Raises:
            Busy: Another process held the write lock for longer than ``BUSY_TIMEOUT_MS``.
            StorageError: SQLite failed (disk full, read-only, I/O error); nothing was written
                and the connection stays usable.
        """
        db = self.conn()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            self._rollback(db)
            raise _write_error(err, "written") from err
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as err:
            self._rollback(db)
            if isinstance(err, sqlite3.Error):
                raise _write_error(err, "written") from err
            raise

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One consistent view of the database for several reads (a read transaction).

        Why: a derived index is built from the generation, the chunk table, the vectors and the
        texts; read one by one, another process's commit in between would mix two states.
        """
        db = self.conn()
        if db.in_transaction:  # already inside a transaction: its view is consistent
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            self._rollback(db)

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        # SQLite may already have rolled back by itself (disk full, I/O error): check first.
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                log.warning("rollback failed", exc_info=True)

    # -- libraries -------------------------------------------------------------------------

    def ensure_library(self, db: sqlite3.Connection, name: str) -> None:
        db.execute(
            "INSERT OR IGNORE INTO libraries (name, created_at) VALUES (?, ?)", (name, utc_now())
        )

    def library_names(self) -> list[str]:
        return [r[0] for r in self.conn().execute("SELECT name FROM libraries ORDER BY name")]

    def generation(self, library: str) -> int:
        row = (
            self.conn()
            .execute("SELECT generation FROM libraries WHERE name=?", (library,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    @staticmethod
    def bump_generation(db: sqlite3.Connection, library: str) -> None:
        db.execute("UPDATE libraries SET generation = generation + 1 WHERE name=?", (library,))

    # -- articles --------------------------------------------------------------------------

    def _article(self, where: str, args: tuple) -> StoredArticle | None:
        row = (
            self.conn()
            .execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE {where}", args)
            .fetchone()
        )
        return StoredArticle(*row) if row else None

    def find_duplicate(
        self, library: str, content_hash: str, url: str | None
    ) -> StoredArticle | None:
        found = self._article("library=? AND content_hash=?", (library, content_hash))
        if found is None and url:
            found = self._article("library=? AND url=?", (library, url))
        return found

    def article(self, library: str, article_id: str) -> StoredArticle | None:
        return self._article("library=? AND article_id=?", (library, article_id))

    def article_by_row(self, row_id: int) -> StoredArticle | None:
        return self._article("id=?", (row_id,))

    def articles(self, library: str) -> list[StoredArticle]:
        rows = self.conn().execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE library=? ORDER BY id", (library,)
        )
        return [StoredArticle(*r) for r in rows]

    def usage(self, library: str) -> tuple[int, int]:
        """``(articles, bytes of UTF-8 text)`` held by a library, for per-server quotas."""
        row = (
            self.conn()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0)"
                " FROM articles WHERE library=?",
                (library,),
            )
            .fetchone()
        )
        return int(row[0]), int(row[1])

    def article_listing(self, library: str) -> list[tuple]:
        """Article metadata with chunk counts, without loading any text."""
        return (
            self.conn()
            .execute(
                "SELECT a.article_id, a.title, a.url, a.published, a.added_by, a.added_at,"
                " a.source,"
                " (SELECT COUNT(*) FROM chunks c WHERE c.article = a.id)"
                " FROM articles a WHERE a.library=? ORDER BY a.id",
                (library,),
            )
            .fetchall()
        )

    def rows_dated(self, library: str, since: str | None, before: str | None) -> list[int]:
        """Rows of the articles dated in ``[since, before)``: published, else the day added."""
        day = "COALESCE(substr(published, 1, 10), substr(added_at, 1, 10))"
        where, args = ["library=?"], [library]
        if since:
            where.append(f"{day} >= ?")
            args.append(since)
        if before:
            where.append(f"{day} < ?")
            args.append(before)
        sql = f"SELECT id FROM articles WHERE {' AND '.join(where)}"
        return [r[0] for r in self.conn().execute(sql, args)]

    def article_id_taken(self, db: sqlite3.Connection, library: str, article_id: str) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM articles WHERE library=? AND article_id=?", (library, article_id)
            ).fetchone()
            is not None
        )

    @staticmethod
    def insert_article(
        db: sqlite3.Connection,
        library: str,
        article_id: str,
        title: str,
        url: str | None,
        published: str | None,
        source: str | None,
        author: str | None,
        text: str,
        sentences: list[tuple[int, int]],
        content_hash: str,
        added_by: str | None,
    ) -> int:
        cur = db.execute(
            "INSERT INTO articles (library, article_id, title, url, published, source, author,"
            " text, sentences, content_hash, added_by, added_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                library,
                article_id,
                title,
                url,
                published,
                source,
                author,
                text,
                encode_spans(sentences),
                content_hash,
                added_by,
                utc_now(),
            ),
        )
        return int(cur.lastrowid)

    def article_text(self, row_id: int) -> str:
        row = self.conn().execute("SELECT text FROM articles WHERE id=?", (row_id,)).fetchone()
        return row[0] if row else ""

    def sentences(self, row_id: int) -> list[tuple[int, int]]:
        row = self.conn().execute("SELECT sentences FROM articles WHERE id=?", (row_id,)).fetchone()
        return decode_spans(row[0]) if row else []

    @staticmethod
    def set_sentences(
        db: sqlite3.Connection, row_id: int, sentences: list[tuple[int, int]]
    ) -> None:
        db.execute("UPDATE articles SET sentences=? WHERE id=?", (encode_spans(sentences), row_id))

    @staticmethod
    def insert_chunks(
        db: sqlite3.Connection,
        library: str,
        article_row: int,
        spans: list[tuple[int, int]],
        vectors: np.ndarray,
    ) -> list[int]:
        ids = []
        for ordinal, ((start, end), vector) in enumerate(zip(spans, vectors, strict=True)):
            cur = db.execute(
                "INSERT INTO chunks (article, library, ordinal, start, end, vector)"
                " VALUES (?,?,?,?,?,?)",
                (
                    article_row,
                    library,
                    ordinal,
                    start,
                    end,
                    np.asarray(vector, dtype=np.float32).tobytes(),
                ),
            )
            ids.append(int(cur.lastrowid))
        return ids

    @staticmethod
    def delete_article(db: sqlite3.Connection, row_id: int) -> list[int]:
        chunk_ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE article=?", (row_id,))]
        db.execute("DELETE FROM chunks WHERE article=?", (row_id,))
        db.execute("DELETE FROM sentence_vectors WHERE article=?", (row_id,))
        db.execute("DELETE FROM articles WHERE id=?", (row_id,))
        return chunk_ids

    # -- chunks ----------------------------------------------------------------------------

    def chunk_rows(self, library: str) -> list[ChunkRow]:
        return [
            ChunkRow(*r)
            for r in self.conn().execute(
                "SELECT id, article, ordinal, start, end FROM chunks WHERE library=? ORDER BY id",
                (library,),
            )
        ]

    def chunk_columns(self, library: str) -> np.ndarray:
        """The library's chunks as an ``(n, 4)`` int64 array of id, article row, start, end,
        in id order: read straight into numpy, since a million row objects take seconds to
        build and every add re-reads the table."""
        cursor = self.conn().execute(
            "SELECT id, article, start, end FROM chunks WHERE library=? ORDER BY id", (library,)
        )
        flat = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64)
        return flat.reshape(-1, 4)

    def chunk_vectors(
        self, library: str, dim: int, batch: int = 20_000
    ) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(ids, vectors)`` batches of a library's stored vectors, in id order."""
        cursor = self.conn().execute(
            "SELECT id, vector FROM chunks WHERE library=? ORDER BY id", (library,)
        )
        while rows := cursor.fetchmany(batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            if any(r[1] is None or len(r[1]) != dim * 4 for r in rows):
                raise ValueError("a stored vector is missing or of another dimension")
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            yield ids, vectors.reshape(len(rows), dim)

    @staticmethod
    def replace_chunks(
        db: sqlite3.Connection,
        library: str,
        article_row: int,
        spans: list[tuple[int, int]],
        vectors: np.ndarray,
    ) -> None:
        db.execute("DELETE FROM chunks WHERE article=?", (article_row,))
        Store.insert_chunks(db, library, article_row, spans, vectors)

    def chunk_count(self, library: str) -> int:
        return int(
            self.conn()
            .execute("SELECT COUNT(*) FROM chunks WHERE library=?", (library,))
            .fetchone()[0]
        )

    def meta(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
