"""ArticleBot's benchmark: one command, one table, ArticleBot and txtai side by side.

Usage (from the repository root, in the project's virtualenv)::

    python -m bench.run --tier 10k                     # ~5 min on 2 cores
    python -m bench.run --tier 100k                    # ~15 min
    python -m bench.run --tier 1m --allow-1m           # synthetic vectors, see README
    python -m bench.run --tier 10k --compare-backends  # adds the encoder-backend table

Every figure comes from a fresh process (``bench.probes``); peak RSS is that process's
``VmHWM``. Work files (corpus, data directories, model cache, txtai indexes, logs, a JSON
of every figure) go to ``--work`` (default ``/tmp/articlebot-bench``) and are reused between
runs where that is safe (the corpus, the model export).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import DEV, TIERS, write_corpus

REPO = Path(__file__).resolve().parents[1]
QUESTION = "How many people were killed?"
PEER_INGEST_LIMIT = 10_000



def _installed_version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None

class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.cache = self.work / "models"
        self.results: dict = {
            "tier": args.tier,
            "backend": args.backend,
            "bulk_backend": args.bulk_backend,
        }
        self._n = 0

    # -- process plumbing ----------------------------------------------------------------------

    def env(self, backend: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
        env.update(
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            ARTICLEBOT_MODEL_CACHE=str(self.cache),
            EMBEDDING_BACKEND=backend or self.args.backend,
            PYTHONPATH=str(REPO),
        )
        env.pop("EMBEDDING_BULK_BACKEND", None)
        if self.args.bulk_backend:  # only `articlebot import` and `rebuild` use it
            env["EMBEDDING_BULK_BACKEND"] = self.args.bulk_backend
        return env

    def spawn(self, argv: list[str], env: dict, label: str) -> tuple[float, float, str]:
        """Run a process; returns (wall seconds, peak RSS MiB, stdout).

        The peak is the process's own ``VmHWM``, polled while it runs: ``ru_maxrss`` from
        ``wait4`` would carry over this (parent) process's RSS at fork time across exec.
        """
        self._n += 1
        out = self.logs / f"{self._n:02d}-{label}.out"
        err = self.logs / f"{self._n:02d}-{label}.err"
        peak_kb = 0
        with out.open("w") as fo, err.open("w") as fe:
            started = time.perf_counter()
            proc = subprocess.Popen(
                argv, stdout=fo, stderr=fe, env=env, cwd=self.work, stdin=subprocess.DEVNULL
            )
            status = Path(f"/proc/{proc.pid}/status")
            while proc.poll() is None:
                peak_kb = max(peak_kb, _hwm_kb(status))
                time.sleep(0.02)
            wall = time.perf_counter() - started
        if proc.returncode != 0:
            tail = err.read_text()[-3000:]
            raise SystemExit(f"bench: {label} failed ({proc.returncode}):\n{tail}")
        return wall, peak_kb / 1024, out.read_text()

    def probe(self, name: str, backend: str | None = None, **args) -> dict:
        args.setdefault("backend", backend or self.args.backend)
        args.setdefault("cache", str(self.cache))
        wall, rss, out = self.spawn(
            [sys.executable, "-m", "bench.probes", name, json.dumps(args)], self.env(backend), name
        )
        result = json.loads(out.strip().splitlines()[-1])
        result.update(wall_s=wall, peak_rss_mb=rss)
        return result

    def cli(
        self, *argv: str, backend: str | None = None, label: str = "cli", env: dict | None = None
    ) -> tuple[float, float, str]:
        exe = Path(sys.executable).with_name("articlebot")
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]
        return self.spawn([*command, *argv], {**self.env(backend), **(env or {})}, label)

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    # -- steps ---------------------------------------------------------------------------------

    def machine(self) -> dict:
        import psutil

        cpu = platform.processor()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
            flags = next(
                line
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("flags")
            ).split()
        except (OSError, StopIteration):
            flags = []

        return {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "isa": [
                f
                for f in (
                    "avx2",
                    "avx512f",
                    "avx512_vnni",
                    "avx_vnni",
                    "avx512_bf16",
                    "amx_bf16",
                    "amx_int8",
                )
                if f in flags
            ],
            "load_start": os.getloadavg(),
            "python": platform.python_version(),
            "torch": _installed_version("torch"),
            "onnxruntime": _installed_version("onnxruntime"),
            "faiss": _installed_version("faiss-cpu"),
            "txtai": _installed_version("txtai"),  # absent is fine with --no-peer
        }

    def corpus(self) -> Path:
        target = TIERS[self.args.tier]
        path = self.work / f"corpus-{self.args.tier}.jsonl"
        if not path.exists():
            articles, chunks = write_corpus(path, target)
            self.log(f"corpus: {articles} articles, ~{chunks} chunks -> {path}")
        return path

    def export(self, backend: str) -> None:
        """Export (and quantize) the model once, before anything is timed."""
        if backend.startswith("onnx"):
            code = (
                "from index.embedding import Encoder; "
                f"Encoder(backend={backend!r}, cache_dir={str(self.cache)!r}).warm_up()"
            )
            self.spawn([sys.executable, "-c", code], self.env(backend), f"export-{backend}")

    def ingest(self, corpus: Path, backend: str) -> tuple[Path, dict]:
        home = self.work / f"home-{self.args.tier}-{backend}"
        if self.args.reuse and (home / "articlebot.sqlite3").exists():
            self.log(f"ingest: reusing {home} (--reuse: no ingest figures)")
            return home, {"chunks": _count(home, "SELECT COUNT(*) FROM chunks"), "reused": True}
        shutil.rmtree(home, ignore_errors=True)
        if self.args.tier == "1m" or self.args.synthetic:
            self.log(f"ingest: {self.args.tier} tier, synthetic vectors (see README)")
            wall, rss, out = self.spawn(
                [
                    sys.executable,
                    "-m",
                    "bench.synthetic",
                    str(home),
                    backend,
                    str(self.cache),
                    str(TIERS[self.args.tier]),
                ],
                self.env(backend),
                f"synthetic-{self.args.tier}",
            )
            stats = json.loads(out.strip().splitlines()[-1])
            return home, {**stats, "wall_s": wall, "peak_rss_mb": rss}
        self.log(f"ingest: articlebot import ({backend}) ...")
        wall, rss, _ = self.cli(
            "--home",
            str(home),
            "import",
            str(corpus),
            "--library",
            "bench",
            backend=backend,
            label=f"import-{backend}",
            env={"ARTICLEBOT_SEED_SAMPLES": "0"},
        )
        chunks = _count(home, "SELECT COUNT(*) FROM chunks")
        return home, {
            "chunks": chunks,
            "wall_s": wall,
            "chunks_per_s": chunks / wall,
            "peak_rss_mb": rss,
        }

    def extract(self, home: Path) -> tuple[Path, Path, list[int]]:
        """The stored chunks as the engine embedded them, and their vectors (for the peer)."""
        import numpy as np

        chunks_path = self.work / f"chunks-{self.args.tier}.json"
        vectors_path = self.work / f"vectors-{self.args.tier}.npy"
        db = sqlite3.connect(home / "articlebot.sqlite3")
        rows = db.execute(
            "SELECT c.id, a.title, a.text, c.start, c.end, a.article_id, c.vector, a.id"
            " FROM chunks c JOIN articles a ON a.id = c.article ORDER BY c.id"
        )
        chunks, vectors, groups, articles = [], [], [], []
        last = None
        for cid, title, text, s, e, article_id, blob, row in rows:
            chunks.append([cid, f"{title}. {text[s:e]}", article_id, text[s:e]])
            vectors.append(np.frombuffer(blob, dtype=np.float32))
            if row != last:
                groups.append(0)
                articles.append(row)
                last = row
            groups[-1] += 1
        # Each article's sentence texts, in article order: what ingest embeds besides chunks.
        sentences = []
        for row in articles[:2_000]:
            text, blob = db.execute(
                "SELECT text, sentences FROM articles WHERE id=?", (row,)
            ).fetchone()
            spans = np.frombuffer(blob, dtype=np.int64).reshape(-1, 2)
            sentences.append([text[a:b] for a, b in spans])
        db.close()
        (self.work / f"sentences-{self.args.tier}.json").write_text(json.dumps(sentences))
        chunks_path.write_text(json.dumps(chunks))
        np.save(vectors_path, np.stack(vectors))
        return chunks_path, vectors_path, groups

    def questions(self) -> Path:
        path = self.work / "questions.json"
        lines = (DEV / "questions.jsonl").read_text().splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
        path.write_text(json.dumps(questions[: self.args.questions]))
        return path

    def raw(self, chunks_path: Path, groups: list[int], backend: str, limit: int) -> dict:
        chunks = json.loads(chunks_path.read_text())
        take, sizes = 0, []
        for size in groups:
            if take + size > limit:
                break
            sizes.append(size)
            take += size
        inputs = self.work / f"inputs-{take}.json"
        inputs.write_text(json.dumps([c[1] for c in chunks[:take]]))
        per_article = json.loads((self.work / f"sentences-{self.args.tier}.json").read_text())
        sentences = self.work / f"sentence-inputs-{take}.json"
        sentences.write_text(json.dumps([t for texts in per_article[: len(sizes)] for t in texts]))
        return self.probe(
            "raw",
            backend,
            inputs=str(inputs),
            sentences=str(sentences) if len(per_article) >= len(sizes) else None,
            groups=sizes,
            questions=str(self.questions()),
            bulk=bool(self.args.bulk_backend),
        )

    def cold(self, backend: str, repeats: int = 5) -> dict:
        """Cold start to the first CLI answer on the bundled sample corpus."""
        home = self.work / f"sample-{backend}"
        shutil.rmtree(home, ignore_errors=True)
        self.cli("--home", str(home), "list", backend=backend, label=f"seed-{backend}")
        walls = []
        rss = 0.0
        for _ in range(repeats):
            wall, peak, out = self.cli(
                "--home",
                str(home),
                "ask",
                QUESTION,
                "--json",
                backend=backend,
                label=f"cold-{backend}",
            )
            assert json.loads(out)["passages"], out
            walls.append(wall)
            rss = max(rss, peak)
        return {"median_s": statistics.median(walls), "min_s": min(walls), "peak_rss_mb": rss}

    def cold_big(self, home: Path, backend: str, repeats: int = 3) -> dict:
        walls, rss = [], 0.0
        for _ in range(repeats):
            wall, peak, _ = self.cli(
                "--home",
                str(home),
                "ask",
                QUESTION,
                "--library",
                "bench",
                "--json",
                backend=backend,
                label=f"cold-big-{backend}",
            )
            walls.append(wall)
            rss = max(rss, peak)
        return {"median_s": statistics.median(walls), "peak_rss_mb": rss}

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> dict:
        a = self.args
        r = self.results
        r["machine"] = self.machine()
        self.log(f"machine: {r['machine']['cpu']}, load {r['machine']['load_start']}")
        corpus = self.corpus()
        questions = self.questions()
        from index.embedding import bundled_model_path

        model = bundled_model_path()
        self.export(a.backend)
        home, r["ingest"] = self.ingest(corpus, a.backend)
        self.log(f"ingest: {r['ingest']}")
        chunks_path, vectors_path, groups = self.extract(home)
        if "chunks_per_s" in r["ingest"]:  # the ceiling of a measured ingest rate
            sample = min(r["ingest"]["chunks"], a.raw_sample)
            # The ceiling is the encoder the import ran on, sliced as the engine slices it.
            r["raw"] = self.raw(chunks_path, groups, a.bulk_backend or a.backend, sample)
            self.log(f"raw encoder: {r['raw']}")
        r["ask"] = self.probe("ask", home=str(home), library="bench", questions=str(questions))
        self.log(f"ask: {r['ask']}")
        r["cold_sample"] = self.cold(a.backend)
        r["cold_tier"] = self.cold_big(home, a.backend)
        self.log(f"cold: {r['cold_sample']} / tier {r['cold_tier']}")
        dev_chunks = self.work / "dev-chunks.json"
        if not a.no_quality:
            r["quality"] = self.probe("quality", dev=str(DEV))
            self.log(f"quality: {r['quality']}")
        if not a.no_peer:
            limit = min(r["ingest"]["chunks"], a.peer_ingest_limit)
            peer_index = self.work / f"txtai-{a.tier}-ingest"
            if limit:
                r["peer_ingest"] = self.probe(
                    "txtai_ingest",
                    model=model,
                    chunks=str(chunks_path),
                    limit=limit,
                    out=str(peer_index),
                )
                self.log(f"txtai ingest: {r['peer_ingest']}")
            if limit < r["ingest"]["chunks"]:
                peer_index = self.work / f"txtai-{a.tier}-prebuilt"
                r["peer_build"] = self.probe(
                    "txtai_prebuilt",
                    chunks=str(chunks_path),
                    vectors=str(vectors_path),
                    out=str(peer_index),
                )
                self.log(f"txtai prebuilt: {r['peer_build']}")
            r["peer_ask"] = self.probe(
                "txtai_ask", model=model, index=str(peer_index), questions=str(questions)
            )
            self.log(f"txtai ask: {r['peer_ask']}")
            walls = []
            for _ in range(3):
                cold = self.probe(
                    "txtai_cold", model=model, index=str(peer_index), question=QUESTION
                )
                walls.append(cold["wall_s"])
            r["peer_cold"] = {
                "median_s": statistics.median(walls),
                "peak_rss_mb": cold["peak_rss_mb"],
            }
            if not a.no_quality:
                self.dev_chunks(dev_chunks)
                r["peer_quality"] = self.probe(
                    "txtai_quality", model=model, chunks=str(dev_chunks), dev=str(DEV)
                )
                self.log(f"txtai quality: {r['peer_quality']}")
        if a.compare_backends:
            r["backends"] = self.compare_backends(chunks_path, groups)
        r["load_end"] = os.getloadavg()
        return r

    def dev_chunks(self, path: Path) -> None:
        """The dev articles chunked by the engine (from a quality run's throwaway import)."""
        home = self.work / "dev-home"
        shutil.rmtree(home, ignore_errors=True)
        dev = self.work / "dev-articles.jsonl"
        lines = (DEV / "articles.jsonl").read_text().splitlines()
        dev.write_text(
            "\n".join(
                json.dumps({k: json.loads(x)[k] for k in ("title", "text", "article_id")})
                for x in lines
                if x.strip()
            )
        )
        self.cli(
            "--home",
            str(home),
            "import",
            str(dev),
            "--library",
            "dev",
            label="dev-import",
            env={"ARTICLEBOT_SEED_SAMPLES": "0"},
        )
        db = sqlite3.connect(home / "articlebot.sqlite3")
        rows = db.execute(
            "SELECT c.id, a.title, a.text, c.start, c.end, a.article_id"
            " FROM chunks c JOIN articles a ON a.id = c.article ORDER BY c.id"
        )
        path.write_text(
            json.dumps([[cid, f"{t}. {x[s:e]}", aid, x[s:e]] for cid, t, x, s, e, aid in rows])
        )
        db.close()

    def compare_backends(self, chunks_path: Path, groups: list[int]) -> dict:
        from index.embedding import BACKENDS

        out = {}
        for backend in BACKENDS:
            self.export(backend)
            row = {"raw": self.raw(chunks_path, groups, backend, self.args.backend_sample)}
            row["cold"] = self.cold(backend, repeats=3)
            if not self.args.no_quality:
                row["quality"] = self.probe("quality", backend, dev=str(DEV))
            out[backend] = row
            self.log(f"backend {backend}: {row}")
        return out


def _hwm_kb(status: Path) -> int:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _count(home: Path, sql: str) -> int:
    db = sqlite3.connect(home / "articlebot.sqlite3")
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


# -- the table -------------------------------------------------------------------------------


def _f(value, fmt: str = "{:.0f}") -> str:
    return "—" if value is None else fmt.format(value)


def table(r: dict) -> str:
    ing, raw, ask = r["ingest"], r.get("raw", {}), r["ask"]
    q = r.get("quality", {}).get("rows", {})
    hq = q.get("hybrid+rescore", {})
    pi, pa, pq = r.get("peer_ingest", {}), r.get("peer_ask", {}), r.get("peer_quality", {})
    m = r["machine"]
    ceiling = raw.get("with_sentences_chunks_per_s") or raw.get("chunks_per_s")
    peer_note = ""
    if ing.get("index_s") is not None:
        rows_note = (
            f"synthetic library: store {ing['store_s']:.0f} s, index build {ing['index_s']:.0f} s"
        )
    else:
        rows_note = ""
    if r.get("peer_build") and pi:
        peer_note = f" (txtai ingest on the first {pi.get('chunks')} chunks; see README)"
    rows = [
        ("chunks in the library", _f(ing["chunks"], "{:,}"), _f(pa.get("count"), "{:,}")),
        (
            "ingest end to end, chunks/s" + peer_note,
            _f(ing.get("chunks_per_s"), "{:.0f}"),
            _f(pi.get("chunks_per_s"), "{:.0f}"),
        ),
        (
            "raw encoder on the same chunks, chunks/s: pooled / article by article",
            f"{_f(raw.get('chunks_per_s'))} / {_f(raw.get('by_article_chunks_per_s'))}",
            "—",
        ),
        (
            "raw encoder, chunks + their sentences (what ingest embeds), chunks/s",
            _f(raw.get("with_sentences_chunks_per_s")),
            "—",
        ),
        (
            "ingest / raw encoder (same work: chunks + sentences)",
            _f(
                ing.get("chunks_per_s", 0) / ceiling * 100
                if ing.get("chunks_per_s") and ceiling
                else None,
                "{:.0f} %",
            ),
            "—",
        ),
        ("question to answer p50, ms", _f(ask["p50_ms"], "{:.1f}"), _f(pa.get("p50_ms"), "{:.1f}")),
        ("question to answer p95, ms", _f(ask["p95_ms"], "{:.1f}"), _f(pa.get("p95_ms"), "{:.1f}")),
        (
            "cold start to first CLI answer (sample corpus), s",
            _f(r["cold_sample"]["median_s"], "{:.2f}"),
            "—",
        ),
        (
            "cold start to first answer (this library), s",
            _f(r["cold_tier"]["median_s"], "{:.2f}"),
            _f(r.get("peer_cold", {}).get("median_s"), "{:.2f}"),
        ),
        ("peak RSS ingest, MiB", _f(ing.get("peak_rss_mb")), _f(pi.get("peak_rss_mb"))),
        (
            "RSS answering (library loaded, after the questions), MiB",
            _f(ask.get("rss_answering_mb")),
            _f(pa.get("rss_end_mb")),
        ),
        (
            "peak RSS of a CLI process answering from this library, MiB",
            _f(r["cold_tier"].get("peak_rss_mb")),
            _f(r.get("peer_cold", {}).get("peak_rss_mb")),
        ),
        ("dense index", f"{ask['dense_kind']}, {ask['dense_mb']:.0f} MiB", "faiss (txtai default)"),
        (
            "memory per chunk, answering, bytes (RSS of the loaded library / chunks)",
            _f((ask["rss_loaded_mb"] - ask["rss_empty_mb"]) * 2**20 / max(ing["chunks"], 1)),
            "—",
        ),
        (
            "add one article to this library / full reindex, s",
            f"{ask['add_one_article_s']:.2f} / {ask['full_reindex_s']:.2f}",
            "—",
        ),
        (
            "dev found@1 / found@5",
            f"{_f(hq.get('found@1'), '{:.3f}')} / {_f(hq.get('found@5'), '{:.3f}')}",
            f"{_f(pq.get('found@1'), '{:.3f}')} / {_f(pq.get('found@5'), '{:.3f}')}",
        ),
    ]
    width = max(len(x[0]) for x in rows)
    lines = [
        f"tier {r['tier']}, backend {r['backend']}"
        + (f" (imports on {r['bulk_backend']})" if r.get("bulk_backend") else "")
        + f"; {m['cpu']}, {m['cores']} cores, "
        f"{m['ram_gib']} GiB; load avg at start {m['load_start'][0]:.2f}, at end "
        f"{r.get('load_end', [float('nan')])[0]:.2f}",
        f"| {'':{width}} | ArticleBot | txtai |",
        f"|{'-' * (width + 2)}|-----------:|------:|",
    ]
    lines += [f"| {name:{width}} | {ours} | {peer} |" for name, ours, peer in rows]
    if rows_note:
        lines.append(rows_note)
    parts = ask.get("parts_p50_ms", {})
    if parts:
        lines.append("")
        lines.append("ask p50 by step, ms: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()))
        lines.append(
            f"ask embeds {ask['embedded_texts_per_question']:.1f} text(s) per question besides "
            f"the question ({ask['embedding_ms_per_question']:.1f} ms on average; "
            f"{ask.get('stored_sentence_vectors_per_question', 0):.1f} sentence vectors read "
            "from the store); without "
            f"sentence re-scoring p50 {ask['no_rescore_p50_ms']:.1f} ms, "
            f"p95 {ask['no_rescore_p95_ms']:.1f} ms"
        )
    if r.get("backends"):
        lines += [
            "",
            "| backend | raw chunks/s | query ms | model load s | cold CLI answer s "
            "| found@1 | found@5 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, b in r["backends"].items():
            nan = {"found@1": float("nan"), "found@5": float("nan")}
            row = b.get("quality", {}).get("rows", {}).get("hybrid+rescore", nan)
            lines.append(
                f"| {name} | {b['raw']['chunks_per_s']:.0f} | {b['raw']['query_p50_ms']:.1f} | "
                f"{b['raw']['load_s']:.2f} | {b['cold']['median_s']:.2f} | "
                f"{row['found@1']:.3f} | {row['found@5']:.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from index.embedding import DEFAULT_BACKEND

    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--tier", choices=sorted(TIERS), default="10k")
    parser.add_argument("--allow-1m", action="store_true", help="needed for --tier 1m")
    parser.add_argument("--backend", default=DEFAULT_BACKEND)
    parser.add_argument("--work", default="/tmp/articlebot-bench")
    parser.add_argument("--questions", type=int, default=352, help="dev questions timed")
    parser.add_argument(
        "--raw-sample", type=int, default=4_000, help="chunks the raw encoder is timed on"
    )
    parser.add_argument("--backend-sample", type=int, default=2_000)
    parser.add_argument(
        "--peer-ingest-limit",
        type=int,
        default=PEER_INGEST_LIMIT,
        help="chunks txtai indexes itself (its ingest rate); the rest from vectors",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip txtai")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="store replicas with noisy copies of real vectors instead of "
        "embedding every chunk (always on for 1m; no ingest rate)",
    )
    parser.add_argument("--no-quality", action="store_true", help="skip the dev-set found@k")
    parser.add_argument(
        "--reuse", action="store_true", help="answer from this tier's existing library (no ingest)"
    )
    parser.add_argument("--compare-backends", action="store_true")
    parser.add_argument(
        "--bulk-backend",
        default=None,
        help="EMBEDDING_BULK_BACKEND of the import (default: auto, torch-bf16 on a CPU with "
        "native bfloat16); questions keep --backend",
    )
    args = parser.parse_args(argv)
    if args.bulk_backend is None:  # as `articlebot import` resolves EMBEDDING_BULK_BACKEND=auto
        from index.embedding import auto_bulk_backend

        args.bulk_backend = auto_bulk_backend(args.backend)
    if args.tier == "1m" and not args.allow_1m:
        parser.error("the 1m tier takes long and needs ~10 GB of disk: add --allow-1m")
    bench = Bench(args)
    results = bench.run()
    out = bench.work / f"results-{args.tier}-{args.backend}.json"
    out.write_text(json.dumps(results, indent=1))
    print(table(results))
    print(f"\n(all figures: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
