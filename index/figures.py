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
from collections.abc import Callable
from dataclasses import dataclass, replace

from .models import Passage
from .numbers import NUMBER_WORDS, words_to_number
from .spans import question_type

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


_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[A-Za-z]+|%")


def all_figures(text: str) -> list[Value]:
    """Every figure in ``text``, in order: digits ("25", "1,200", "3.5 million", "12%") or a
    run of number words ("Twenty-five", "two hundred and ten").

    Not figures: estimates ("two dozen", "dozens", "hundreds of"), part of a group ("one of the
    wounded"), and digits inside a name or code ("COVID-19", "A320").
    """
    tokens = [(m.group(0), m.group(0).lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out: list[Value] = []
    i = 0
    while i < len(tokens):
        raw, low, start, end = tokens[i]
        j = i + 1
        if raw[0].isdigit():
            glued = start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-_.")
            if glued:
                i = j
                continue
            number = float(raw.replace(",", ""))
            if j < len(tokens) and tokens[j][1] in _SCALE:
                number *= _SCALE[tokens[j][1]]
                end = tokens[j][3]
                j += 1
        elif low in NUMBER_WORDS and low not in _SCALE:
            while j < len(tokens) and (
                tokens[j][1] in NUMBER_WORDS
                or (
                    tokens[j][1] == "and"
                    and j + 1 < len(tokens)
                    and tokens[j + 1][1] in NUMBER_WORDS
                )
            ):
                j += 1
            value = words_to_number([t[1] for t in tokens[i:j]])
            if value is None:
                i = j
                continue
            number, end = float(value), tokens[j - 1][3]
        else:
            i = j
            continue
        following = tokens[j][1] if j < len(tokens) else ""
        if following in _NOT_A_COUNT:
            i = j
            continue
        percent = following in {"%", "percent"} or (
            following == "per" and j + 1 < len(tokens) and tokens[j + 1][1] == "cent"
        )
        out.append(Value(number, percent, start, end))
        i = j
    return out


def read_figure(text: str, after: str = "") -> Value | None:
    """The first figure in ``text`` (an answer span), else None (see :func:`all_figures`).

    ``after`` is the text that follows the span: a span may end before the word that makes its
    number an estimate ("[Two] dozen").
    """
    for value in all_figures(text + after):
        return value if value.start < len(text) else None
    return None


def counts(text: str, value: Value, noun: str) -> bool:
    """Whether the figure counts ``noun``: the noun follows within two words ("25 fighters",
    "Twenty-five more people", "26 Iraqi fighters")."""
    words = re.findall(r"[A-Za-z]+", text[value.end : value.end + 60])[:3]
    stem = noun.lower()[:5]
    return any(
        w.lower() == noun.lower() or (len(stem) >= 4 and w.lower().startswith(stem)) for w in words
    )


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

    def sentence(self) -> Passage:
        """The sentence holding the figure as a quote, with the figure as its answer span."""
        return Passage(
            self.article_id,
            self.title,
            self.url,
            self.quote,
            self.quote_start,
            self.quote_end,
            0.0,
            answer_start=self.start,
            answer_end=self.end,
            published=self.published if not self.date_is_added else None,
            source=self.source,
        )

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


def passage_figure(
    passage: Passage, noun: str | None, sentences: list[tuple[int, int]]
) -> Figure | None:
    """The figure a passage gives for the question, with the sentence that holds it.

    ``sentences`` are the article's stored sentence spans (article offsets): the quote is the
    sentence holding the figure, found there rather than by splitting the passage again.

    The engine's answer span is read first. When the question counts a noun ("how many
    fighters") and the span's figure does not count it ("a magnitude [6.4] earthquake") while
    another figure of the passage does ("Twenty-five people were killed"), that one is taken:
    the passage's best sentence is not always the one with the count.
    """
    text = passage.text
    value = None
    if passage.answer_start is not None and passage.answer_end is not None:
        a, b = passage.answer_start - passage.start, passage.answer_end - passage.start
        found = read_figure(text[a:b], text[b : b + 40])
        value = replace(found, start=found.start + a, end=found.end + a) if found else None
    if noun and (value is None or not counts(text, value, noun)):
        counting = [v for v in all_figures(text) if counts(text, v, noun)]
        if counting:
            value = counting[0]
    if value is None or (passage.answer_start is None and not (noun and counts(text, value, noun))):
        return None
    start, end = passage.start + value.start, passage.start + value.end
    quote_start, quote_end = passage.start, passage.end
    for s, e in sentences:
        if s <= start and end <= e:
            quote_start, quote_end = max(s, passage.start), min(e, passage.end)
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


def compare(
    question: str,
    passages: list[Passage],
    sentences_of: Callable[[str], list[tuple[int, int]]],
) -> tuple[list[Figure], int | None]:
    """Each article's figure for a how-many/how-much question, and how many agree.

    ``sentences_of`` gives an article's stored sentence spans by article id (see
    :func:`passage_figure`).

    Returns:
        ``(figures, agreeing)``: the figures of the articles that give one (one per article, in
        date order), when at least two do, and how many of them give the same figure as the
        best passage; ``([], None)`` otherwise.
    """
    if not passages or not asks_for_a_figure(question):
        return [], None
    best_score = passages[0].score
    noun = question_type(question).focus
    by_article: dict[str, Figure] = {}
    for passage in passages:
        if passage.article_id in by_article or passage.score < best_score - FIGURE_MARGIN:
            continue
        figure = passage_figure(passage, noun, sentences_of(passage.article_id))
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
