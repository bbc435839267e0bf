"""The 1M-chunk library, built without embedding a million chunks.

Embedding 1M chunks at ~250 chunks/s takes over an hour on 2 cores, and says nothing the 100k
tier does not (ingest is linear in chunks). What 1M tests is search latency and memory, so:
every dev article is chunked and embedded once for real; each replica (``bench.corpus``: same
length, so the same sentence and chunk offsets) is stored with its original's spans and the
original's chunk and sentence vectors plus Gaussian noise (renormalized; cosine to the
original ~0.95, about what the word edits do to a real embedding). Rows go through the
engine's own ``Store`` in large transactions, then ``Engine.reindex`` builds the HNSW and
BM25 indexes as usual.

Usage: ``python -m bench.synthetic HOME BACKEND MODEL_CACHE [CHUNKS]`` (prints one JSON line).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.corpus import load_originals, perturb, plan

NOISE = 0.017
BATCH_ARTICLES = 2_000


def build_synthetic(home: Path, backend: str, cache: Path, target: int = 1_000_000) -> dict:
    from index import Engine, EngineConfig
    from index import sentence_vectors as sv
    from index.chunking import make_chunks, split_sentences
    from index.text import content_hash

    engine = Engine(
        EngineConfig(home=home, seed_samples=False, embedding_backend=backend, model_cache=cache)
    )
    store = engine.store
    originals = load_originals()
    started = time.perf_counter()
    prepared = []
    for original in originals:
        text = original.record["text"]
        sentences = split_sentences(text)
        spans = make_chunks(text, sentences, engine.chunker)
        title = original.record["title"]
        vectors = engine.encoder.encode_documents(engine._chunk_inputs(title, text, spans))
        # The sentence vectors answering reads (index.sentence_vectors), as ingest stores them.
        sentence_vectors = engine.encoder.encode_documents(sv.sentence_texts(text, sentences))
        prepared.append((sentences, spans, vectors, sentence_vectors))
    embed_s = time.perf_counter() - started
    rng = np.random.default_rng(0)
    pairs = plan(originals, target)
    started = time.perf_counter()
    chunks = 0
    library = "bench"
    for first in range(0, len(pairs), BATCH_ARTICLES):
        with store.write() as db:
            store.ensure_library(db, library)
            for i, replica in pairs[first : first + BATCH_ARTICLES]:
                record = perturb(originals[i], replica)
                sentences, spans, vectors, sentence_vectors = prepared[i]
                if replica:
                    vectors = _noisy(vectors, rng)
                    sentence_vectors = _noisy(sentence_vectors, rng)
                row = store.insert_article(
                    db,
                    library,
                    record["article_id"],
                    record["title"],
                    None,
                    None,
                    None,
                    None,
                    record["text"],
                    sentences,
                    content_hash(record["text"]),
                    "bench",
                )
                store.insert_chunks(db, library, row, spans, vectors)
                sv.put(db, row, engine.encoder.tag, sentences, sentence_vectors)
                chunks += len(spans)
            store.bump_generation(db, library)
            store.set_meta(db, f"vectors:{library}", engine._vectors_tag())
    store_s = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = engine.reindex(library)
    index_s = time.perf_counter() - started
    engine.close()
    return {
        "chunks": chunks,
        "articles": len(pairs),
        "embed_originals_s": embed_s,
        "store_s": store_s,
        "index_s": index_s,
        "dense_kind": snapshot.dense.kind,
    }


def _noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A replica's vectors: the original's plus Gaussian noise, renormalized."""
    noisy = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def main() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    home, backend, cache = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    target = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
    print(json.dumps(build_synthetic(home, backend, cache, target)), flush=True)


if __name__ == "__main__":
    main()
