"""Signs that the best quote is about the question's subject but does not answer it.

The relevance score (index.answering.relevance) tells "about something else" from "about
this", but a question on an article's own subject that the article does not answer ("What is
the telephone area code of Hartford?" over an article on Connecticut) scores like one it does:
the quote names the subject, and the model finds it close. What such a question asks for is
missing from the quote, in ways that hold for news copy in general:

* **attribute**: "what is the X of Y", "who was the X of Y", "how much does Y cost" ask for
  one attribute X of a subject Y. A quote answering it says X (or a word the model reads as
  X); a quote that is only about Y does not, and the question without X is then at least as
  close to it as the whole question: taking the asked-for part away costs nothing, so the
  quote never matched that part.
* **form**: "how many" is answered by a figure and "when" by a date; a quote holding neither
  (in the best sentence or the neighbour that counts, see ``count_nearby``) cannot answer.
* **figure**: a year or figure in the question ("in 2015", "in 1700") that the quote does not
  hold: the quote is about another time or quantity.
* **superlative**: "the first governor", "the largest hailstone", "the driest place" ask for
  the one thing that ranks first; a quote that does not rank it ("the first ..." a few words
  before one of the thing's words) names some governor or hailstone, not that one.
* **thing**: the thing counted ("how many [seats] does the stadium have") or ranked ("the
  first [Pilgrims]", "the largest [hailstone]") is not in the quote at all: a figure there
  counts something else, and a quote ranking something ("the first English settlers") ranks
  another thing. A ranked thing missing is also a superlative doubt, so it always comes as the
  second of two. It costs an answer now and then: when the top quote is the wrong one of several
  and the right one is quoted below it, the question is refused rather than answered second.
* **verb**: the question's action ("did Gödel [die]", "who [invented] X") is not in the quote.
  Verbs are paraphrased too often ("died" / "death", "attended" / "studied at") for this to
  count alone, so it only corroborates another doubt.
* **unheard verb**: the question's verb in a regular -ed form ("how many people were
  [injured]") is a word no chunk of the library holds: the library never reports that event,
  and a quote about the event it does report (the dead) would answer with the wrong figure.
  It weighs two doubts.

Each is only a doubt: an attribute may be paraphrased beyond the model's reach, a figure
written in words, a date sit two sentences away. So a doubt raises the bar the relevance score
must clear (MIN_RELEVANCE_DOUBT in index.answering) rather than refusing outright; two doubts
about one quote are two independent signs it does not answer, and raise it further
(MIN_RELEVANCE_DOUBTS).
"""

from __future__ import annotations

import re
from collections.abc import Collection

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


# Words that rank a thing: "the [first] governor", "the [largest] hailstone". "Most"/"least"
# are left out: they rank an adjective ("the most populous city"), not the thing.
_RANKS = {
    "first", "second", "third", "last", "final", "largest", "biggest", "greatest", "smallest",
    "highest", "lowest", "tallest", "longest", "shortest", "deepest", "oldest", "youngest",
    "newest", "earliest", "latest", "fastest", "slowest", "wettest", "driest", "hottest",
    "coldest", "richest", "poorest", "heaviest", "strongest", "best", "worst",
}
# News says "the earliest" for "the first", "the biggest" for "the largest".
_SAME_RANK = {
    "earliest": "first", "final": "last", "latest": "last", "biggest": "largest",
    "greatest": "largest", "tallest": "highest",
}
# A ranking word ranks the thing after it when a determiner opens the phrase ("the first
# governor"); without one it is an adverb ("when did slaves first come").
_RANK_DETERMINERS = {"the", "its", "their", "his", "her", "our", "whose"}
# "The highest altitude", "the longest amount of time": the superlative of a measure is
# answered by a figure, which the article need not call the highest.
_MEASURES = {
    "amount", "number", "time", "altitude", "elevation", "height", "depth", "distance",
    "length", "width", "size", "level", "rate", "percentage", "share", "temperature", "speed",
    "age", "price", "cost", "value", "population", "total", "point",
}
# Things a quote names without their word: "the first to cross" is said of a person, "the
# driest place" by naming it. Only the ranking word is asked of the quote then.
_VAGUE_THINGS = {
    "person", "man", "woman", "one", "people", "thing", "place", "team", "country", "state",
    "city",
}
# Words after the ranking word before the thing: "the first [attempted English] settlement".
RANK_REACH = 3
_DO = {"did", "does", "do"}
_QUESTION_BE = _BE | {"has", "have", "had"}


def _words(question: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(question)]


def ranked_thing(question: str) -> tuple[str, list[str]] | None:
    """The ranking word and the words of the thing it ranks, or None when nothing is ranked.

    "Who was the first governor of Carolina?" -> ("first", ["governor"]); "Where did the first
    Pilgrims settle?" -> ("first", ["pilgrims"]) (after "did" the phrase ends with the verb).
    """
    low = _words(question)
    for i, word in enumerate(low):
        if word not in _RANKS or i == 0 or low[i - 1] not in _RANK_DETERMINERS:
            continue
        end = i + 1
        while end < len(low) and low[end] not in _ENDS_ATTRIBUTE:
            end += 1
        thing = low[i + 1 : end]
        if thing and _DO & set(low[:i]):
            thing = thing[:-1]  # "did the first Pilgrims [settle]": the verb of "did"
        if not thing:
            continue
        if thing[0] in _MEASURES or thing[-1] in _MEASURES:
            return None
        return word, thing
    return None


def _rank(stem: str) -> str:
    return _SAME_RANK.get(stem, stem)


def superlative_missing(question: str, window: str) -> bool:
    """Whether the question ranks a thing ("the first governor") that the quote does not rank:
    no ranking word of the same sense up to RANK_REACH words before one of the thing's words
    (a vague thing, "the driest place", only needs the ranking word)."""
    ranked = ranked_thing(question)
    if ranked is None:
        return False
    word, thing = ranked
    stems = [_rank(t) for t in tokenize(window)]
    rank = _rank(tokenize(word)[0])
    if len(thing) == 1 and thing[0] in _VAGUE_THINGS:
        return rank not in stems
    wanted = set(tokenize(" ".join(thing)))
    return not any(
        stem == rank and wanted & set(stems[i + 1 : i + 1 + RANK_REACH])
        for i, stem in enumerate(stems)
    )


# Units a count may be given in other than the question's ("how many miles" <- "48 km (30
# mi)"), and people, whom news counts by what they are ("77 civilians").
_COUNT_UNITS = {
    "miles", "mile", "kilometres", "kilometers", "km", "metres", "meters", "feet", "inches",
    "acres", "hectares", "tons", "tonnes", "degrees", "percent", "years", "months", "weeks",
    "days", "hours", "minutes", "seconds", "decades", "centuries", "times", "people", "persons",
}


def asked_thing(question: str) -> str | None:
    """The word for what "how many" counts, or None: of "how many [voting] members sit ..."
    the first word, the one sure to belong to the thing (the phrase may run on into its verb).
    """
    low = _words(question)
    for i in range(len(low) - 2):
        if low[i] == "how" and low[i + 1] == "many":
            word = low[i + 2]
            return None if word in _COUNT_UNITS or word in _ENDS_ATTRIBUTE else word
    return None


def thing_missing(question: str, window_tokens: set[str] | frozenset[str]) -> bool:
    """Whether a word of the thing the question counts ("how many [seats]") or ranks ("the
    first [Pilgrims]"; not a vague thing, "the driest place") is missing from the quote's
    tokens."""
    counted = asked_thing(question)
    words = [counted] if counted else []
    ranked = ranked_thing(question)
    if ranked is not None and not (len(ranked[1]) == 1 and ranked[1][0] in _VAGUE_THINGS):
        words += ranked[1]
    return bool(set(tokenize(" ".join(words))) - set(window_tokens))


def asked_verb(question: str) -> str | None:
    """The verb of "who [invented] X" or of "... did/does X [verb]": after "did" come the
    subject and then the verb, so the verb ends the first run of words that are not function
    words ("did [Kurt Gödel die]", "did [the] [home side win] against")."""
    low = _words(question)
    if len(low) > 1 and low[0] == "who" and low[1] not in _QUESTION_BE | _DO:
        return low[1]
    do = next((i for i, w in enumerate(low) if w in _DO and i > 0), None)
    if do is None:
        return None
    run: list[str] = []
    for word in low[do + 1 :]:
        if word in _ENDS_ATTRIBUTE:
            if run:
                break
            continue
        run.append(word)
    return run[-1] if run and run[-1].isalpha() else None


def passive_verb(question: str) -> str | None:
    """The participle of a passive question: "how many people were [injured]", "when was the
    bridge [opened]" (regular -ed forms only; "built" and the like are left alone)."""
    low = _words(question)
    for i, word in enumerate(low):
        if word in _BE:
            return next((w for w in low[i + 1 :] if len(w) > 4 and w.endswith("ed")), None)
    return None


def verb_unheard(question: str, absent: Collection[str]) -> bool:
    """Whether the question's verb (``asked_verb``, else ``passive_verb``) is a word no chunk of
    the library holds (``absent``: the question's stems the library lacks).

    A verb the quote lacks is often a paraphrase ("blamed" for "accused"), so that counts only
    beside another doubt (``verb_missing``); a verb the whole library lacks says the library
    never reports that event: "how many people were injured" over reports that count only the
    dead would otherwise be answered with the death toll.
    """
    verb = asked_verb(question) or passive_verb(question)
    # Only a regular -ed form: its stem is that of every form the library may write ("injured",
    # "injures", "injuring"); a base form may stand for an irregular past the library writes
    # instead ("did she win" / "she won").
    if not verb or len(verb) <= 4 or not verb.endswith("ed"):
        return False
    stems = tokenize(verb)
    return bool(stems) and all(s in absent for s in stems)


def verb_missing(question: str, window_tokens: set[str] | frozenset[str]) -> bool:
    """Whether the question's verb (by stem) is missing from the quote's tokens."""
    verb = asked_verb(question)
    stems = set(tokenize(verb)) if verb else set()
    return bool(stems - set(window_tokens))
