"""Flat vs HNSW on real chunk embeddings: where to switch, and the efSearch for recall@10 >= 0.97.

Usage: ``python -m bench.hnsw VECTORS.npy [--backend onnx-int8] [--cache DIR]``, where the
vectors are a library's stored chunk vectors (``bench.run`` leaves ``vectors-100k.npy`` in its
work folder). The queries are the 352 dev questions, encoded by the same backend; the truth is
exact (flat) search over the same vectors. Prints two small tables.
"""

from __future__ import annotations

import argparse
import json
import time

import faiss
import numpy as np

from bench.corpus import DEV
from index.dense import HNSW_EF_CONSTRUCTION, HNSW_M


def _p50_ms(fn, queries: np.ndarray, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q.reshape(1, -1))
            times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vectors")
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--cache", default="/tmp/articlebot-bench/models")
    parser.add_argument("--sizes", default="10000,25000,50000,100000")
    parser.add_argument("--ef-construction", type=int, default=HNSW_EF_CONSTRUCTION)
    args = parser.parse_args(argv)

    from index.embedding import Encoder

    base = np.ascontiguousarray(np.load(args.vectors), dtype=np.float32)
    lines = (DEV / "questions.jsonl").read_text().splitlines()
    questions = [json.loads(x)["question"] for x in lines if x.strip()]
    queries = Encoder(backend=args.backend, cache_dir=args.cache).encode_queries(questions)
    print(f"{len(base)} vectors, {len(queries)} queries, {faiss.omp_get_max_threads()} threads")

    print("\n| chunks | flat ms (1 thread) | flat ms (2 threads) |")
    print("|---:|---:|---:|")
    for size in [int(s) for s in args.sizes.split(",") if int(s) <= len(base)]:
        flat = faiss.IndexFlatIP(base.shape[1])
        flat.add(base[:size])
        row = []
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            row.append(_p50_ms(lambda q, flat=flat: flat.search(q, 50), queries[:100]))
        faiss.omp_set_num_threads(2)
        print(f"| {size:,} | {row[0]:.2f} | {row[1]:.2f} |")

    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    _, truth = flat.search(queries, 10)
    print(
        f"\nHNSW{HNSW_M}, fp16 storage, efConstruction {args.ef_construction}, {len(base):,} chunks"
    )
    index = faiss.IndexHNSWSQ(
        base.shape[1], faiss.ScalarQuantizer.QT_fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT
    )
    index.hnsw.efConstruction = args.ef_construction
    started = time.perf_counter()
    index.train(base[:1000])
    index.add(base)
    build = time.perf_counter() - started
    graph = index.hnsw.neighbors.size() * 4 + index.hnsw.levels.size() * 4
    per_chunk = (len(base) * base.shape[1] * 2 + graph) / len(base)
    print(
        f"built in {build:.1f}s ({len(base) / build:.0f} chunks/s); "
        f"{per_chunk:.0f} bytes per chunk (flat float32: {base.shape[1] * 4})"
    )
    print("\n| efSearch | recall@10 | ms per query (1 thread) | ms (2 threads) |")
    print("|---:|---:|---:|---:|")
    for ef in (16, 32, 48, 64, 96, 128, 192, 256):
        index.hnsw.efSearch = ef
        _, found = index.search(queries, 10)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        ms = []
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            ms.append(_p50_ms(lambda q: index.search(q, 50), queries[:200]))
        faiss.omp_set_num_threads(2)
        print(f"| {ef} | {recall:.3f} | {ms[0]:.2f} | {ms[1]:.2f} |")


if __name__ == "__main__":
    main()
