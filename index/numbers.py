"""Numbers written in words, so that "Twenty-five" and "25" are the same figure.

Pure functions, no I/O. News copy spells out numbers below a hundred and at sentence starts
("Twenty-five people were killed"), and readers ask with either form, so both retrieval and
answer marking compare figures by value.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORDS = set(UNITS) | set(TENS) | set(SCALES)

_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


def words_to_number(words: list[str]) -> int | None:
    """Value of a run of number words (``["twenty", "five"]`` -> 25), None if not a number."""
    if not words or any(w not in NUMBER_WORDS and w != "and" for w in words):
        return None
    total = 0
    current = 0
    seen = False
    for word in words:
        if word == "and":
            continue
        seen = True
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * SCALES[word]
            current = 0
    return total + current if seen else None


def parse_number(text: str) -> float | None:
    """Value of a figure written in digits ("1,200", "3.5") or words ("twenty-five")."""
    cleaned = text.strip().lower()
    if _DIGITS.match(cleaned):
        return float(cleaned.replace(",", ""))
    words = [w for w in re.split(r"[\s-]+", cleaned) if w]
    value = words_to_number(words)
    return float(value) if value is not None else None
