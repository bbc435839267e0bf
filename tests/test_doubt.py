"""Knowing when a quote is about the question but does not answer it (index.doubt).

Pure tests of what a question asks for, then the real engine and model on a hand-made article:
questions on its subject that it does not answer are refused, paraphrased ones it does answer
are not.
"""

from __future__ import annotations

import pytest

from index import answering
from index.answering import ScoredSentence, is_relevant
from index.doubt import (
    asked_attribute,
    asked_thing,
    asked_verb,
    attribute_missing,
    missing_figures,
    passive_verb,
    ranked_thing,
    superlative_missing,
    thing_missing,
    verb_missing,
    verb_unheard,
    without_attribute,
)
from index.lexical import tokenize
from tests.test_answering import candidate, scored_for

TOWN = (
    "Marlowe Bay is a fishing town on the northern coast of Veldania. The town was founded in "
    "1841 by whalers from the south, and its harbour still lands most of the region's herring. "
    "About 12,400 people live in Marlowe Bay, according to the last census. The town council "
    "is led by mayor Ingrid Solberg, who was elected in 2019. Every August the town holds a "
    "herring festival that draws visitors from across the country."
)

STADIUM = (
    "Harlow Park is the football stadium of Marlowe Bay. The stadium opened in 1962 and was "
    "rebuilt in 2004 after a fire destroyed the main stand. The first match at the rebuilt "
    "Harlow Park was a cup tie against Northport, which the home side won 3-1. Harlow Park's "
    "largest crowd, 18,200, came for a league decider in 1979. The pitch is heated, and the "
    "stadium hosts concerts every summer."
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


def test_the_thing_a_question_ranks():
    assert ranked_thing("Who was the first governor of the colony?") == ("first", ["governor"])
    assert ranked_thing("What was the largest hailstone ever recorded?") == (
        "largest",
        ["hailstone"],
    )
    # After "did" the phrase runs into the verb, which is not part of the thing.
    assert ranked_thing("Where did the first settlers land?") == ("first", ["settlers"])
    # Without a determiner the word is an adverb: nothing is ranked.
    assert ranked_thing("When did the settlers first land?") is None
    # The superlative of a measure is answered by a figure.
    assert ranked_thing("What is the highest altitude of the region?") is None
    assert ranked_thing("Who was the mayor in 2019?") is None


def test_a_quote_must_rank_the_thing_the_question_ranks():
    court = "Colonists met in the town hall. The first court in the colony sat there in 1639."
    # "Earliest" is "first" in other words, and a few words may come between.
    assert not superlative_missing("What was the earliest court in the colony?", court)
    assert not superlative_missing(
        "Which was the first court?", "The first colonial court sat in 1639."
    )
    # "First" is there, but not of the governor.
    governor = "In 1974 Ella Grasso was elected governor. It was the first time a woman won it."
    assert superlative_missing("Who was the first governor of the state?", governor)
    assert not superlative_missing("Who was the governor in 1974?", governor)
    # A vague thing ("place") is named, not called a place: only the ranking word is asked.
    wet = "Mountains near the equator are amongst the wettest places on Earth."
    assert superlative_missing("What is the driest place on Earth?", wet)
    assert not superlative_missing("What is the wettest place on Earth?", wet)


def test_the_thing_a_question_counts():
    assert asked_thing("How many seats does the stadium have?") == "seats"
    assert asked_thing("How many voting members sit on the board?") == "voting"
    # Counts may be given in other units, and people are counted as what they are.
    assert asked_thing("How many miles is the lake from the town?") is None
    assert asked_thing("How many people live in Marlowe Bay?") is None
    assert asked_thing("What was the largest crowd?") is None
    quote = set(tokenize(STADIUM))
    assert thing_missing("How many seats does Harlow Park have?", quote)
    assert not thing_missing("How many concerts does Harlow Park host?", quote)


def test_the_thing_a_question_ranks_must_be_in_the_quote():
    settlers = set(tokenize("The first English settlers came in 1633 and settled at Windsor."))
    # The quote ranks settlers, not Pilgrims: it is about another first.
    assert thing_missing("Where did the first Pilgrims settle?", settlers)
    assert not thing_missing("Where did the first settlers settle?", settlers)
    # Every word of the thing counts: "the first English ships" are not settlers.
    assert thing_missing("When did the first English ships arrive?", settlers)
    # A vague thing is named, not called so ("the driest place"): left to the superlative.
    assert not thing_missing("What is the driest place on Earth?", settlers)
    # A ranked thing missing is a superlative doubt too: two doubts, the higher bar.
    scored = scored_for("Who approved the first harbour budget?", [candidate(1, 1.0)])
    assert scored[0].doubts == ("superlative", "thing")


def test_the_verb_a_question_asks_about():
    assert asked_verb("In what year did Kurt Gödel die?") == "die"
    assert asked_verb("Who invented the telescope?") == "invented"
    # The subject comes between "did" and the verb.
    assert asked_verb("How much does a Model 3 cost?") == "cost"
    assert asked_verb("Who did the home side beat in the cup?") == "beat"
    assert asked_verb("Who was the first governor?") is None
    assert asked_verb("What is the population of Imphal?") is None
    quote = set(tokenize(STADIUM))
    assert verb_missing("Who scored the first goal at Harlow Park?", quote)
    assert not verb_missing("When was Harlow Park rebuilt?", quote)
    assert not verb_missing("Which stand did the fire destroy?", quote)
    # An irregular form ("won" for "win") is missing by stem: why the verb only corroborates.
    assert verb_missing("Who did the home side win against?", quote)


def test_a_missing_verb_only_corroborates_another_doubt():
    # The quote on the library budget says "approved", not "cut": alone that is no doubt...
    alone = scored_for("When did the council cut the library budget?", [candidate(1, 1.0)])
    assert "budget" in alone[0].article.text[slice(*alone[0].article.sentences[alone[0].index])]
    assert alone[0].doubts == ()
    # ...but beside a superlative the quote lacks ("the first budget"), it is a second doubt.
    both = scored_for("When did the council cut the first library budget?", [candidate(1, 1.0)])
    assert both[0].doubts == ("superlative", "verb")


def test_a_verb_the_library_never_writes_is_a_doubt_of_its_own():
    assert passive_verb("How many people were injured in the fire?") == "injured"
    assert passive_verb("When was the bridge opened?") == "opened"
    assert passive_verb("Where was the bridge built?") is None  # irregular: left alone
    assert passive_verb("Who opened the bridge?") is None  # not passive (asked_verb's)
    assert verb_unheard("How many people were injured?", ("injur",))
    assert verb_unheard("Who invented the telescope?", ("invent", "telescop"))
    assert not verb_unheard("How many people were injured?", ("peopl",))
    assert not verb_unheard("What is the population of Imphal?", ("popul",))
    # A base form may stand for an irregular past the library writes instead ("won").
    assert not verb_unheard("In which year did Nowakowska win the title?", ("win",))


def scored_with(relevance: float, doubts: tuple[str, ...]) -> list[ScoredSentence]:
    """A best sentence whose relevance is ``relevance`` (its cosine; no words of the question),
    with the given doubts."""
    item = scored_for("library budget", [candidate(1, 1.0)])[0]
    chunk = candidate(1, 1.0, dense=relevance)
    return [ScoredSentence(item.article, item.index, 1.0, relevance, 0.0, chunk, 0.0, (), doubts)]


def test_a_doubt_raises_the_bar():
    between = (answering.MIN_RELEVANCE_ABSENT + answering.MIN_RELEVANCE_DOUBT) / 2
    assert answering.MIN_RELEVANCE_DOUBT > answering.MIN_RELEVANCE_ABSENT
    assert is_relevant(scored_with(between, ()))
    assert not is_relevant(scored_with(between, ("attribute",)))
    # An explicit threshold (a bot that would rather guess) overrides the bar.
    assert is_relevant(scored_with(between, ("attribute",)), min_relevance=0.0)


def test_two_doubts_raise_the_bar_again():
    between = (answering.MIN_RELEVANCE_DOUBT + answering.MIN_RELEVANCE_DOUBTS) / 2
    assert answering.MIN_RELEVANCE_DOUBTS > answering.MIN_RELEVANCE_DOUBT
    assert is_relevant(scored_with(between, ("superlative",)))
    assert not is_relevant(scored_with(between, ("superlative", "attribute")))
    assert is_relevant(scored_with(between, ("superlative", "attribute")), min_relevance=0.0)
    # A verb the whole library lacks weighs two on its own.
    assert not is_relevant(scored_with(between, ("unheard verb",)))


@pytest.fixture
def town(make_engine):
    library = make_engine(seed=True).library()
    library.add_text(TOWN, title="Harbour town prepares for herring festival")
    library.add_text(STADIUM, title="Stadium reopens after fire")
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
        # Two doubts. "First" and "manager" missing (superlative), and the attribute:
        "Who was the first manager of Harlow Park?",
        # the quote ranks a match, not a goal, and says nothing of scoring (the verb):
        "Who scored the first goal at Harlow Park?",
        # no figure in the quote, and no boats either (the thing counted):
        "How many boats does Marlowe Bay have?",
        # Nothing in the library is "injured": the quote's figure counts something else.
        "How many people were injured in Marlowe Bay?",
        # a festival is held, but not the first one (the thing ranked, "first" missing):
        "When was the first herring festival held?",
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
        # The quote ranks the crowd as the question does.
        ("What was the largest crowd at Harlow Park?", "18,200"),
    ],
)
def test_paraphrased_questions_it_answers_are_not_refused(town, question, expected):
    answer = town.ask(question)
    assert answer.found
    assert expected in answer.passages[0].text
    assert answer.answer == expected
