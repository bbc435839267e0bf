"""The engine's facade: ``Engine`` owns the store, the model and the indexes; ``Library`` is one
tenant's view of it (a Discord server, or the CLI's ``local``).

Both front ends use only this module. Every method is synchronous and may take seconds (it
embeds, searches, writes); async callers run it in a thread. Reads use the library's current
snapshot and never wait for writers; writers of one library are serialised by a lock in this
process and by SQLite's write lock across processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import numpy as np

from . import snapshot as snap
from .answering import ArticleView, build_answer, score_sentences
from .chunking import ChunkerSettings, make_chunks, split_sentences
from .config import DEFAULT_LIBRARY, EngineConfig
from .dense import DenseIndex
from .embedding import Encoder
from .errors import BadInput, NotFound
from .fetch import FetchPolicy
from .lexical import LexicalIndex
from .models import AddResult, Answer, ArticleInfo, Document
from .retrieval import retrieve
from .sources import document_from_bytes, document_from_text, load_source
from .store import Store, StoredArticle
from .text import clean_text, content_hash

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_QUESTION_CHARS = 1_000
MAX_TITLE_CHARS = 300
# Articles whose text and sentence spans stay in memory for answering.
ARTICLE_CACHE = 1_024


class Engine:
    """Store + model + per-library snapshots, built once at start-up and shared."""

    def __init__(
        self,
        config: EngineConfig,
        encoder: Encoder | None = None,
        chunker: ChunkerSettings | None = None,
    ) -> None:
        self.config = config
        self.home = Path(config.home)
        new_home = not (self.home / "articlebot.sqlite3").exists()
        self.store = Store(self.home / "articlebot.sqlite3")
        self.encoder = encoder or Encoder(config.embedding_model)
        self.chunker = chunker or ChunkerSettings()
        self.fetch_policy = FetchPolicy(
            allow_private=config.allow_private_urls, max_bytes=config.max_source_bytes
        )
        self._snapshots: dict[str, snap.Snapshot] = {}
        self._write_locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._articles: OrderedDict[int, ArticleView] = OrderedDict()
        self._articles_guard = threading.Lock()
        if new_home and config.seed_samples:
            self._seed_samples()

    # -- plumbing ------------------------------------------------------------------------------

    def library(self, name: str = DEFAULT_LIBRARY) -> Library:
        name = str(name).strip()
        if not name:
            raise BadInput("A library name cannot be empty.")
        return Library(self, name)

    def identity(self) -> snap.IndexIdentity:
        return snap.IndexIdentity(
            self.encoder.model_name, self.encoder.dim, self.chunker.signature()
        )

    def index_folder(self, library: str) -> Path:
        return snap.folder_for(self.home / "indexes", library)

    def write_lock(self, library: str) -> threading.RLock:
        """The lock serialising this process's writes (and first load) of one library."""
        with self._locks_guard:
            return self._write_locks.setdefault(library, threading.RLock())

    def close(self) -> None:
        self.store.close()

    def _seed_samples(self) -> None:
        source = resources.files("index.data").joinpath("samples.jsonl")
        records = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line]
        log.info("seeding library %r with %d sample article(s)", DEFAULT_LIBRARY, len(records))
        self.library(DEFAULT_LIBRARY).import_records(records, added_by="sample corpus")

    def article_view(self, row: int) -> ArticleView:
        with self._articles_guard:
            view = self._articles.get(row)
            if view is not None:
                self._articles.move_to_end(row)
                return view
        stored = self.store.article_by_row(row)
        if stored is None:
            raise NotFound("That article was removed a moment ago; ask again.")
        view = ArticleView(
            stored.id,
            stored.article_id,
            stored.title,
            stored.url,
            stored.published,
            stored.added_by,
            stored.added_at,
            stored.text,
            self.store.sentences(row),
        )
        with self._articles_guard:
            self._articles[row] = view
            while len(self._articles) > ARTICLE_CACHE:
                self._articles.popitem(last=False)
        return view

    def forget_article(self, row: int) -> None:
        with self._articles_guard:
            self._articles.pop(row, None)

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self, library: str) -> snap.Snapshot:
        """The library's current snapshot, loaded (or rebuilt from the store) on first use."""
        current = self._snapshots.get(library)
        if current is not None:
            return current
        # Loading takes the write lock: a load may rebuild, and one lock order avoids deadlock.
        with self.write_lock(library):
            current = self._snapshots.get(library)
            if current is None:
                current = self._load_or_reindex(library)
                self._snapshots[library] = current
            return current

    def _chunk_table(self, library: str) -> snap.ChunkTable:
        rows = self.store.chunk_rows(library)
        if not rows:
            return snap.ChunkTable.empty()
        arr = np.array([(r.id, r.article, r.start, r.end) for r in rows], dtype=np.int64)
        return snap.ChunkTable(
            arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy()
        )

    def _load_or_reindex(self, library: str) -> snap.Snapshot:
        identity = self.identity()
        generation = self.store.generation(library)
        chunks = self._chunk_table(library)
        folder = self.index_folder(library)
        loaded = snap.load(folder, library, identity, generation, chunks)
        if loaded is not None:
            return loaded
        return self.reindex(library)

    def reindex(self, library: str) -> snap.Snapshot:
        """Rebuild the library's indexes from the vectors and text in the store, and save them.

        Vectors from another model (or a changed chunker) cannot be reused: then the library is
        re-chunked and re-embedded instead.
        """
        with self.write_lock(library):
            return self._reindex_locked(library)

    def _reindex_locked(self, library: str) -> snap.Snapshot:
        stored_model = self.store.meta(f"vectors:{library}")
        if stored_model is not None and stored_model != self._vectors_tag():
            log.warning(
                "library %s: stored vectors come from %s; re-embedding", library, stored_model
            )
            self._rechunk_locked(library, None)
        identity = self.identity()
        started = time.perf_counter()
        generation = self.store.generation(library)
        chunks = self._chunk_table(library)
        try:
            parts = list(self.store.chunk_vectors(library, identity.dim))
        except ValueError:
            log.warning("library %s: stored vectors are incomplete; re-embedding", library)
            self._rechunk_locked(library, None)
            generation = self.store.generation(library)
            chunks = self._chunk_table(library)
            parts = list(self.store.chunk_vectors(library, identity.dim))
        if parts:
            ids = np.concatenate([p[0] for p in parts])
            vectors = np.concatenate([p[1] for p in parts])
        else:
            ids, vectors = np.zeros(0, dtype=np.int64), np.zeros((0, identity.dim), np.float32)
        dense = DenseIndex.build(identity.dim, ids, vectors)
        texts = [
            self.article_view(int(a)).text[s:e]
            for a, s, e in zip(chunks.articles, chunks.starts, chunks.ends, strict=True)
        ]
        lexical = LexicalIndex.build(chunks.ids, texts)
        built = snap.Snapshot(library, generation, identity, dense, lexical, chunks)
        snap.save(built, self.index_folder(library))
        self._snapshots[library] = built
        log.info(
            "library %s: indexed %d chunks in %.2fs",
            library,
            len(chunks),
            time.perf_counter() - started,
        )
        return built

    def _vectors_tag(self) -> str:
        return f"{self.encoder.model_name}|{self.chunker.signature()}"

    def _rechunk_locked(self, library: str, progress: Progress | None) -> int:
        """Re-split and re-embed every article of the library from its stored text."""
        articles = self.store.articles(library)
        total = len(articles)
        chunks = 0
        if progress:
            progress(0, total)
        for done, article in enumerate(articles, start=1):
            sentences = split_sentences(article.text)
            spans = make_chunks(article.text, sentences, self.chunker)
            vectors = self.encoder.encode_documents(
                self._chunk_inputs(article.title, article.text, spans)
            )
            with self.store.write() as db:
                self.store.set_sentences(db, article.id, sentences)
                self.store.replace_chunks(db, library, article.id, spans, vectors)
                self.store.bump_generation(db, library)
                self.store.set_meta(db, f"vectors:{library}", self._vectors_tag())
            self.forget_article(article.id)
            chunks += len(spans)
            if progress:
                progress(done, total)
        return chunks

    @staticmethod
    def _chunk_inputs(title: str, text: str, spans: list[tuple[int, int]]) -> list[str]:
        # The title gives a chunk the context its sentences assume ("the attack", "he said").
        return [f"{title}. {text[s:e]}" for s, e in spans]


class Library:
    """One library's articles: add, ask, list, remove, rebuild."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name

    # -- adding --------------------------------------------------------------------------------

    def add_source(
        self,
        source: str,
        title: str | None = None,
        added_by: str | None = None,
        *,
        allow_files: bool = False,
    ) -> AddResult:
        """Add from an http(s) URL, or a local file path when ``allow_files`` is set.

        Files are off by default because a source typed by a remote user (the bot's ``/add
        url:``) must never read the server's own files; the CLI turns them on.
        """
        document = load_source(source, title, self.engine.fetch_policy, allow_files=allow_files)
        return self.add_document(document, added_by=added_by)

    def add_file(
        self, data: bytes, filename: str, title: str | None = None, added_by: str | None = None
    ) -> AddResult:
        """Add from the bytes of an uploaded file (a Discord attachment)."""
        document = document_from_bytes(
            data, filename, title, max_bytes=self.engine.config.max_source_bytes
        )
        return self.add_document(document, added_by=added_by)

    def add_text(
        self,
        text: str,
        title: str | None = None,
        url: str | None = None,
        published: str | None = None,
        added_by: str | None = None,
    ) -> AddResult:
        document = document_from_text(text, title, url=url, published=published)
        return self.add_document(document, added_by=added_by)

    def add_document(
        self, document: Document, added_by: str | None = None, article_id: str | None = None
    ) -> AddResult:
        results = self._add_many([(document, article_id)], added_by, progress=None)
        return results[0]

    def import_records(
        self, records: Iterable[dict], added_by: str | None = None, progress: Progress | None = None
    ) -> list[AddResult]:
        """Add JSONL-style records ``{"title", "text", "url"?, "published"?, "article_id"?}``."""
        items = []
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise BadInput(f'Record {number} has no "text" string.')
            published = record.get("published")
            try:
                document = document_from_text(
                    record["text"],
                    record.get("title"),
                    url=record.get("url"),
                    published=published,
                    source=record.get("source") or None,
                )
            except BadInput:
                if not published:
                    raise
                # An odd date in one record should not sink a whole import: keep the article.
                log.warning("record %d: unreadable published date %r ignored", number, published)
                document = document_from_text(
                    record["text"],
                    record.get("title"),
                    url=record.get("url"),
                    source=record.get("source") or None,
                )
            items.append((document, record.get("article_id")))
        return self._add_many(items, added_by, progress)

    def _add_many(
        self,
        items: list[tuple[Document, str | None]],
        added_by: str | None,
        progress: Progress | None,
    ) -> list[AddResult]:
        engine = self.engine
        results: list[AddResult] = []
        with engine.write_lock(self.name):
            engine.snapshot(self.name)  # make sure the index is current before extending it
            changed = False
            try:
                for done, (document, wanted_id) in enumerate(items, start=1):
                    result = self._add_one(document, wanted_id, added_by)
                    changed = changed or not result.duplicate
                    results.append(result)
                    if progress:
                        progress(done, len(items))
            finally:
                # Even when a later item fails, the ones already committed must be searchable.
                if changed:
                    engine._reindex_locked(self.name)
        return results

    def _add_one(
        self, document: Document, wanted_id: str | None, added_by: str | None
    ) -> AddResult:
        """Store one article with its chunks and vectors in one transaction (or find its twin)."""
        engine = self.engine
        store = engine.store
        started = time.perf_counter()
        text = clean_text(document.text)
        if not text:
            raise BadInput("The article has no text.")
        title = (document.title or "").strip()[:MAX_TITLE_CHARS] or "Untitled"
        digest = content_hash(text)
        existing = store.find_duplicate(self.name, digest, document.url)
        if existing is not None:
            return _duplicate(store, existing, started)
        sentences = split_sentences(text)
        spans = make_chunks(text, sentences, engine.chunker)
        if not spans:
            raise BadInput("The article has no sentences to index.")
        vectors = engine.encoder.encode_documents(engine._chunk_inputs(title, text, spans))
        with store.write() as db:
            # Another thread or process may have stored it while this one embedded.
            existing = store.find_duplicate(self.name, digest, document.url)
            if existing is not None:
                return _duplicate(store, existing, started)
            store.ensure_library(db, self.name)
            article_id = _new_article_id(store, db, self.name, digest, wanted_id)
            row = store.insert_article(
                db,
                self.name,
                article_id,
                title,
                document.url,
                document.published,
                document.source,
                document.author,
                text,
                sentences,
                digest,
                added_by,
            )
            store.insert_chunks(db, self.name, row, spans, vectors)
            store.bump_generation(db, self.name)
            store.set_meta(db, f"vectors:{self.name}", engine._vectors_tag())
        log.info("library %s: added %s (%d chunks)", self.name, article_id, len(spans))
        return AddResult(article_id, title, len(spans), False, time.perf_counter() - started)

    # -- reading -------------------------------------------------------------------------------

    def ask(self, question: str, k: int = 3, mode: str = "hybrid", rescore: bool = True) -> Answer:
        """Answer a question with up to ``k`` verbatim passages from this library."""
        question = clean_text(question or "")
        if not question:
            raise BadInput("Ask a question: the text was empty.")
        if not any(ch.isalnum() for ch in question):
            raise BadInput("That question has no words to search for.")
        question = question[:MAX_QUESTION_CHARS]
        k = max(1, min(int(k), 25))
        engine = self.engine
        current = engine.snapshot(self.name)
        if len(current) == 0:
            return Answer(question=question, answer=None)
        query_vector = engine.encoder.encode_queries([question])[0]
        candidates = retrieve(current, query_vector, question, mode=mode)
        encode = engine.encoder.encode_documents if rescore else None
        scored = score_sentences(question, query_vector, candidates, engine.article_view, encode)
        return build_answer(question, scored, k)

    def list(self) -> list[ArticleInfo]:
        return [
            ArticleInfo(
                article_id=r[0],
                title=r[1],
                url=r[2],
                published=r[3],
                added_by=r[4],
                added_at=r[5],
                source=r[6],
                chunks=int(r[7]),
            )
            for r in self.engine.store.article_listing(self.name)
        ]

    def get(self, article_id: str) -> ArticleInfo:
        for info in self.list():
            if info.article_id == article_id:
                return info
        raise NotFound(f"No article with id {article_id!r} in this library.")

    def count(self) -> int:
        return len(self.engine.store.article_listing(self.name))

    # -- changing ------------------------------------------------------------------------------

    def remove(self, article_id: str) -> ArticleInfo:
        info = self.get(str(article_id).strip())
        engine = self.engine
        with engine.write_lock(self.name):
            stored = engine.store.article(self.name, info.article_id)
            if stored is None:
                raise NotFound(f"No article with id {article_id!r} in this library.")
            with engine.store.write() as db:
                engine.store.delete_article(db, stored.id)
                engine.store.bump_generation(db, self.name)
            engine.forget_article(stored.id)
            engine._reindex_locked(self.name)
        log.info("library %s: removed %s", self.name, info.article_id)
        return info

    def rebuild(self, progress: Progress | None = None) -> int:
        """Re-chunk and re-embed every article from the store; returns the chunk count.

        Questions keep being answered from the previous snapshot until the new one is swapped in.
        """
        engine = self.engine
        with engine.write_lock(self.name):
            chunks = engine._rechunk_locked(self.name, progress)
            engine._reindex_locked(self.name)
        return chunks


def _duplicate(store: Store, existing: StoredArticle, started: float) -> AddResult:
    return AddResult(
        existing.article_id,
        existing.title,
        store_chunk_count(store, existing),
        True,
        time.perf_counter() - started,
    )


def store_chunk_count(store: Store, article: StoredArticle) -> int:
    row = store.conn().execute("SELECT COUNT(*) FROM chunks WHERE article=?", (article.id,))
    return int(row.fetchone()[0])


def _new_article_id(store: Store, db, library: str, digest: str, wanted: str | None) -> str:
    """The id asked for when free, else a short id from the content hash (longer on collision)."""
    if wanted:
        wanted = str(wanted).strip()
        if not store.article_id_taken(db, library, wanted):
            return wanted
    for length in (8, 12, 16, 64):
        candidate = digest[:length]
        if not store.article_id_taken(db, library, candidate):
            return candidate
    return hashlib.sha256(f"{digest}{time.time_ns()}".encode()).hexdigest()[:16]
