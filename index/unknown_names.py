"""Names in a question that the library never mentions, spelling slips forgiven.

A question about "the Eiffel Tower" or "Microsoft" over a library that never names either
cannot be answered from it, however close the embedding of some unrelated sentence comes: the
model matches "How tall is the Eiffel Tower?" to any sentence about tall buildings. A name
is the one kind of word a paraphrase cannot stand in for, so a name absent from every chunk is
the strongest sign the library does not cover the question, where an absent common word
("salary", "ferries") is weak, since the article may say it otherwise.

Readers misspell names ("Connectitcut", "Hillbert") and drop accents ("Lowenheim"; accents are
folded by the tokenizer), so a name counts as absent only when no word of the library is one
edit away from it. Names in capitals ("WWII", "NBA") are left out: an abbreviation is often
spelled out in the article ("World War II").
"""

from __future__ import annotations

import re
from collections.abc import Container

from .lexical import tokenize

_WORD = re.compile(r"[^\W_]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
# Shorter capitalised words are too often initials, units or parts of names ("Mt", "Dr").
MIN_NAME_LENGTH = 3


def one_edit_away(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    return out


# A question typed In Title Case marks every word, not names: it names nothing by its capitals.
MAX_CAPITALISED_SHARE = 0.6


# Where a sentence of the asker's text starts: its first word is capitalised anyway.
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|\n)\W*([^\W_]+)")


def question_names(question: str) -> list[str]:
    """Capitalised words inside the question, not at the start of one of its sentences
    ("How many were killed? Please answer." names nothing)."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(question)}
    words = [m.group(0) for m in _WORD.finditer(question) if m.start() not in starts]
    capitalised = [w for w in words if w[0].isupper()]
    if not words or len(capitalised) > MAX_CAPITALISED_SHARE * len(words):
        return []
    return [
        w
        for w in capitalised
        if len(w) >= MIN_NAME_LENGTH and not w.isupper() and w.isalpha()
    ]


def unknown_names(question: str, vocabulary: Container[str]) -> tuple[str, ...]:
    """The question's names that no chunk holds, nor any word one edit from them.

    Args:
        vocabulary: the library's lexical vocabulary (stemmed tokens, see index.lexical).
    """
    unknown = []
    for name in question_names(question):
        for stem in tokenize(name):
            if stem in vocabulary or any(e in vocabulary for e in one_edit_away(stem)):
                continue
            unknown.append(name)
            break
    return tuple(dict.fromkeys(unknown))
