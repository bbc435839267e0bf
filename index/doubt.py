"""Signs that the best quote is about the question's subject but does not answer it.

The relevance score (index.answering.relevance) tells "about something else" from "about
this", but a question on an article's own subject that the article does not answer ("What is
the telephone area code of Hartford?" over an article on Connecticut) scores like one it does:
the quote names the subject, and the model finds it close. What such a question asks for is
missing from the quote, in one of three ways that hold for news copy in general:

* **attribute**: "what is the X of Y", "who was the X of Y", "how much does Y cost" ask for
  one attribute X of a subject Y. A quote answering it says X (or a word the model reads as
  X); a quote that is only about Y does not, and the question without X is then at least as
  close to it as the whole question: taking the asked-for part away costs nothing, so the
  quote never matched that part.
* **form**: "how many" is answered by a figure and "when" by a date; a quote holding neither
  (in the best sentence or the neighbour that counts, see ``count_nearby``) cannot answer.
* **figure**: a year or figure in the question ("in 2015", "in 1700") that the quote does not
  hold: the quote is about another time or quantity.

Each is only a doubt: an attribute may be paraphrased beyond the model's reach, a figure
written in words, a date sit two sentences away. So a doubt raises the bar the relevance score
must clear (MIN_RELEVANCE_DOUBT in index.answering) rather than refusing outright.
"""

from __future__ import annotations

import re

from .lexical import tokenize
from .spans import FUNCTION_WORDS

# Words of a question, as written (offsets kept, so the attribute can be cut out of it).
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_BE = {"is", "was", "are", "were"}
_ARTICLES = {"the", "a", "an"}
_WH = {"what", "which", "who"}
# Words that end the attribute phrase "the X" before its subject: "the area code [of] Hartford".
_ENDS_ATTRIBUTE = set(FUNCTION_WORDS) | {"that", "which", "who", "whose", "ever", "when"}
# Attributes that name nothing by themselves: "what is the name of the ship" asks for the
# ship's name, and any quote naming the ship says it without the word "name".
_GENERIC = {"name", "names", "title", "term", "word"}
# "How much does Y cost", "how much did X earn": the verb is the attribute asked for.
_PRICE_VERBS = {
    "cost", "costs", "earn", "earns", "earned", "pay", "pays", "paid", "weigh", "weighs"
}
# An attribute longer than this is a clause, not a noun phrase.
MAX_ATTRIBUTE_WORDS = 4


def asked_attribute(question: str) -> tuple[int, int] | None:
    """Offsets in ``question`` of the attribute it asks for, or None when it asks for none.

    "What is the [telephone area code] of Hartford?", "Who was the [first governor] of
    Carolina?", "What animal is the [symbol] of the party?", "How much does it [cost]?".
    Questions asking for a kind of thing ("which university", "what organization") ask for
    an instance, which a quote names without the kind's word, so they have none.
    """
    words = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(question)]
    low = [w for w, _, _ in words]
    how = low.index("how") if "how" in low else -1
    if how >= 0 and low[how + 1 : how + 2] == ["much"]:
        return next(((s, e) for w, s, e in words[how + 2 :] if w in _PRICE_VERBS), None)
    # "what/who is the X of Y" or "what <noun> is the X of Y".
    if len(low) < 4 or low[0] not in _WH:
        return None
    k = 1 if low[1] in _BE else 2 if low[0] != "who" and low[2] in _BE else 0
    if not k or low[k + 1] not in _ARTICLES:
        return None
    first = k + 2
    last = first
    while last < len(low) and low[last] not in _ENDS_ATTRIBUTE and not low[last].endswith(
        ("'s", "’s")
    ):
        last += 1
    if last == first or last - first > MAX_ATTRIBUTE_WORDS or last == len(low):
        return None  # no "of Y" after it: "what is the capital?" names no subject
    if last - first == 1 and low[first] in _GENERIC:
        return None
    return words[first][1], words[last - 1][2]


def without_attribute(question: str) -> str | None:
    """The question with its asked-for attribute cut out, or None when it has none."""
    span = asked_attribute(question)
    if span is None:
        return None
    return " ".join((question[: span[0]] + question[span[1] :]).split())


def attribute_missing(question: str, window_tokens: set[str] | frozenset[str]) -> bool:
    """Whether some stem of the asked-for attribute is missing from the quote's tokens."""
    span = asked_attribute(question)
    if span is None:
        return False
    stems = set(tokenize(question[span[0] : span[1]]))
    return bool(stems - set(window_tokens))


# Figures as a question writes them: "2015", "1,700", "3.5".
_FIGURE = re.compile(r"\b\d[\d,.]*\b")


def missing_figures(question: str, window_tokens: set[str] | frozenset[str]) -> list[str]:
    """Figures of the question ("in 2015") that the quote's tokens do not hold."""
    return [
        m.group(0)
        for m in _FIGURE.finditer(question)
        if not set(tokenize(m.group(0))) <= set(window_tokens)
    ]
