"""Measurements that each run in a fresh process: ``python -m bench.probes NAME ARGS_JSON``.

A fresh process per measurement keeps one's imports, caches and memory out of the next; the
parent (``bench.run``) polls the process's peak RSS (``VmHWM``) and reads the figures from the one
JSON line it prints last.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _encoder(args: dict):
    from index.embedding import Encoder

    return Encoder(backend=args["backend"], cache_dir=args["cache"])


def probe_raw(args: dict) -> dict:
    """The encoder alone on the same inputs the engine embeds: the ingest ceiling.

    Three rates on the same chunks: article by article (one call per article, how the engine
    embedded before), pooled (the chunks of many articles sorted by length, sliced as the
    engine does: ``index.ingest.embed_by_length``), and pooled with the articles' sentences
    (what ingest embeds now: sentence vectors are stored for answering), as chunks/s.
    """
    from index.ingest import GROUP_TEXTS, embed_by_length
    from index.library import BULK_SLICE, EMBED_SLICE

    slice_size = BULK_SLICE if args.get("bulk") else EMBED_SLICE

    inputs = json.loads(Path(args["inputs"]).read_text())
    sentences = json.loads(Path(args["sentences"]).read_text()) if args.get("sentences") else []
    questions = json.loads(Path(args["questions"]).read_text())
    started = time.perf_counter()
    enc = _encoder(args)
    enc.warm_up()
    load = time.perf_counter() - started
    enc.encode_documents(inputs[:64])  # warm the kernels
    groups = args.get("groups") or [len(inputs)]
    started = time.perf_counter()
    first = 0
    for size in groups:
        enc.encode_documents(inputs[first : first + size])
        first += size
    count = first
    by_article = count / (time.perf_counter() - started)

    def pooled(texts: list[str]) -> float:
        started = time.perf_counter()
        for first in range(0, len(texts), GROUP_TEXTS):
            embed_by_length(enc.encode_documents, texts[first : first + GROUP_TEXTS], slice_size)
        return count / (time.perf_counter() - started)

    pooled_chunks = pooled(inputs[:count])
    with_sentences = pooled(inputs[:count] + sentences) if sentences else None
    times = []
    for q in questions:
        t = time.perf_counter()
        enc.encode_queries([q])
        times.append(time.perf_counter() - t)
    return {
        "load_s": load,
        "chunks_per_s": pooled_chunks,
        "by_article_chunks_per_s": by_article,
        "with_sentences_chunks_per_s": with_sentences,
        "sentences": len(sentences),
        "chunks": count,
        "query_p50_ms": percentile(times, 50) * 1e3,
    }


def probe_ask(args: dict) -> dict:
    """Everything ``Library.ask`` does, question after question, on a built library."""
    from index import Engine, EngineConfig
    from index.retrieval import retrieve

    questions = json.loads(Path(args["questions"]).read_text())
    started = time.perf_counter()
    engine = Engine(
        EngineConfig(
            home=Path(args["home"]),
            seed_samples=False,
            embedding_backend=args["backend"],
            model_cache=Path(args["cache"]),
        )
    )
    engine.encoder.warm_up()
    rss_empty = _rss_mb()
    library = engine.library(args["library"])
    first = library.ask(questions[0])
    first_s = time.perf_counter() - started
    snapshot = engine.snapshot(args["library"])
    rss_loaded = _rss_mb()
    for q in questions[:5]:
        library.ask(q)
    # Count what ask embeds at question time besides the question: sentences without a stored
    # vector and answer-span candidates (index.sentence_vectors serves the rest).
    spent = {"texts": 0, "seconds": 0.0}
    vectors = engine.sentence_vectors
    encode_documents = vectors._embed
    hits_before = vectors.stored_hits

    def counting(texts):
        t = time.perf_counter()
        try:
            return encode_documents(texts)
        finally:
            spent["seconds"] += time.perf_counter() - t
            spent["texts"] += len(texts)

    vectors._embed = counting
    times = []
    for q in questions:
        t = time.perf_counter()
        library.ask(q)
        times.append(time.perf_counter() - t)
    vectors._embed = encode_documents
    stored_hits = vectors.stored_hits - hits_before
    no_rescore = []
    for q in questions:
        t = time.perf_counter()
        library.ask(q, rescore=False)
        no_rescore.append(time.perf_counter() - t)
    parts: dict[str, list[float]] = {
        "encode question": [],
        "dense search": [],
        "lexical search": [],
        "retrieve (both + fusion)": [],
    }
    for q in questions[:100]:
        t = time.perf_counter()
        vector = engine.encoder.encode_queries([q])[0]
        parts["encode question"].append(time.perf_counter() - t)
        t = time.perf_counter()
        snapshot.dense.search(vector, 50)
        parts["dense search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        snapshot.lexical.search(q, 50)
        parts["lexical search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        retrieve(snapshot, vector, q)
        parts["retrieve (both + fusion)"].append(time.perf_counter() - t)
    rss_answering = _rss_mb()
    # One article added to the big library: the dense index is extended, not rebuilt; then
    # the same library rebuilt from the store (what every add cost before).
    text = " ".join(
        f"Sentence number {i} of the added article says the river rose by {i} cm."
        for i in range(40)
    )
    t = time.perf_counter()
    added = library.add_text(text, title="Bench addition")
    add_s = time.perf_counter() - t
    t = time.perf_counter()
    library.remove(added.article_id)
    remove_s = time.perf_counter() - t
    t = time.perf_counter()
    engine.reindex(args["library"])
    full_s = time.perf_counter() - t
    result = {
        "add_one_article_s": add_s,
        "add_chunks": added.chunks,
        "remove_one_article_s": remove_s,
        "full_reindex_s": full_s,
        "first_answer_s": first_s,
        "answered": bool(first.passages),
        "p50_ms": percentile(times, 50) * 1e3,
        "p95_ms": percentile(times, 95) * 1e3,
        "mean_ms": statistics.fmean(times) * 1e3,
        "no_rescore_p50_ms": percentile(no_rescore, 50) * 1e3,
        "no_rescore_p95_ms": percentile(no_rescore, 95) * 1e3,
        "embedded_texts_per_question": spent["texts"] / len(questions),
        "stored_sentence_vectors_per_question": stored_hits / len(questions),
        "embedding_ms_per_question": spent["seconds"] / len(questions) * 1e3,
        "questions": len(times),
        "chunks": len(snapshot),
        "dense_kind": snapshot.dense.kind,
        "dense_mb": snapshot.dense.memory_bytes() / 2**20,
        "rss_empty_mb": rss_empty,
        "rss_loaded_mb": rss_loaded,
        "rss_answering_mb": rss_answering,
        "parts_p50_ms": {k: percentile(v, 50) * 1e3 for k, v in parts.items()},
    }
    engine.close()
    return result


def probe_quality(args: dict) -> dict:
    """``articlebot eval DIR --variant hybrid+rescore`` in process, for one backend."""
    import tempfile

    from index import Engine, EngineConfig
    from index.evaluation import read_jsonl, run

    folder = Path(args["dev"])
    articles = read_jsonl(folder / "articles.jsonl")
    questions = read_jsonl(folder / "questions.jsonl")
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as home:
        engine = Engine(
            EngineConfig(
                home=Path(home),
                seed_samples=False,
                embedding_backend=args["backend"],
                model_cache=Path(args["cache"]),
            )
        )
        library = engine.library("eval")
        started = time.perf_counter()
        library.import_records(articles, added_by="eval")
        index_s = time.perf_counter() - started
        rows = {}
        for variant in args.get("variants", ["hybrid+rescore"]):
            mode = variant.split("+")[0]
            rescore = variant.endswith("+rescore")

            def ask(q: str, mode=mode, rescore=rescore):
                return library.ask(q, k=5, mode=mode, rescore=rescore)

            rows[variant] = run(questions, ask, variant).row()
        engine.close()
    return {"index_s": index_s, "rows": rows}


# -- txtai, the peer -----------------------------------------------------------------------------


def _txtai_config(args: dict) -> dict:
    return {
        "path": args["model"],
        "method": "sentence-transformers",
        "content": True,
        "backend": "faiss",
    }


def probe_txtai_ingest(args: dict) -> dict:
    """txtai indexing the same chunk inputs with the same model, end to end, then saved."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    chunks = json.loads(Path(args["chunks"]).read_text())[: args.get("limit")]
    started = time.perf_counter()
    from txtai import Embeddings

    embeddings = Embeddings(_txtai_config(args))
    load = time.perf_counter() - started
    started = time.perf_counter()
    embeddings.index([(str(c[0]), c[1], None) for c in chunks])
    embeddings.save(args["out"])
    seconds = time.perf_counter() - started
    return {"load_s": load, "chunks": len(chunks), "chunks_per_s": len(chunks) / seconds}


def probe_txtai_prebuilt(args: dict) -> dict:
    """A txtai index of every chunk from precomputed vectors of the same model (see README)."""
    chunks = json.loads(Path(args["chunks"]).read_text())
    vectors = np.load(args["vectors"], mmap_mode="r")
    lookup = {c[1]: i for i, c in enumerate(chunks)}

    def transform(texts):
        return np.stack([vectors[lookup[t]] for t in texts])

    from txtai import Embeddings

    embeddings = Embeddings(
        {"method": "external", "transform": transform, "content": True, "backend": "faiss"}
    )
    started = time.perf_counter()
    embeddings.index([(str(c[0]), c[1], None) for c in chunks])
    embeddings.config.pop("transform", None)
    embeddings.save(args["out"])
    return {"chunks": len(chunks), "build_s": time.perf_counter() - started}


def probe_txtai_cold(args: dict) -> dict:
    """Start, load the saved txtai index and its model, answer one question (timed outside)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from txtai import Embeddings

    embeddings = Embeddings()
    embeddings.load(args["index"], config=_txtai_config(args))
    return {"answered": bool(embeddings.search(args["question"], 5))}


def probe_txtai_ask(args: dict) -> dict:
    """txtai search (question in, top 5 chunks with their text out), question after question."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    questions = json.loads(Path(args["questions"]).read_text())
    started = time.perf_counter()
    from txtai import Embeddings

    embeddings = Embeddings()
    embeddings.load(args["index"], config=_txtai_config(args))
    first = embeddings.search(questions[0], 5)
    first_s = time.perf_counter() - started
    for q in questions[:5]:
        embeddings.search(q, 5)
    times = []
    for q in questions:
        t = time.perf_counter()
        embeddings.search(q, 5)
        times.append(time.perf_counter() - t)
    return {
        "first_answer_s": first_s,
        "answered": bool(first),
        "p50_ms": percentile(times, 50) * 1e3,
        "p95_ms": percentile(times, 95) * 1e3,
        "questions": len(times),
        "count": embeddings.count(),
    }


def probe_txtai_quality(args: dict) -> dict:
    """found@1/@5 of txtai on the dev set: a question is found when a gold answer is inside one
    of the top k chunks of the right article (the same rule as ``articlebot eval``)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from txtai import Embeddings

    from index.evaluation import read_jsonl

    # [id, embedded input (title. chunk), article_id, chunk text]
    chunks = json.loads(Path(args["chunks"]).read_text())
    questions = read_jsonl(Path(args["dev"]) / "questions.jsonl")
    embeddings = Embeddings(_txtai_config(args))
    embeddings.index([(str(c[0]), c[1], None) for c in chunks])
    owner = {str(c[0]): (c[2], c[3]) for c in chunks}
    found = {1: 0, 5: 0}
    for q in questions:
        hits = embeddings.search(q["question"], 5)
        golds = [a for a in q["answers"] if a]
        rank = None
        for r, hit in enumerate(hits, start=1):
            article, text = owner[hit["id"]]
            if article == q["article_id"] and any(g in text for g in golds):
                rank = r
                break
        for k in found:
            found[k] += rank is not None and rank <= k
    return {f"found@{k}": v / len(questions) for k, v in found.items()}


PROBES = {name[len("probe_") :]: fn for name, fn in globals().items() if name.startswith("probe_")}


def main() -> None:
    name, raw = sys.argv[1], sys.argv[2]
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = PROBES[name](json.loads(raw))
    result["rss_end_mb"] = _rss_mb()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
