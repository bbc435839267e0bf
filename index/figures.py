"""Conflicting figures: what each source says for a how-many / how-much question.

Reports of one event disagree ("25 killed" on the first day, "26" the next) and a bot that
quotes only the best passage silently picks one. For how-many and how-much questions the answer
spans the engine marked in the passages of different articles are read as numbers ("Twenty-five"
and "25" are one figure; "two dozen" is an estimate, not a figure) and listed with their outlet,
date and sentence, or counted when they agree.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import split_sentences
from .models import Passage
from .numbers import NUMBER_WORDS, words_to_number

# "how many", "how much", "what number / percentage / share / proportion / amount of".
_COUNT_QUESTION = re.compile(
    r"\bhow\s+(many|much)\b|\b(what|which)\s+(number|percentage|share|proportion|amount)\b",
    re.IGNORECASE,
)
# A passage's figure is compared only when the passage answers nearly as well as the best one;
# further down, passages are about other things (the injured, the evacuated) and their figures
# would look like disagreement.
FIGURE_MARGIN = 0.15
# Passages read for figures, however few the asker wants quoted: a disagreeing report can
# rank just below the first few.
FIGURE_PASSAGES = 8

_DIGITS = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_WORD_RUN = re.compile(r"[A-Za-z]+(?:[\s-]+[A-Za-z]+)*")
_SCALE = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Words after a number that make it an estimate ("two dozen", "tens of thousands") or a part
# of a group rather than its size ("one of the wounded died"): not a figure to compare.
_NOT_A_COUNT = {
    "dozen",
    "dozens",
    "score",
    "scores",
    "tens",
    "hundreds",
    "thousands",
    "millions",
    "of",
}
_PERCENT = re.compile(r"^\s*(%|percent\b|per\s+cent\b)", re.IGNORECASE)


def asks_for_a_figure(question: str) -> bool:
    return bool(_COUNT_QUESTION.search(question))


@dataclass(frozen=True)
class Value:
    """A figure read from text: its value, whether it is a percentage, and where it stands."""

    number: float
    percent: bool
    start: int
    end: int

    @property
    def key(self) -> tuple[float, bool]:
        return (self.number, self.percent)


def _next_word(text: str, pos: int) -> str:
    match = re.match(r"[\s-]*([A-Za-z]+)", text[pos:])
    return match.group(1).lower() if match else ""


def read_figure(text: str, after: str = "") -> Value | None:
    """The first figure in ``text`` (an answer span), in digits or words, else None.

    "25", "1,200", "3.5 million", "Twenty-five", "twenty five", "12%" are figures; "two dozen",
    "dozens", "hundreds of" are not. ``after`` is the text that follows the span: a span may
    end before the word that makes its number an estimate ("[Two] dozen").
    """
    if after:
        value = read_figure(text + after)
        return value if value is not None and value.start < len(text) else None
    found: list[Value] = []
    for match in _DIGITS.finditer(text):
        number = float(match.group(1).replace(",", "") + (match.group(2) or ""))
        end = match.end()
        following = _next_word(text, end)
        if following in _NOT_A_COUNT:
            continue
        if following in _SCALE:
            number *= _SCALE[following]
            end = text.lower().index(following, end) + len(following)
        percent = bool(_PERCENT.match(text[end:]))
        found.append(Value(number, percent, match.start(), end))
        break
    for match in _WORD_RUN.finditer(text):
        words = [w.lower() for w in re.split(r"[\s-]+", match.group(0))]
        # The longest run of number words inside the match ("killed twenty five people").
        first = next((i for i, w in enumerate(words) if w in NUMBER_WORDS), None)
        if first is None:
            continue
        last = first
        while last + 1 < len(words) and (
            words[last + 1] in NUMBER_WORDS or words[last + 1] == "and"
        ):
            last += 1
        while words[last] == "and":
            last -= 1
        after = words[last + 1] if last + 1 < len(words) else _next_word(text, match.end())
        if after in _NOT_A_COUNT or words[first] in _SCALE:
            continue
        value = words_to_number(words[first : last + 1])
        if value is None:
            continue
        start, end = _word_offsets(text, match.start(), words, first, last)
        percent = bool(_PERCENT.match(text[end:]))
        found.append(Value(float(value), percent, start, end))
        break
    return min(found, key=lambda v: v.start) if found else None


def _word_offsets(text: str, base: int, words: list[str], first: int, last: int) -> tuple[int, int]:
    """Character offsets of ``words[first..last]`` of the run starting at ``base``."""
    spans = [(m.start() + base, m.end() + base) for m in re.finditer(r"[A-Za-z]+", text[base:])]
    return spans[first][0], spans[last][1]


@dataclass(frozen=True)
class Figure:
    """One source's figure: the number as written, where it stands, and the sentence around it.

    ``text == article_text[start:end]`` and ``quote == article_text[quote_start:quote_end]``.
    """

    value: float
    percent: bool
    text: str
    article_id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    date_is_added: bool
    start: int
    end: int
    quote: str
    quote_start: int
    quote_end: int

    @property
    def label(self) -> str:
        """The value as a reader compares it: "25", "1,200", "3.5 million", "12%"."""
        number = self.value
        for word, scale in (("billion", 1e9), ("million", 1e6)):
            if number >= scale and number % (scale / 10) == 0:
                shown = f"{number / scale:.1f}".removesuffix(".0")
                return f"{shown} {word}" + ("%" if self.percent else "")
        shown = f"{number:,.2f}".rstrip("0").rstrip(".")
        return shown + ("%" if self.percent else "")

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "text": self.text,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "date_is_added": self.date_is_added,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
        }


def passage_figure(passage: Passage) -> Figure | None:
    """The figure in a passage's marked answer span, with the sentence that holds it."""
    if passage.answer_start is None or passage.answer_end is None:
        return None
    span_text = passage.text[
        passage.answer_start - passage.start : passage.answer_end - passage.start
    ]
    following = passage.text[passage.answer_end - passage.start :][:40]
    value = read_figure(span_text, following)
    if value is None or value.end > len(span_text) + len(following):
        return None
    start = passage.answer_start + value.start
    end = passage.answer_start + value.end
    quote_start, quote_end = passage.start, passage.end
    for s, e in split_sentences(passage.text):
        if passage.start + s <= start and end <= passage.start + e:
            quote_start, quote_end = passage.start + s, passage.start + e
            break
    return Figure(
        value=value.number,
        percent=value.percent,
        text=passage.text[start - passage.start : end - passage.start],
        article_id=passage.article_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        published=passage.date,
        date_is_added=passage.date_is_added,
        start=start,
        end=end,
        quote=passage.text[quote_start - passage.start : quote_end - passage.start],
        quote_start=quote_start,
        quote_end=quote_end,
    )


def compare(question: str, passages: list[Passage]) -> tuple[list[Figure], int | None]:
    """Each article's figure for a how-many/how-much question, and how many agree.

    Returns:
        ``(figures, agreeing)``: the figures of the articles that give one (one per article, in
        date order), when at least two do, and how many of them give the same figure as the
        best passage; ``([], None)`` otherwise.
    """
    if not passages or not asks_for_a_figure(question):
        return [], None
    best_score = passages[0].score
    by_article: dict[str, Figure] = {}
    for passage in passages:
        if passage.article_id in by_article or passage.score < best_score - FIGURE_MARGIN:
            continue
        figure = passage_figure(passage)
        if figure is not None:
            by_article[passage.article_id] = figure
    figures = list(by_article.values())
    if len(figures) < 2:
        return [], None
    answer_key = (figures[0].value, figures[0].percent)
    agreeing = sum((f.value, f.percent) == answer_key for f in figures)
    figures.sort(key=lambda f: f.published or "")
    return figures, agreeing


def outlet(figure_or_passage) -> str:
    """Who said it: the outlet's name, else the site of its URL, else the title."""
    source = getattr(figure_or_passage, "source", None)
    if source:
        return source
    url = getattr(figure_or_passage, "url", None)
    if url:
        host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
        if host:
            return host
    return figure_or_passage.title


def figure_line(figure: Figure, escape=lambda text: text) -> str:
    """ "25 — Business Insider, 31 Dec 2019" (the date marked when it is only the day added)."""
    from .dates import format_day

    day = format_day(figure.published)
    if figure.date_is_added:
        day = f"added {day}"
    return f"{figure.label} — {escape(outlet(figure))}" + (f", {day}" if day else "")


def summary(figures: list[Figure], agreeing: int | None, escape=lambda text: text) -> str:
    """One sentence: "Sources differ: 25 — …; 26 — …." or "3 sources agree: 25."."""
    if not figures:
        return ""
    if agreeing == len(figures):
        names = ", ".join(escape(outlet(f)) for f in figures)
        return f"{agreeing} sources agree: {figures[0].label} ({names})."
    return "Sources differ: " + "; ".join(figure_line(f, escape) for f in figures) + "."
