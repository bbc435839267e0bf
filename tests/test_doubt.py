"""Knowing when a quote is about the question but does not answer it (index.doubt).

Pure tests of what a question asks for, then the real engine and model on a hand-made article:
questions on its subject that it does not answer are refused, paraphrased ones it does answer
are not.
"""

from __future__ import annotations

import pytest

from index import answering
from index.answering import ScoredSentence, is_relevant
from index.doubt import asked_attribute, attribute_missing, missing_figures, without_attribute
from index.lexical import tokenize
from tests.test_answering import candidate, scored_for

TOWN = (
    "Marlowe Bay is a fishing town on the northern coast of Veldania. The town was founded in "
    "1841 by whalers from the south, and its harbour still lands most of the region's herring. "
    "About 12,400 people live in Marlowe Bay, according to the last census. The town council "
    "is led by mayor Ingrid Solberg, who was elected in 2019. Every August the town holds a "
    "herring festival that draws visitors from across the country."
)


def attribute(question: str) -> str | None:
    span = asked_attribute(question)
    return None if span is None else question[slice(*span)]


def test_the_attribute_asked_of_a_subject():
    assert attribute("What is the telephone area code of Hartford?") == "telephone area code"
    assert attribute("Who was the first governor of the Province of Carolina?") == (
        "first governor"
    )
    assert attribute("What animal is the symbol of the party?") == "symbol"
    assert attribute("How much did a ticket cost in 1990?") == "cost"
    assert without_attribute("What is the population of Imphal?") == "What is the of Imphal?"


def test_questions_for_an_instance_or_a_name_ask_for_no_attribute():
    # A quote answers "which university" by naming one, without the word "university".
    assert asked_attribute("Which university did Noah Webster attend?") is None
    assert asked_attribute("Who founded Mellon Bank?") is None
    # "The name of the ship" is said by naming the ship.
    assert asked_attribute("What was the name of the first ship?") is None
    # No subject to hold the attribute: "what is the capital?" alone.
    assert asked_attribute("What is the capital?") is None
    assert without_attribute("How many people live there?") is None


def test_missing_attribute_and_figures_are_judged_on_the_quote_words():
    quote = set(tokenize(TOWN))
    assert attribute_missing("What is the telephone area code of Marlowe Bay?", quote)
    assert not attribute_missing("Who is the mayor of Marlowe Bay?", quote)
    assert missing_figures("Who was mayor in 1990?", quote) == ["1990"]
    assert missing_figures("Who was elected in 2019?", quote) == []
    assert missing_figures("How many people live in Marlowe Bay?", quote) == []


def test_a_doubt_raises_the_bar():
    item = scored_for("library budget", [candidate(1, 1.0)])[0]
    between = (answering.MIN_RELEVANCE_ABSENT + answering.MIN_RELEVANCE_DOUBT) / 2

    def with_doubts(doubts: tuple[str, ...]) -> list[ScoredSentence]:
        chunk = candidate(1, 1.0, dense=between)
        return [
            ScoredSentence(item.article, item.index, 1.0, between, 0.0, chunk, 0.0, (), doubts)
        ]

    assert answering.MIN_RELEVANCE_DOUBT > answering.MIN_RELEVANCE_ABSENT
    assert is_relevant(with_doubts(()))
    assert not is_relevant(with_doubts(("attribute",)))
    # An explicit threshold (a bot that would rather guess) overrides the bar.
    assert is_relevant(with_doubts(("attribute",)), min_relevance=0.0)


@pytest.fixture
def town(make_engine):
    library = make_engine(seed=True).library()
    library.add_text(TOWN, title="Harbour town prepares for herring festival")
    return library


@pytest.mark.parametrize(
    "question",
    [
        # The attribute is missing and the model agrees the quote does not say it.
        "What is the telephone area code of Marlowe Bay?",
        "Who is the police chief of Marlowe Bay?",
        # "How many" with no figure in the quote.
        "How many ferries leave Marlowe Bay each day?",
        # A year the quote does not hold.
        "Who won the herring festival prize in 1990?",
    ],
)
def test_questions_the_article_is_about_but_does_not_answer_are_refused(town, question):
    answer = town.ask(question)
    assert answer.answer is None and answer.passages == []
    assert answer.nearest_titles  # offered instead of a guess


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "population" is not in the article, but the model reads "people live" as it.
        ("What is the population of Marlowe Bay?", "12,400"),
        ("How many people live in Marlowe Bay?", "12,400"),
        ("Who was elected mayor in 2019?", "Ingrid Solberg"),
        ("When was Marlowe Bay founded?", "1841"),
    ],
)
def test_paraphrased_questions_it_answers_are_not_refused(town, question, expected):
    answer = town.ask(question)
    assert answer.found
    assert expected in answer.passages[0].text
    assert answer.answer == expected
