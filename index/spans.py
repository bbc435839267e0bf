"""Marking the answer inside a sentence: the figure for "how many", the name for "who", ...

Pure functions, no model. A question is typed by its wh-word; candidate spans of that type are
found in the sentence (figures, dates, names, quoted words) and the one standing closest to the
question's own words, without repeating them, is marked. This mirrors how a reader scans a
quote for the answer: the figure next to "killed" answers "how many were killed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .numbers import NUMBER_WORDS

Span = tuple[int, int]


class Kind(Enum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ENTITY = "entity"  # which/what + noun: a name or a quoted phrase
    QUOTE = "quote"  # what did X say/chant/write
    OTHER = "other"


_SAY_VERBS = {"say", "said", "chant", "chanted", "shout", "shouted", "write", "wrote", "tweet",
              "tweeted", "call", "called", "tell", "told", "read", "reads", "claim", "claimed"}
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:\s?(?:%|percent|million|billion))?"
    r"|(?<![\w.])(?:[$€£]\s?)?\d+(?:\.\d+)?(?:\s?(?:%|percent|million|billion))?"
)
_NUMBER_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?:[\s-]+(?:and[\s-]+)?(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"))*\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\b(?:(?:{_WEEKDAYS}),?\s+)?(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{4}}|(?:early|mid|late)[\s-]+\d{{4}}s?|\d{{4}}s|\d{{4}}"
    rf"|{_WEEKDAYS}|yesterday|today|tomorrow|last\s+(?:week|month|year))\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,200})[\"“”]")
# Runs of capitalised words, allowing short joiners inside a name ("Bank of England").
_NAME = re.compile(
    r"\b[A-Z][\w'’\-]*(?:\s+(?:of|de|da|al|bin|the|and|for|van|von|la|le|du|del)?\s*"
    r"[A-Z][\w'’\-]*)*"
)
_LEADING_STOP = {"the", "a", "an", "he", "she", "it", "they", "we", "i", "in", "on", "at", "but",
                 "and", "if", "when", "after", "before", "as", "this", "that", "his", "her",
                 "their", "its", "our", "there", "then", "while", "since", "during", "for"}
_QUESTION_STOP = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did",
                  "does", "do", "is", "are", "was", "were", "the", "a", "an", "of", "in", "on",
                  "to", "for", "by", "with", "many", "much", "that", "this", "be", "been",
                  "has", "have", "had", "it", "its", "and", "or", "as", "at", "from", "s"}


@dataclass(frozen=True)
class QuestionType:
    kind: Kind
    focus: str | None  # the noun after "how many" / "which", e.g. "people", "militia"


def question_type(question: str) -> QuestionType:
    """Type a question by its wh-word and the noun it asks about."""
    words = [w.lower() for w in _WORD.findall(question)]
    joined = " ".join(words)
    focus = None
    for i, w in enumerate(words):
        if w in {"which", "what", "many", "much"} and i + 1 < len(words):
            nxt = words[i + 1]
            if nxt not in _QUESTION_STOP:
                focus = nxt
            break
    if re.search(r"\bhow (many|much|old|far|long|large|big|high|tall)\b", joined) or re.search(
        r"\b(what|which) (number|percentage|percent|amount|proportion|share|size)\b", joined
    ):
        return QuestionType(Kind.NUMBER, focus)
    if re.search(r"\bwhen\b|\b(what|which) (year|date|day|month|time|century|decade)\b", joined):
        return QuestionType(Kind.DATE, focus)
    if re.search(r"\bwho(m|se)?\b", joined):
        return QuestionType(Kind.PERSON, focus)
    if re.search(r"\bwhere\b|\b(what|which) (city|country|town|place|region|state|province)\b",
                 joined):
        return QuestionType(Kind.PLACE, focus)
    if words and words[0] in {"what", "which"} and any(w in _SAY_VERBS for w in words):
        return QuestionType(Kind.QUOTE, focus)
    if re.search(r"\b(which|what)\b", joined):
        return QuestionType(Kind.ENTITY, focus)
    return QuestionType(Kind.OTHER, focus)


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _QUESTION_STOP


def _candidates(kind: Kind, sentence: str) -> list[Span]:
    spans: list[Span] = []
    if kind is Kind.NUMBER:
        spans += [m.span() for m in _NUMBER.finditer(sentence)]
        spans += [m.span() for m in _NUMBER_WORDS.finditer(sentence)]
    elif kind is Kind.DATE:
        spans += [m.span() for m in _DATE.finditer(sentence)]
    elif kind is Kind.QUOTE:
        spans += [m.span(1) for m in _QUOTED.finditer(sentence)]
    elif kind in (Kind.PERSON, Kind.PLACE, Kind.ENTITY):
        spans += [_trim_name(sentence, m.span()) for m in _NAME.finditer(sentence)]
        if kind is Kind.ENTITY:
            spans += [m.span(1) for m in _QUOTED.finditer(sentence)]
    return [s for s in spans if s[1] > s[0]]


def _trim_name(sentence: str, span: Span) -> Span:
    """Drop a sentence-initial function word that is capitalised only by position ("The", "In")."""
    start, end = span
    first = _WORD.match(sentence, start)
    while first and first.group(0).lower() in _LEADING_STOP and first.end() < end:
        start = first.end()
        while start < end and sentence[start].isspace():
            start += 1
        first = _WORD.match(sentence, start)
    if first and first.group(0).lower() in _LEADING_STOP:
        return (start, start)
    return (start, end)


def _distance_score(sentence: str, span: Span, anchors: list[int]) -> float:
    if not anchors:
        return 0.0
    centre = (span[0] + span[1]) / 2
    nearest = min(abs(centre - a) for a in anchors)
    return 1.0 / (1.0 + nearest / 40.0)


def mark_answer(question: str, sentence: str) -> Span | None:
    """The span of ``sentence`` that answers ``question``, as offsets into the sentence.

    Returns None when the question asks for no particular kind of thing or when no candidate of
    the right kind is in the sentence; a quote without a marked span is still a useful answer.
    """
    qtype = question_type(question)
    if qtype.kind is Kind.OTHER:
        return None
    asked = _content_words(question)
    anchors = [m.start() for m in _WORD.finditer(sentence) if m.group(0).lower() in asked]
    focus_positions = (
        [m.end() for m in _WORD.finditer(sentence) if qtype.focus and
         m.group(0).lower().startswith(qtype.focus[:5])]
    )
    best: tuple[float, Span] | None = None
    for span in _candidates(qtype.kind, sentence):
        words = _content_words(sentence[span[0] : span[1]])
        if words and words <= asked:
            continue  # repeating the question is not an answer
        score = _distance_score(sentence, span, anchors)
        if qtype.kind is Kind.NUMBER and focus_positions:
            # "how many people": the figure right before "people" wins.
            gaps = [fp - span[1] for fp in focus_positions if fp >= span[1]]
            if gaps and min(gaps) < 30:
                score += 1.0
        if qtype.kind is Kind.ENTITY and focus_positions:
            gaps = [span[0] - fp for fp in focus_positions if fp <= span[0]]
            if gaps and min(gaps) < 12:
                score += 1.0
        if best is None or score > best[0]:
            best = (score, span)
    return _strip_punctuation(sentence, best[1]) if best else None


def _strip_punctuation(sentence: str, span: Span) -> Span:
    start, end = span
    while end > start and sentence[end - 1] in ",;:.!?'\"’” ":
        end -= 1
    while start < end and sentence[start] in "'\"‘“ ":
        start += 1
    return (start, end) if end > start else span
