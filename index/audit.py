"""The audit trail: who added or removed which article of a library, and when.

A log line is lost when logs rotate and cannot be asked for from Discord; a row in the store of
record lasts as long as the library and is written in the same transaction as the change it
records, so the trail can never claim a change that did not happen (or miss one that did).
The table is created with ``CREATE TABLE IF NOT EXISTS`` by :class:`index.store.Store`, so data
directories made before it existed get it at their next start.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

log = logging.getLogger(__name__)

ADD = "add"
REMOVE = "remove"

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    library TEXT NOT NULL,
    article_id TEXT NOT NULL,
    title TEXT,
    who TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_library ON audit (library, id);
"""


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change of a library."""

    action: str  # "add" or "remove"
    library: str
    article_id: str
    title: str | None
    who: str | None
    at: str  # ISO 8601, UTC

    def to_json(self) -> dict:
        return {
            "action": self.action,
            "library": self.library,
            "article_id": self.article_id,
            "title": self.title,
            "who": self.who,
            "at": self.at,
        }


def record(
    db: sqlite3.Connection,
    action: str,
    library: str,
    article_id: str,
    title: str | None,
    who: str | None,
    at: str,
) -> None:
    """Write one entry inside the caller's write transaction (the one making the change)."""
    db.execute(
        "INSERT INTO audit (action, library, article_id, title, who, at) VALUES (?,?,?,?,?,?)",
        (action, library, article_id, title, who, at),
    )


def entries(db: sqlite3.Connection, library: str, limit: int = 50) -> list[AuditEntry]:
    """The library's latest entries, newest first."""
    try:
        rows = db.execute(
            "SELECT action, library, article_id, title, who, at FROM audit"
            " WHERE library=? ORDER BY id DESC LIMIT ?",
            (library, max(0, int(limit))),
        ).fetchall()
    except sqlite3.OperationalError as err:
        # A data directory from before the audit table, opened where it could not be created
        # (read-only): there is simply no trail yet.
        if "no such table" not in str(err):
            raise
        log.info("no audit table in this data directory yet")
        return []
    return [AuditEntry(*row) for row in rows]
