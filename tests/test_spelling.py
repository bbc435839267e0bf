"""Misspelt names searched in the library's spelling (index.spelling)."""

from __future__ import annotations

import pytest

from index.lexical import tokenize
from index.spelling import correct_names, library_spelling

LIBRARY_TEXT = (
    "A deduction in a Hilbert-style system is a list of formulas. Connecticut's official "
    "nickname is the Constitution State. Lila and Lisle spoke for the list of candidates; "
    "Ken Holt, the mayor, invested in the port."
)
VOCABULARY = set(tokenize(LIBRARY_TEXT))

CHESS = (
    "Two players from the Veldania chess club won regional titles this decade. "
    "Anna Kowalczyk won the regional chess title in 2019, after a playoff against a former "
    "champion. Marta Nowakowska won the regional chess title in 2021, without losing a game. "
    "The club meets every Thursday in the old library."
)


def test_a_misspelt_name_takes_the_library_spelling():
    assert library_spelling("Hillbert", VOCABULARY) == "Hilbert"
    assert library_spelling("Connectitcut", VOCABULARY) == "Connecticut"
    assert correct_names("Describe the deduction in the Hillbert-style system?", VOCABULARY) == (
        "Describe the deduction in the Hilbert-style system?"
    )


def test_names_the_library_holds_or_cannot_mend_stay_as_written():
    # Known, or nothing one edit away: the question is left alone.
    assert library_spelling("Hilbert", VOCABULARY) is None
    assert library_spelling("Eiffel", VOCABULARY) is None
    # Several library words one edit away ("Lisa": "Lila", "list"): no guess.
    assert library_spelling("Lisa", VOCABULARY) is None
    assert library_spelling("Lise", VOCABULARY) is None
    # Too short to tell a slip from another name ("Ben" is one edit from "Ken").
    assert library_spelling("Ben", VOCABULARY) is None
    # Common words are never corrected, only names: "invest" is one edit from "infest".
    question = "did the port infest the list, asked Ben?"
    assert correct_names(question, VOCABULARY) == question


@pytest.fixture
def chess(make_engine):
    library = make_engine(seed=True).library()
    library.add_text(CHESS, title="Chess club celebrates its champions")
    return library


def test_a_question_with_a_misspelt_name_is_answered_and_kept_as_asked(chess):
    # "Nowakowksa" is in no chunk: as written, the question would have to clear the higher bar
    # of a question holding a word the library lacks, and it does not.
    question = "In which year did Nowakowksa win the title?"
    answer = chess.ask(question)
    assert answer.found
    assert answer.answer == "2021"
    assert answer.question == question
