"""The benchmark corpus: the dev articles, replicated with perturbation to a chunk count.

Replica 0 of every article is the article itself (so the dev questions still have their gold
article in the library); replica ``r > 0`` replaces about 8 % of the words by other words *of
the same length* from the article's own vocabulary and every digit by another digit, and
gets its own title. Same-length edits keep every character offset, so a replica has exactly
its original's sentence and chunk spans; that lets the 1M tier store replicas without running
the sentence splitter a million times (see ``synthetic_rows``). Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"
TIERS = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
WORD = re.compile(r"[A-Za-z]+")
DIGIT = re.compile(r"[0-9]")
REPLACE = 0.08


@dataclass(frozen=True)
class Original:
    record: dict
    chunks: int
    by_length: dict[int, list[str]]


def load_originals(dev: Path = DEV) -> list[Original]:
    """The dev articles with their chunk counts under the engine's chunker."""
    from index.chunking import ChunkerSettings, make_chunks, split_sentences
    from index.text import clean_text

    originals = []
    settings = ChunkerSettings()
    for line in (dev / "articles.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        text = clean_text(record["text"])
        spans = make_chunks(text, split_sentences(text), settings)
        vocab: dict[int, set[str]] = defaultdict(set)
        for word in WORD.findall(text):
            vocab[len(word)].add(word)
        originals.append(
            Original({**record, "text": text}, len(spans), {k: sorted(v) for k, v in vocab.items()})
        )
    return originals


def perturb(original: Original, replica: int, seed: int = 0) -> dict:
    """Replica ``replica`` of an article (0: the article itself)."""
    record = original.record
    if replica == 0:
        return {
            "title": record["title"],
            "text": record["text"],
            "article_id": record["article_id"],
        }
    rng = random.Random(f"{seed}/{record['article_id']}/{replica}")

    def word(match: re.Match) -> str:
        w = match.group(0)
        if rng.random() >= REPLACE:
            return w
        choices = original.by_length.get(len(w)) or [w]
        new = rng.choice(choices)
        return new.capitalize() if w[:1].isupper() else new.lower()

    text = WORD.sub(word, record["text"])
    text = DIGIT.sub(lambda m: str(rng.randrange(10)), text)
    assert len(text) == len(record["text"])
    return {
        "title": f"{record['title']} [copy {replica}]",
        "text": text,
        "article_id": f"{record['article_id']}~{replica}",
    }


def plan(originals: list[Original], target_chunks: int) -> list[tuple[int, int]]:
    """``(original index, replica)`` pairs, round robin, until ``target_chunks`` is reached."""
    pairs = []
    total = 0
    replica = 0
    while total < target_chunks:
        for i, original in enumerate(originals):
            if total >= target_chunks:
                break
            pairs.append((i, replica))
            total += original.chunks
        replica += 1
    return pairs


def write_corpus(path: Path, target_chunks: int, seed: int = 0) -> tuple[int, int]:
    """Write the JSONL corpus for ``articlebot import``; returns (articles, estimated chunks)."""
    originals = load_originals()
    pairs = plan(originals, target_chunks)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for i, replica in pairs:
            out.write(json.dumps(perturb(originals[i], replica, seed), ensure_ascii=False) + "\n")
    return len(pairs), sum(originals[i].chunks for i, _ in pairs)
