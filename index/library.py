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
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np

from . import audit, news, syndication
from . import sentence_vectors as sv
from . import snapshot as snap
from .answering import ArticleView, build_answer, score_sentences
from .chunking import ChunkerSettings
from .config import DEFAULT_LIBRARY, EngineConfig
from .dates import iso, window_for
from .dense import DenseIndex
from .doubt import without_attribute
from .embedding import FP32_EQUIVALENT, Encoder
from .errors import ArticleBotError, BadInput, NotFound, StorageError
from .explain import explain_answer
from .fetch import FetchPolicy
from .ingest import EmbeddedArticle, K, embed_articles, embed_by_length
from .lexical import LexicalIndex
from .models import AddResult, Answer, ArticleInfo, Document
from .preview import Preview, make_preview
from .sources import document_from_bytes, document_from_text, load_source
from .spelling import correct_names
from .store import Store, StoredArticle, utc_now
from .text import clean_text, content_hash
from .unknown_names import unknown_names

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_QUESTION_CHARS = 1_000
MAX_TITLE_CHARS = 300
# Articles whose text and sentence spans stay in memory for answering.
ARTICLE_CACHE = 1_024
SEEDED_KEY = "samples_seeded"
# Texts embedded per call when adding: a question waits for at most one slice. The slices are
# cut from texts sorted by length, so one encoder batch (16) per slice pads no more than a
# bigger slice would, and a question waits half as long.
EMBED_SLICE = 16
# Slices of a bulk import on its own encoder: no question waits for that encoder, and torch
# pays a per-call overhead that slices of 16 do not amortise (torch-bf16, chunks + sentences:
# slices of 64 embedded ~1.6-3.5x as many per second as slices of 16; bench/README.md).
BULK_SLICE = 64


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
        self.encoder = encoder or Encoder(
            config.embedding_model,
            backend=config.embedding_backend,
            cache_dir=config.model_cache or self.home / "models",
        )
        self.chunker = chunker or ChunkerSettings()
        self._bulk_encoder = self._bulk_encoder_for(config)
        # Answering reads the sentence vectors stored at ingest instead of embedding sentences.
        self.sentence_vectors = sv.SentenceVectors(
            self.store.conn, self.encoder.compatible_tags, self.encoder.encode_documents
        )
        self.fetch_policy = FetchPolicy(
            allow_private=config.allow_private_urls, max_bytes=config.max_source_bytes
        )
        self._snapshots: dict[str, snap.Snapshot] = {}
        self._write_locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._articles: OrderedDict[int, ArticleView] = OrderedDict()
        self._articles_guard = threading.Lock()
        self._stories_checked: set[str] = set()
        self._seed_once(new_home)

    # -- plumbing ------------------------------------------------------------------------------

    def _bulk_encoder_for(self, config: EngineConfig) -> Encoder | None:
        """The encoder of bulk imports and rebuilds, when it is not the engine's own.

        Created here but loaded on its first bulk import, so an engine that only answers never
        imports torch.

        Raises:
            BadInput: The bulk backend's vectors may not be mixed with the engine's.
        """
        backend = (config.bulk_backend or "").strip().lower()
        if not backend or backend == self.encoder.backend:
            return None
        bulk = Encoder(
            self.encoder._model_ref,
            backend=backend,
            cache_dir=config.model_cache or self.home / "models",
        )
        if bulk.tag not in self.encoder.compatible_tags:
            raise BadInput(
                f"The bulk embedding backend {backend!r} gives other vectors than "
                f"{self.encoder.backend!r}; use one of {', '.join(sorted(FP32_EQUIVALENT))} "
                "with one of them."
            )
        return bulk

    def library(self, name: str = DEFAULT_LIBRARY) -> Library:
        name = str(name).strip()
        if not name:
            raise BadInput("A library name cannot be empty.")
        return Library(self, name)

    def identity(self) -> snap.IndexIdentity:
        return snap.IndexIdentity(
            self.encoder.model_name,
            self.encoder.dim,
            self.chunker.signature(),
            self.encoder.vectors_id,
        )

    def index_folder(self, library: str) -> Path:
        return snap.folder_for(self.home / "indexes", library)

    def write_lock(self, library: str) -> threading.RLock:
        """The lock serialising this process's writes (and first load) of one library."""
        with self._locks_guard:
            return self._write_locks.setdefault(library, threading.RLock())

    def close(self) -> None:
        self.store.close()

    def _seed_once(self, new_home: bool) -> None:
        """Seed the sample corpus once per data directory, when it is created.

        A marker in the store records that this was decided, so a first start killed before the
        seed was committed still seeds at the next start, and a removed sample stays removed.
        """
        if self.store.meta(SEEDED_KEY) is not None:
            return
        if self.config.seed_samples and (new_home or not self.store.library_names()):
            self._seed_samples()
        try:
            with self.store.write() as db:
                self.store.set_meta(db, SEEDED_KEY, "yes" if self.config.seed_samples else "no")
        except ArticleBotError as err:  # busy or read-only: decided again at the next start
            log.info("could not record that the samples were seeded: %s", err)

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
            stored.source,
        )
        with self._articles_guard:
            self._articles[row] = view
            while len(self._articles) > ARTICLE_CACHE:
                self._articles.popitem(last=False)
        return view

    def group_stories(self, library: str) -> None:
        """Once per process and library (at its first add or rebuild): group the articles stored
        before stories existed."""
        if library in self._stories_checked:
            return
        with self.store.write() as db:
            syndication.backfill(db, library)
        self._stories_checked.add(library)

    def forget_article(self, row: int) -> None:
        with self._articles_guard:
            self._articles.pop(row, None)
        self.sentence_vectors.forget(row)

    def forget_articles(self) -> None:
        """Drop cached article texts (another process may have removed and reused a row id)."""
        with self._articles_guard:
            self._articles.clear()
        self.sentence_vectors.forget()

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self, library: str) -> snap.Snapshot:
        """The library's current snapshot, loaded (or rebuilt from the store) on first use.

        When the store's generation has moved on (another process sharing the data directory
        wrote), the snapshot is reloaded; while a writer of this process holds the library, the
        last complete snapshot is returned at once instead.
        """
        current = self._snapshots.get(library)
        if current is not None and current.generation == self.store.generation(library):
            return current
        # Loading takes the write lock: a load may rebuild, and one lock order avoids deadlock.
        lock = self.write_lock(library)
        if not lock.acquire(blocking=current is None):
            return current  # being written in this process: answer from the last complete one
        try:
            latest = self._snapshots.get(library)
            if latest is None or latest.generation != self.store.generation(library):
                if latest is not None:
                    log.info("library %s: changed by another process, reloading", library)
                    self.forget_articles()
                latest = self._load_or_reindex(library)
                self._snapshots[library] = latest
            return latest
        finally:
            lock.release()

    def _chunk_table(self, library: str) -> snap.ChunkTable:
        columns = self.store.chunk_columns(library)
        if not len(columns):
            return snap.ChunkTable.empty()
        return snap.ChunkTable(*(columns[:, k].copy() for k in range(4)))

    def _load_or_reindex(self, library: str) -> snap.Snapshot:
        identity = self.identity()
        with self.store.reading():
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

    def _reindex_locked(self, library: str, expected_bumps: int | None = None) -> snap.Snapshot:
        """Build, save and swap in the library's snapshot from the store.

        Args:
            expected_bumps: How many generations this process's own writes added since the
                current snapshot (adds or removals under the write lock). When the store's
                generation shows exactly those and nothing else, the dense index is extended
                (or masked) instead of being rebuilt from every stored vector; another writer
                in between, a changed identity or a reused chunk id means a full build.
        """
        stored_model = self.store.meta(f"vectors:{library}")
        if stored_model is not None and stored_model not in self._vectors_tags():
            log.warning(
                "library %s: stored vectors come from %s; re-embedding", library, stored_model
            )
            self._rechunk_locked(library, None)
        identity = self.identity()
        started = time.perf_counter()
        try:
            generation, chunks, dense, lexical, texts = self._index_inputs(
                library, identity, expected_bumps
            )
        except ValueError:
            log.warning("library %s: stored vectors are incomplete; re-embedding", library)
            self._rechunk_locked(library, None)
            generation, chunks, dense, lexical, texts = self._index_inputs(library, identity)
        # Only the chunks the lexical index lacks are tokenized (all of them on a full build).
        lexical = lexical.extended(chunks.ids[len(lexical) :], texts)
        built = snap.Snapshot(library, generation, identity, dense, lexical, chunks)
        self._snapshots[library] = built
        self.forget_articles()
        try:
            snap.save(built, self.index_folder(library))
        except StorageError as err:
            # The articles are safe in SQLite and the index is in memory; without its files
            # the next start rebuilds it.
            log.warning("library %s: %s It is rebuilt at the next start.", library, err)
        log.info(
            "library %s: indexed %d chunks in %.2fs",
            library,
            len(chunks),
            time.perf_counter() - started,
        )
        return built

    def _index_inputs(
        self, library: str, identity: snap.IndexIdentity, expected_bumps: int | None = None
    ) -> tuple[int, snap.ChunkTable, DenseIndex, LexicalIndex, list[str]]:
        """Generation, chunk table, dense index, lexical index to extend and the texts of the
        chunks it lacks, read as one consistent state.

        The dense index is the current one extended by the new chunks when ``expected_bumps``
        allows it (see ``_dense_update``), else built from every stored vector. The lexical
        index is then the current one without the removed chunks (``_lexical_update``), else
        an empty one to be extended by every chunk.

        Raises:
            ValueError: A stored vector is missing or of another dimension.
        """
        store = self.store
        with store.reading():
            generation = store.generation(library)
            chunks = self._chunk_table(library)
            current = self._snapshots.get(library)
            dense = None
            lexical = LexicalIndex()
            if expected_bumps is not None and current is not None:
                dense = self._dense_update(current, identity, generation, chunks, expected_bumps)
                if dense is not None:
                    lexical = _lexical_update(current, chunks.ids)
            if dense is None:
                dense = self._dense_build(library, identity, chunks)
            texts: list[str] = []
            row, text = -1, ""
            first = len(lexical)
            for a, s, e in zip(
                chunks.articles[first:], chunks.starts[first:], chunks.ends[first:], strict=True
            ):
                if a != row:
                    row, text = int(a), store.article_text(int(a))
                texts.append(text[s:e])
        return generation, chunks, dense, lexical, texts

    def _dense_build(
        self, library: str, identity: snap.IndexIdentity, chunks: snap.ChunkTable
    ) -> DenseIndex:
        """A fresh dense index of every stored vector, streamed in batches (never two copies).

        Raises:
            ValueError: A stored vector is missing or of another dimension, or the vectors
                cover other chunks than ``chunks``.
        """
        parts = self.store.chunk_vectors(library, identity.dim)
        dense = DenseIndex.build_from(parts, identity.dim, len(chunks))
        if not np.array_equal(dense.ids, chunks.ids):
            raise ValueError("the stored vectors cover other chunks than the chunk table")
        return dense

    def _dense_update(
        self,
        current: snap.Snapshot,
        identity: snap.IndexIdentity,
        generation: int,
        chunks: snap.ChunkTable,
        expected_bumps: int,
    ) -> DenseIndex | None:
        """The current dense index extended by new chunks and masked for removed ones.

        Only the new chunks' vectors are read, so an add costs O(added), not O(library).
        Returns None when a full build is needed instead.
        """
        if current.identity != identity or generation != current.generation + expected_bumps:
            return None
        new_ids = np.setdiff1d(chunks.ids, current.chunks.ids, assume_unique=True)
        gone = np.setdiff1d(current.chunks.ids, chunks.ids, assume_unique=True)
        dense = current.dense
        try:
            if len(gone):
                dense = dense.without(gone)
            if len(new_ids):
                vectors = self._vectors_of(new_ids, identity.dim)
                if vectors is None:
                    return None
                dense = dense.extended(new_ids, vectors)
        except ValueError:
            return None
        if dense.needs_rebuild() or not np.array_equal(dense.ids, chunks.ids):
            return None
        return dense

    def _vectors_of(self, chunk_ids: np.ndarray, dim: int) -> np.ndarray | None:
        """Stored vectors of ``chunk_ids`` (ascending); None when one is missing or odd."""
        out = np.empty((len(chunk_ids), dim), dtype=np.float32)
        db = self.store.conn()
        for first in range(0, len(chunk_ids), 500):
            batch = [int(i) for i in chunk_ids[first : first + 500]]
            marks = ",".join("?" * len(batch))
            rows = db.execute(
                f"SELECT id, vector FROM chunks WHERE id IN ({marks}) ORDER BY id", batch
            ).fetchall()
            if [r[0] for r in rows] != batch:
                return None
            for offset, (_, blob) in enumerate(rows):
                if blob is None or len(blob) != dim * 4:
                    return None
                out[first + offset] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _vectors_tag(self) -> str:
        # The backend too: vectors of two backends must not be mixed in one index.
        return f"{self.encoder.tag}|{self.chunker.signature()}"

    def _vectors_tags(self) -> set[str]:
        """Library vector tags this engine reuses: its own, or another fp32-equivalent
        backend's (``Encoder.compatible_tags``; a bulk import may have run on torch-bf16)."""
        return {f"{tag}|{self.chunker.signature()}" for tag in self.encoder.compatible_tags}

    def _rechunk_locked(
        self, library: str, progress: Progress | None, bulk: bool = False
    ) -> int:
        """Re-split and re-embed every article of the library from its stored text."""
        articles = self.store.articles(library)
        total = len(articles)
        chunks = 0
        if progress:
            progress(0, total)
        embedded = self.embed_articles(((a, a.title, a.text) for a in articles), bulk=bulk)
        for done, (article, ready) in enumerate(embedded, start=1):
            with self.store.write() as db:
                self.store.set_sentences(db, article.id, ready.sentences)
                self.store.replace_chunks(db, library, article.id, ready.spans, ready.chunk_vectors)
                self._put_sentence_vectors(db, article.id, ready)
                self.store.bump_generation(db, library)
            self.forget_article(article.id)
            chunks += len(ready.spans)
            if progress:
                progress(done, total)
        # Only now: a rebuild killed midway must not pass for one that re-embedded everything.
        with self.store.write() as db:
            self.store.set_meta(db, f"vectors:{library}", self._vectors_tag())
        return chunks

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed texts a slice of alike lengths at a time (``index.ingest.embed_by_length``).

        The model is shared and takes one call at a time: slices let the questions of every
        library go between them instead of waiting for the whole of a long import.
        """
        return embed_by_length(self.encoder.encode_documents, texts, EMBED_SLICE)

    def _embed_bulk(self, texts: list[str]) -> np.ndarray:
        """Embed texts on the bulk encoder (``EngineConfig.bulk_backend``)."""
        return embed_by_length(self._bulk_encoder.encode_documents, texts, BULK_SLICE)

    def embed_articles(
        self, items: Iterable[tuple[K, str, str | None]], bulk: bool = False
    ) -> Iterator[tuple[K, EmbeddedArticle | None]]:
        """``(key, title, text)`` items as ``(key, EmbeddedArticle)``, many articles per pass.

        A None text is passed through as ``(key, None)``. See ``index.ingest``.

        Args:
            bulk: Embed on the bulk encoder when one is configured (imports, rebuilds).
        """
        if not bulk or self._bulk_encoder is None:
            return embed_articles(items, self.chunker, self._chunk_inputs, self.embed_documents)
        tag = self._bulk_encoder.tag
        return (
            (key, replace(ready, encoder_tag=tag) if ready is not None else None)
            for key, ready in embed_articles(
                items, self.chunker, self._chunk_inputs, self._embed_bulk
            )
        )

    def _put_sentence_vectors(self, db, row: int, ready: EmbeddedArticle) -> None:
        if len(ready.sentence_vectors) == len(ready.sentences):
            tag = ready.encoder_tag or self.encoder.tag
            sv.put(db, row, tag, ready.sentences, ready.sentence_vectors)

    def _reindex_after_failure(self, library: str) -> None:
        """After a write failed midway, index what was committed; the original error wins."""
        try:
            self._reindex_locked(library)
        except Exception:  # noqa: BLE001 - logged; the caller re-raises the first error
            log.warning("library %s: reindexing after a failed write failed", library)
            log.debug("reindex failure", exc_info=True)

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
        self,
        records: Iterable[dict],
        added_by: str | None = None,
        progress: Progress | None = None,
        *,
        bulk: bool = False,
    ) -> list[AddResult]:
        """Add JSONL-style records ``{"title", "text", "url"?, "published"?, "article_id"?}``.

        Args:
            bulk: Embed on the engine's bulk encoder when one is configured
                (``EngineConfig.bulk_backend``): for an import process, not a bot.
        """
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
        return self._add_many(items, added_by, progress, bulk=bulk)

    def _add_many(
        self,
        items: list[tuple[Document, str | None]],
        added_by: str | None,
        progress: Progress | None,
        bulk: bool = False,
    ) -> list[AddResult]:
        engine = self.engine
        # Every item is checked before anything is written, so a bad record refuses the whole
        # batch instead of leaving half of it stored.
        prepared = [
            (document, wanted_id, self._checked_text(document, number, len(items)))
            for number, (document, wanted_id) in enumerate(items, start=1)
        ]
        results: list[AddResult] = []
        with engine.write_lock(self.name):
            engine.snapshot(self.name)  # make sure the index is current before extending it
            engine.group_stories(self.name)
            changed = False
            try:
                # Several articles per encoder pass (index.ingest); a duplicate is not embedded.
                embedded = engine.embed_articles(
                    ((item, _title(item[0]), None if self._stored(item) else item[2])
                     for item in prepared),
                    bulk=bulk,
                )
                for done, ((document, wanted_id, text), ready) in enumerate(embedded, start=1):
                    result = self._add_one(document, wanted_id, text, added_by, ready)
                    results.append(result)
                    changed = changed or not result.duplicate
                    if progress:
                        progress(done, len(prepared))
            except BaseException:
                if changed:  # what was committed stays: make it searchable
                    engine._reindex_after_failure(self.name)
                raise
            if changed:
                added = sum(not r.duplicate for r in results)
                engine._reindex_locked(self.name, expected_bumps=added)
        return results

    def _checked_text(self, document: Document, number: int, count: int) -> str:
        """The article's cleaned text, or BadInput saying why it cannot be added."""
        text = clean_text(document.text)
        limit = self.engine.config.max_article_chars
        problem = None
        if not text:
            problem = "the article has no text"
        elif len(text) > limit:
            problem = f"the article is too long ({len(text):,} characters, at most {limit:,})"
        elif document.url is not None and _SURROGATE_RE.search(document.url):
            problem = "the article's URL is not valid"
        if problem is None:
            return text
        if count > 1:
            raise BadInput(f"Record {number}: {problem}.")
        raise BadInput(f"{problem[0].upper()}{problem[1:]}.")

    def _stored(self, item: tuple[Document, str | None, str]) -> bool:
        """Whether an article with this text or URL is already in the library."""
        document, _, text = item
        found = self.engine.store.find_duplicate(self.name, content_hash(text), document.url)
        return found is not None

    def _add_one(
        self,
        document: Document,
        wanted_id: str | None,
        text: str,
        added_by: str | None,
        ready: EmbeddedArticle | None = None,
    ) -> AddResult:
        """Store one article with its chunks and vectors in one transaction (or find it stored).

        Args:
            ready: The article already split and embedded (``Engine.embed_articles``).
        """
        engine = self.engine
        store = engine.store
        started = time.perf_counter()
        title = _title(document)
        digest = content_hash(text)
        existing = store.find_duplicate(self.name, digest, document.url)
        if existing is None:
            if ready is None:
                ready = next(engine.embed_articles([(None, title, text)]))[1]
            sentences, spans, vectors = ready.sentences, ready.spans, ready.chunk_vectors
            if not spans:
                raise BadInput("The article has no sentences to index.")
            with store.write() as db:
                # Again under the write lock: another process may have added it meanwhile.
                existing = store.find_duplicate(self.name, digest, document.url)
                if existing is None:
                    store.ensure_library(db, self.name)
                    article_id = _new_article_id(store, db, self.name, digest, wanted_id)
                    row = store.insert_article(
                        db,
                        self.name,
                        article_id,
                        title,
                        document.url,
                        _field(document.published),
                        _field(document.source),
                        _field(document.author),
                        text,
                        sentences,
                        digest,
                        _field(added_by),
                    )
                    store.insert_chunks(db, self.name, row, spans, vectors)
                    engine._put_sentence_vectors(db, row, ready)
                    audit.record(
                        db, audit.ADD, self.name, article_id, title, _field(added_by), utc_now()
                    )
                    near = syndication.record(db, self.name, row, article_id, text)
                    store.bump_generation(db, self.name)
                    store.set_meta(db, f"vectors:{self.name}", engine._vectors_tag())
        if existing is not None:
            return _duplicate(store, existing, started)
        log.info("library %s: added %s (%d chunks)", self.name, article_id, len(spans))
        return AddResult(
            article_id,
            title,
            len(spans),
            False,
            time.perf_counter() - started,
            near_duplicate_of=near.article_id if near else None,
            near_duplicate_title=near.title if near else None,
        )

    # -- reading -------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        k: int = 3,
        mode: str = "hybrid",
        rescore: bool = True,
        explain: bool = False,
        *,
        since: str | date | None = None,
        before: str | date | None = None,
        today: date | None = None,
    ) -> Answer:
        """Answer a question with up to ``k`` verbatim passages from this library.

        Args:
            explain: attach to each passage the evidence it was chosen on (ranks and scores of
                both retrievers, the fused score, the matched sentence); see ``index.explain``.
            since: Only articles dated on or after this day: ISO date or a span such as "7d".
            before: Only articles dated before this day (same forms).
            today: The day relative dates count from (default: today in UTC).
        """
        question = clean_text(question or "")
        if not question:
            raise BadInput("Ask a question: the text was empty.")
        if not any(ch.isalnum() for ch in question):
            raise BadInput("That question has no words to search for.")
        question = question[:MAX_QUESTION_CHARS]
        k = max(1, min(int(k), 25))
        window = window_for(question, since, before, today)
        explicit = (iso(window.since), iso(window.before)) if window.strict else (None, None)
        engine = self.engine
        current = engine.snapshot(self.name)
        if len(current) == 0:
            return Answer(question=question, answer=None, since=explicit[0], before=explicit[1])
        rows = news.rows_in_window(engine.store, self.name, window)
        note = None
        if rows is not None and len(rows) == 0 and not window.strict:
            # Nothing is dated "today": quote the newest reports rather than nothing, and say so.
            note = f'Nothing is dated {window.describe()} ("{window.rule}"); newest reports first.'
            rows = None
        # Misspelt names are searched in the library's spelling (index.spelling); the answer
        # keeps the question as asked.
        asked = correct_names(question, current.lexical.vocab)
        # The question without the attribute it asks for rides in the same batch (index.doubt).
        ablated = without_attribute(asked) if rescore else None
        query_vectors = engine.encoder.encode_queries([asked] + ([ablated] if ablated else []))
        query_vector = query_vectors[0]
        candidates = news.retrieve_within(current, query_vector, asked, mode, rows)
        # Sentence vectors come from the store (computed at ingest), not the model.
        vectors = engine.sentence_vectors
        encode = vectors.encode if rescore else None
        articles = vectors.articles(engine.article_view) if rescore else engine.article_view
        scored = score_sentences(asked, query_vector, candidates, articles, encode,
                                 idf=current.lexical.idf,
                                 ablated_vector=query_vectors[1] if ablated else None)
        scored, stories = news.one_copy_per_story(engine.store, scored)
        scored = news.newest_first(scored, window)
        built = build_answer(
            asked,
            scored,
            news.passages_to_build(asked, k),
            encode=encode,
            question_vector=query_vector,
            unknown_names=unknown_names(question, current.lexical.vocab),
        )
        built = replace(built, question=question)
        answer = news.finish(
            engine.store, self.name, built, scored, stories, k, window, explicit, note
        )
        return explain_answer(answer, scored, candidates) if explain else answer

    def list(self) -> list[ArticleInfo]:
        groups = syndication.listing_groups(self.engine.store.conn(), self.name)
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
                copy_of=groups.get(r[0], (None, 0))[0],
                copies=groups.get(r[0], (None, 0))[1],
            )
            for r in self.engine.store.article_listing(self.name)
        ]

    def usage(self) -> tuple[int, int]:
        """``(articles, bytes of stored text)``: what a per-server quota counts."""
        return self.engine.store.usage(self.name)

    def get(self, article_id: str) -> ArticleInfo:
        for info in self.list():
            if info.article_id == article_id:
                return info
        raise NotFound(f"No article with id {article_id!r} in this library.")

    def count(self) -> int:
        return len(self.engine.store.article_listing(self.name))

    def preview_source(
        self, source: str, title: str | None = None, *, allow_files: bool = False
    ) -> Preview:
        """Fetch and extract a source as :meth:`add_source` would, and store nothing.

        Add the previewed article with ``add_document(preview.document, ...)``: that stores
        exactly what was shown, without fetching again.

        Raises:
            BadInput, FetchError: as ``add_source`` would, before anything is shown.
        """
        document = load_source(source, title, self.engine.fetch_policy, allow_files=allow_files)
        return self.preview_document(document)

    def preview_document(self, document: Document) -> Preview:
        """The preview of a document, refusing what ``add_document`` would refuse."""
        text = self._checked_text(document, 1, 1)
        existing = self.engine.store.find_duplicate(self.name, content_hash(text), document.url)
        return make_preview(document, existing.article_id if existing is not None else None)

    def audit(self, limit: int = 50) -> list[audit.AuditEntry]:
        """The latest adds and removals in this library, newest first."""
        return audit.entries(self.engine.store.conn(), self.name, limit)

    # -- changing ------------------------------------------------------------------------------

    def remove(self, article_id: str, removed_by: str | None = None) -> ArticleInfo:
        """Remove an article; the removal is recorded in the audit trail with ``removed_by``."""
        info = self.get(str(article_id).strip())
        engine = self.engine
        with engine.write_lock(self.name):
            stored = engine.store.article(self.name, info.article_id)
            if stored is None:
                raise NotFound(f"No article with id {article_id!r} in this library.")
            with engine.store.write() as db:
                engine.store.delete_article(db, stored.id)
                audit.record(
                    db,
                    audit.REMOVE,
                    self.name,
                    stored.article_id,
                    stored.title,
                    _field(removed_by),
                    utc_now(),
                )
                engine.store.bump_generation(db, self.name)
            engine.forget_article(stored.id)
            engine._reindex_locked(self.name, expected_bumps=1)
        log.info("library %s: %s removed %s", self.name, removed_by or "someone", info.article_id)
        return info

    def rebuild(self, progress: Progress | None = None, *, bulk: bool = False) -> int:
        """Re-chunk and re-embed every article from the store; returns the chunk count.

        Questions keep being answered from the previous snapshot until the new one is swapped in.
        ``bulk`` embeds on the bulk encoder, as ``import_records`` does.
        """
        engine = self.engine
        with engine.write_lock(self.name):
            engine.group_stories(self.name)
            try:
                chunks = engine._rechunk_locked(self.name, progress, bulk=bulk)
            except BaseException:
                engine._reindex_after_failure(self.name)
                raise
            engine._reindex_locked(self.name)
        return chunks


def _title(document: Document) -> str:
    return " ".join(clean_text(document.title or "").split())[:MAX_TITLE_CHARS] or "Untitled"


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


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _field(value: str | None) -> str | None:
    """A metadata value as it can be stored: no lone surrogates, no control characters."""
    if value is None:
        return None
    return " ".join(clean_text(str(value)).split()) or None


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


def _lexical_update(current: snap.Snapshot, ids: np.ndarray) -> LexicalIndex:
    """The current lexical index with the removed chunks dropped, to be extended by the chunks
    after it; an empty one (a full build) when the chunks were reordered rather than removed
    and appended.

    Chunk ids only grow, so the kept chunks come first in ``ids``, in the current order, and
    the new ones after them.
    """
    lexical = current.lexical
    keep = np.isin(current.chunks.ids, ids, assume_unique=True)
    survivors = current.chunks.ids[keep]
    if not np.array_equal(ids[: len(survivors)], survivors):
        return LexicalIndex()
    return lexical.without(keep)
