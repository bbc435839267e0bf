"""Retrieval and answer metrics on a question set (DESIGN.md, "Evaluation data format").

A question is found at k when one of its gold answers occurs inside one of the top k passages
quoted from the right article. Span metrics compare the marked answer with the gold answers
(SQuAD's normalisation: lower case, no punctuation or articles, single spaces). Knowing when
not to answer is measured both ways: the share of answerable questions refused ("nothing
found"), and the share of unanswerable questions (``{"qid", "question"}`` lines whose answer is
in no article) that are refused.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput
from .models import Answer

log = logging.getLogger(__name__)


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"’", "‘", "“", "”"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    pred = normalize_answer(prediction).split()
    truth = normalize_answer(gold).split()
    if not pred or not truth:
        return float(pred == truth)
    common = Counter(pred) & Counter(truth)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise BadInput(f"No such file: {path}.")
    out = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                raise BadInput(f"{path.name} line {number} is not valid JSON.") from None
    return out


@dataclass
class QuestionResult:
    qid: str
    rank: int | None  # 1-based rank of the first passage holding a gold answer, None if none
    exact: float
    f1: float
    seconds: float
    answered: bool


@dataclass
class Report:
    name: str
    results: list[QuestionResult]
    # One flag per unanswerable question: True when it got the "nothing found" reply.
    unanswerable_refused: list[bool] | None = None

    def found_at(self, k: int) -> float:
        found = sum(1 for r in self.results if r.rank is not None and r.rank <= k)
        return found / len(self.results)

    @property
    def mrr(self) -> float:
        return sum(1 / r.rank for r in self.results if r.rank) / len(self.results)

    @property
    def exact(self) -> float:
        return statistics.fmean(r.exact for r in self.results)

    @property
    def f1(self) -> float:
        return statistics.fmean(r.f1 for r in self.results)

    @property
    def refused(self) -> float:
        """Share of answerable questions that got the "nothing found" reply."""
        return sum(1 for r in self.results if not r.answered) / len(self.results)

    @property
    def unanswerable_refused_rate(self) -> float | None:
        """Share of unanswerable questions refused, None when none were asked."""
        flags = self.unanswerable_refused
        return sum(flags) / len(flags) if flags else None

    def latency(self, q: float) -> float:
        times = sorted(r.seconds for r in self.results)
        return times[min(len(times) - 1, int(q * len(times)))]

    def row(self) -> dict:
        return {
            "variant": self.name,
            "found@1": self.found_at(1),
            "found@3": self.found_at(3),
            "found@5": self.found_at(5),
            "MRR": self.mrr,
            "span EM": self.exact,
            "span F1": self.f1,
            "ans refused": self.refused,
            "unans refused": self.unanswerable_refused_rate,
            "p50 s": self.latency(0.5),
            "p95 s": self.latency(0.95),
        }


def score_question(question: dict, answer: Answer, seconds: float) -> QuestionResult:
    golds = [g for g in question["answers"] if g]
    rank = None
    for i, passage in enumerate(answer.passages, start=1):
        if passage.article_id == question["article_id"] and any(g in passage.text for g in golds):
            rank = i
            break
    predicted = answer.passages[0].answer_text if answer.passages else None
    predicted = predicted or ""
    exact = max(
        (float(normalize_answer(predicted) == normalize_answer(g)) for g in golds), default=0.0
    )
    f1 = max((token_f1(predicted, g) for g in golds), default=0.0)
    return QuestionResult(question["qid"], rank, exact, f1, seconds, answer.found)


def run(
    questions: list[dict],
    ask: Callable[[str], Answer],
    name: str,
    unanswerable: list[dict] | None = None,
) -> Report:
    """Ask every question (and every unanswerable one, untimed) and score the answers."""
    results = []
    for question in questions:
        started = time.perf_counter()
        answer = ask(question["question"])
        results.append(score_question(question, answer, time.perf_counter() - started))
    refused = [not ask(q["question"]).found for q in unanswerable] if unanswerable else None
    return Report(name, results, refused)


def format_table(reports: list[Report]) -> str:
    rows = [r.row() for r in reports]
    headers = list(rows[0])
    cells = [
        [f"{v:.3f}" if isinstance(v, float) else "-" if v is None else str(v) for v in row.values()]
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
