"""``Library.ask`` over the dev questions on a built library, for back-to-back comparisons.

What the benchmark's ask probe times (352 questions after 5 warm-up), without its other steps,
so that two versions of the code can be alternated quickly on the same library::

    PYTHONPATH=$PWD python -m bench.askloop /tmp/articlebot-bench/home-100k-onnx \
        [--out answers.jsonl] [--profile profile.txt]

``--out`` writes every answer (JSON, one a line) to compare two versions' answers byte for
byte; ``--profile`` writes a pyinstrument profile of the timed loop (``pip install
pyinstrument``). Prints p50 / p95 / mean and the load average before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path

from bench.probes import percentile


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--library", default="bench")
    parser.add_argument("--work", type=Path, default=Path("/tmp/articlebot-bench"))
    parser.add_argument("--backend", default="onnx")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    from index import Engine, EngineConfig

    questions = json.loads((args.work / "questions.json").read_text())
    engine = Engine(
        EngineConfig(
            home=args.home,
            seed_samples=False,
            embedding_backend=args.backend,
            model_cache=args.work / "models",
        )
    )
    engine.encoder.warm_up()
    library = engine.library(args.library)
    for question in questions[:5]:
        library.ask(question)
    before = _load()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    times, answers = [], []
    for question in questions:
        started = time.perf_counter()
        answers.append(library.ask(question))
        times.append(time.perf_counter() - started)
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_text(unicode=False, color=False))
    print(
        f"{args.home.name}: {len(times)} questions, p50 {percentile(times, 50) * 1e3:.2f} ms, "
        f"p95 {percentile(times, 95) * 1e3:.2f} ms, mean {statistics.fmean(times) * 1e3:.2f} ms;"
        f" load {' '.join(before)} -> {' '.join(_load())}"
    )
    if args.out:
        args.out.write_text(
            "\n".join(
                json.dumps(dataclasses.asdict(a), default=str, sort_keys=True) for a in answers
            )
            + "\n"
        )
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
