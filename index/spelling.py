"""Misspelt names in a question, put back into the library's spelling before searching.

Readers type names from memory ("Hillbert" for Hilbert, "Connectitcut"), and a name is the one
word a paraphrase cannot stand in for: BM25 matches it exactly or not at all, and the model,
which reads words in pieces, drifts away from the passage that names it. So a misspelt name
loses the lexical half of the search and weakens the other: the answering sentence falls down
the ranking, or below the bar for answering at all (a question word no chunk holds raises it,
see index.answering).

A name of the question that no chunk holds is put back into the library's spelling when exactly
one word of the library is one edit away from it (``index.unknown_names.one_edit_away``, which
already forgives such slips when deciding whether a name is unknown). Only names are corrected,
never common words: "infest" is one edit from "invest" and "foucs" from "forc", and the article
may well say the common word otherwise; a name one edit from a library word is that word far
more often than not. Short names and names with several neighbours ("Lisa": "Lila", "list")
are left alone, since the edit is then as likely to make a wrong name as to mend one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container

from .lexical import tokenize
from .unknown_names import one_edit_away, question_names

log = logging.getLogger(__name__)

# A shorter name is one edit from too many others ("Cup": "cap", "cut"; "Ken": "Ben", "Len").
MIN_CORRECTED_LENGTH = 5


def library_spelling(name: str, vocabulary: Container[str]) -> str | None:
    """The spelling of ``name`` the library uses, when the library does not hold ``name`` but
    holds exactly one word one edit away from it; else None.

    Args:
        vocabulary: the library's lexical vocabulary (stemmed tokens, see index.lexical).
    """
    if len(name) < MIN_CORRECTED_LENGTH:
        return None
    stems = tokenize(name)
    # The stem must be the name itself, lower-cased: the correction replaces the word as
    # written, and a stemmer's cut ("Lucy" -> "luci") would put a stem into the question.
    if stems != [name.lower()] or stems[0] in vocabulary:
        return None
    near = [e for e in one_edit_away(stems[0]) if e in vocabulary]
    if len(near) != 1 or tokenize(near[0]) != near:
        return None
    return near[0][:1].upper() + near[0][1:]


def correct_names(question: str, vocabulary: Container[str]) -> str:
    """The question with its misspelt names in the library's spelling (see module docstring);
    the question itself when there are none."""
    corrected = question
    for name in dict.fromkeys(question_names(question)):
        spelling = library_spelling(name, vocabulary)
        if spelling is not None:
            corrected = re.sub(rf"\b{re.escape(name)}\b", spelling, corrected)
            log.debug("name %r read as %r", name, spelling)
    return corrected
