"""Marking the answer inside a sentence: the figure for "how many", the name for "who", ...

Pure functions, no model. A sentence that answers a question mostly restates it: the words the
question and the sentence share are the frame, and the answer is the phrase of the sentence that
the question does not contain, standing next to that frame ("The study of interpretations of
formal languages is called [formal semantics]"). So the sentence is cut into tokens, the words
it shares with the question are marked, and the phrases between the marked words (split at
punctuation and clause words, trimmed of function words) become candidates. A candidate is
scored by how close it stands to the question's words, whether it is of the kind the question
asks for (a figure for "how many", a date for "when", a name for "who", a phrase ending in the
asked-about noun for "which X"), and its length (answers are short phrases, not clauses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from .lexical import tokenize
from .numbers import NUMBER_WORDS, SCALES, parse_number

Span = tuple[int, int]


class Kind(Enum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ENTITY = "entity"  # which/what + noun: a name or a noun phrase
    QUOTE = "quote"  # what did X say/chant/write
    OTHER = "other"  # how/why/describe: a phrase of the sentence, no particular kind


# fmt: off
_SAY_VERBS = {
    "say", "said", "chant", "chanted", "shout", "shouted", "write", "wrote", "tweet", "tweeted",
    "tell", "told", "claim", "claimed", "declare", "declared"
}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|"
    "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_ORDINAL_WORDS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
    "twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
    "nineteenth|twentieth|twenty-first"
)

# Words of a sentence: initials and dotted abbreviations with their final dot ("H.", "U.S.":
# "James H. Ward" is one name), letters/digits with inner hyphens, apostrophes, dots, figures
# with thousands separators and decimals, a currency sign in front; anything else is one
# punctuation token.
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.)+(?=[\s,;:)]|$)"  # initials and dotted abbreviations: "H.", "U.S."
    # Titles news copy abbreviates before a name: "Dr. David Livingstone", "Gov. Ann Lee".
    r"|\b(?:Dr|Mr|Mrs|Ms|Prof|Rev|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Capt|Adm|Mt|St|Ft|Jr|Sr)\.(?=\s)"
    r"|(?<![\w.])[−+-]?[$€£]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?"  # a sign: "−2", "+1.5%"
    r"|(?<![\w.])[−+-]?[$€£]?\d+(?:\.\d+)?%?"
    r"|°[CF](?![^\W_])"  # degrees: "28 °F"
    r"|[^\W_](?:[\w'’\-–.]*[^\W_])?"
    r"|\S"
)
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")

# Punctuation that closes a phrase. Hyphens and "&" ("Pratt & Whitney") do not.
_BOUNDARY_PUNCT = set(',;:()[]{}"“”‘’—–!?…|/.')
# Words that open a new clause: an answer phrase ends before them ("strings of symbols [which]
# together form the alphabet").
_CLAUSE = {
    "which", "who", "whom", "whose", "where", "when", "while", "whereas", "because", "although",
    "though", "unless", "if", "however", "therefore", "thus", "hence"
}
# Function words: never an answer on their own, trimmed from the ends of a phrase.
_FUNCTION = {
    "a", "an", "the", "this", "that", "these", "those", "some", "any", "each", "every", "all",
    "both", "either", "neither", "such", "no", "not", "nor", "own", "same", "other", "another",
    "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "into", "onto", "upon",
    "over", "under", "about", "above", "below", "between", "among", "amongst", "through",
    "throughout", "during", "before", "after", "since", "until", "till", "against", "toward",
    "towards", "within", "across", "along", "around", "behind", "beyond", "near", "via", "per",
    "as", "than", "like", "unlike", "despite", "including", "except", "regarding", "and", "or",
    "but", "so", "yet", "also", "then", "too", "very", "just", "only", "even", "is", "are", "was",
    "were", "be", "been", "being", "am", "do", "does", "did", "done", "has", "have", "had",
    "having", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "it",
    "its", "he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs", "we", "us",
    "our", "you", "your", "i", "me", "my", "one's", "itself", "themselves", "there", "here",
    "what", "how", "why", "whether", "often", "usually", "generally", "typically", "mainly",
    "mostly", "largely", "still", "already", "now", "far", "somewhat", "almost", "sometimes",
    "rather", "quite", "ever", "never", "always", "once", "most", "more", "less", "later", "soon",
    "currently", "especially", "cannot", "least"
}
# Common verbs whose past forms do not end in -ed; -ed/-ing verbs are recognised by shape (see
# _verbish). An answer to "what"/"which"/"who" is a noun phrase, so verbs end a phrase.
_VERBS = {
    "come", "came", "comes", "take", "took", "taken", "takes", "make", "made", "makes", "give",
    "gave", "given", "gives", "grow", "grew", "grown", "grows", "begin", "began", "begins", "go",
    "went", "gone", "goes", "see", "saw", "seen", "sees", "find", "found", "finds", "hold", "held",
    "holds", "lead", "led", "leads", "leave", "left", "leaves", "bring", "brought", "brings",
    "build", "built", "builds", "buy", "bought", "sell", "sold", "sells", "send", "sent", "spend",
    "spent", "think", "thought", "know", "knew", "keep", "kept", "meet", "met", "pay", "paid",
    "put", "run", "ran", "runs", "set", "stand", "stood", "win", "won", "wins", "write", "wrote",
    "written", "writes", "fall", "fell", "fallen", "feel", "felt", "draw", "drew", "drawn", "rise",
    "rose", "risen", "rises", "speak", "spoke", "spoken", "break", "broke", "broken", "choose",
    "chose", "chosen", "lose", "lost", "mean", "meant", "means", "get", "got", "gets", "say",
    "says", "said", "tell", "told", "shows", "show", "shown", "use", "uses", "help", "helps",
    "seem", "seems", "appear", "appears"
}
# Words that introduce an answer rather than belong to it ("is [called] formal semantics",
# "[such as] Metamath", "[include] drizzle, rain ..."); trimmed from the front of a phrase.
_INTRO = {
    "called", "known", "named", "termed", "referred", "include", "includes", "included", "contain",
    "contains", "contained", "containing", "namely", "e.g", "i.e", "e.g.", "i.e.", "became",
    "become", "becomes", "remain", "remains", "remained", "considered", "regarded", "began",
    "begun", "beginning", "according",  # "[according] to X": the source, not the answer
}
# Vague quantities in front of a noun phrase: news copy hedges ("[many] poor German and Irish
# immigrants", "through [various] means"), but the answer is the phrase they quantify. Kept out
# of _FUNCTION, which also weighs the question's words for retrieval.
_QUANTIFIERS = {"many", "several", "few", "various", "numerous", "much", "multiple"}
# Inside a phrase these start a new sub-phrase ("inoculations [in] paralyzed polio patients").
_SPLIT = _FUNCTION - {"of", "and", "or", "&", "the", "a", "an"}
# Words that carry no topic: what a question is made of besides its subject.
FUNCTION_WORDS = frozenset(_FUNCTION | _CLAUSE | {"many", "much", "did", "does", "do"})
_DETERMINERS = {"a", "an", "the"}
# Scale and unit words kept with a figure ("$30 million", "15 m", "eight minutes").
# "dozen" too: news counts in dozens ("two dozen fighters") and the figure is both words.
_SCALES = {
    "hundred", "thousand", "million", "billion", "trillion", "percent", "per cent", "%", "dozen",
}
_UNITS = {
    "m", "km", "cm", "mm", "ft", "in", "mi", "kg", "g", "lb", "lbs", "t", "ha", "km2", "sq",
    "metres", "meters", "metre", "meter", "kilometres", "kilometers", "miles", "mile", "feet",
    "foot", "inches", "tons", "tonnes", "acres", "hectares", "degrees", "°c", "°f", "°", "years",
    "year", "months", "month", "weeks", "week", "days", "day", "hours", "hour", "minutes",
    "minute", "seconds", "centuries", "decades", "times", "votes", "seats"
}
# Prepositions that open the means or manner of an action ("imaged [at] infinity").
_MEANS = {"at", "by", "through", "via", "from", "on", "with", "using"}
_RANGE_JOINERS = {"to", "and", "or", "-", "–"}
# Words after which a capitalised word is a place ("in Durban", "from Montreal").
_PLACE_PREPOSITIONS = {"in", "at", "from", "near", "to", "into", "across", "outside", "inside"}
# Generic type words after "what/which": "what type of clouds" asks about "clouds".
_TYPE_WORDS = {
    "type", "types", "kind", "kinds", "sort", "sorts", "form", "forms", "name", "names", "part",
    "parts", "one", "ones"
}

# Nouns that news copy follows or precedes with a proper name: "what organization" asks for
# "the [Harbour Safety Board]", not for a description of it.
_NAMED_FOCUS = {
    "organization", "organisation", "organizations", "company", "companies", "group", "body",
    "team", "party", "agency", "institution", "university", "college", "newspaper", "ship",
    "festival", "event", "militia", "firm", "bank", "league", "conference", "committee",
    "council", "court", "tribe", "movement", "airline", "network", "club", "band", "album",
    "film", "book", "law", "act", "treaty", "program", "programme", "operation", "group's",
    "colony", "church", "ministry", "department", "union", "alliance", "brand", "channel",
}

# Candidate score weights, set by hand and checked on the dev set (questions with the sentence
# that holds their answer: span exact match 0.28 -> 0.36 over the first version).
W_FOCUS = 0.0  # holding the asked-about noun ("militia X") neither costs nor earns
W_FOCUS_HEAD = 0.2  # ends with the asked-about noun: "[Volta River]" for "which river"
W_NAME = 0.3  # a whole name for "who"; a name cut short costs as much
W_MATCHED = 0.15  # per other question word inside the phrase
W_LENGTH = 0.08  # per word beyond FREE_WORDS
FREE_WORDS = 3
W_SIDE = 0.2  # next to the question's words on the side a subject/object answer stands
W_COPULA = 0.3  # right after/before "is", "called", "known as", "include"
W_LIST = 0.3  # per list separator, when the question asks for several things
W_NUMBER_FOCUS = 0.3  # the figure stands right before the counted noun
W_UNIT = 0.1  # the figure comes with its unit
W_YEAR = 0.5  # a bare year offered for "how many/much"
W_HEAD = 0.1  # ends on the question's noun that it modifies: "[second-order logic]"
W_PREDICATE = 0.3  # the predicate after the subject, for "what did X do?"
W_LIST_CUT = 0.3  # only the first item of a list, for a question that is not typed as one
W_MANNER = 0.3  # a phrase opened by a preposition of means, for "how is X done?"
W_FOLLOWS = 0.5  # right after the word the question puts before its final wh-word
# The largest figure for "highest ...", the smallest for "lowest ...": more than the model
# re-ranking's margin in index.answering, since a superlative settles which figure answers.
W_EXTREME = 1.0
W_EXCLUDED = 0.8  # "Other than X, what ...": X loses, what stands beside X in a list wins
W_MODIFIER = 0.5  # right before the asked-about noun, for "what kind/type of <noun>"
# Per question word within a few words of the phrase: a tie-break among equal phrases, for the
# one amid more of the question ("the [winter] sittings, which commence with the budget").
W_SUPPORT = 0.005  # (larger, it overrules the rules above: 0.03 lost 2 points of EM on dev)
SUPPORT_WINDOW = 6
W_APPOSITION = 0.5  # a name right after "<the asked-about noun>,", for "which <noun>"
W_PLACE_REGION = 0.3  # a place quoted with its region: "Durban, South Africa"
W_WHOLE = 0.5  # a figure after "out of", for "how many": the whole, not the count
W_CHOICE = 1.0  # one of the two options of "X or Y?" that the sentence says
W_REASON = 0.5  # after "because of", "during", "over", ..., for "why"
W_AGENT = 0.3  # the subject right before the question's verb, or its agent after "by"

_DATE = re.compile(
    rf"\b(?:(?:{_WEEKDAYS}),?\s+)?(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{4}}"
    # Centuries, also two of them: "the 16th and 17th centuries", "fifth to seventh centuries".
    rf"|(?:(?:early|mid|late)[\s-]+)?(?:\d{{1,2}}(?:st|nd|rd|th)\s+(?:and|to|or)\s+)?"
    rf"\d{{1,2}}(?:st|nd|rd|th)[\s-]+centur(?:y|ies)(?:\s+(?:AD|BC|BCE|CE))?"
    rf"|(?:(?:early|mid|late)[\s-]+)?(?:(?:{_ORDINAL_WORDS})\s+(?:and|to|or)\s+)?"
    rf"(?:{_ORDINAL_WORDS})[\s-]+centur(?:y|ies)"
    rf"|mid-century|(?:early|mid|late)[\s-]+\d{{4}}s?|\d{{4}}s"
    # A year, but not a sum or a decimal: "$185.4 million" holds no date.
    rf"|(?<![$€£.,])\d{{3,4}}(?![.,]\d|%)(?:\s+(?:AD|BC|BCE|CE))?"
    rf"|{_WEEKDAYS}|yesterday|today|tomorrow|last\s+(?:week|month|year))\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,200})[\"“”]")
_YEAR = re.compile(r"^1\d{3}$|^20\d{2}$")
_YEAR_WORDS = {"year", "years"}
# Fractions news copy writes in words ("one-fourth of the crew", "half the budget").
_FRACTIONS = {
    "half", "halves", "third", "thirds", "quarter", "quarters", "fourth", "fourths", "fifth",
    "fifths", "tenth", "tenths",
}
# fmt: on


@dataclass(frozen=True)
class QuestionType:
    kind: Kind
    focus: str | None  # the noun asked about: "people" in "how many people", "militia"
    # Where the answer stands relative to the question's words in a declarative sentence:
    # "subject" ("Who founded X?" -> "[A] founded X"), "object" ("What did A found?" -> "A
    # founded [X]"), None when either ("What is X?" -> "X is [Y]" or "[Y] is X").
    side: str | None = None
    plural: bool = False  # asks for several things ("which two states", "what are the forms")
    typed: bool = False  # asks for a kind ("what kind of engine"), answered by a modifier
    named: bool = False  # asks for something with a proper name ("what organization", "name")
    manner: bool = False  # "how is X done?": answered by the means, "[by] ...", "[at] ..."
    # The question word right before a wh-word that ends the question ("part of what?",
    # "several hundred what?"): the answer follows that word in the sentence.
    before_wh: str | None = None
    action: bool = False  # asks what someone did ("what did X do?"): a verb phrase answers
    # The verb of a subject question ("Who [retrieves] ...", "What organization [monitors] ...").
    # Its form in the sentence is a verb too ("fishermen [retrieve]", "[monitored] by"), which
    # ends the noun phrase before it rather than joining it.
    verb: str | None = None
    # "max" for "the highest/largest ...", "min" for "the lowest/smallest ...": the answer is
    # the sentence's extreme figure ("ranges from 40 m ... to [2,994 m]").
    extreme: str | None = None
    # The words of "Other than X, which ...?", "Besides X, what other ...?" that name X and
    # nothing else in the question: X is excluded, the answer stands beside it ("X and [Y]").
    excluded: frozenset[str] = frozenset()
    # "Did prices rise or fall?", "Are there more towns or cities?": a choice between the two
    # words around "or", answered by the one the sentence says.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    low: str
    punct: bool
    matched: bool  # a content word the question also has
    verb: bool = False  # looks like a verb (ends a noun phrase)


@dataclass(frozen=True)
class SpanCandidate:
    """A phrase of the sentence that may answer the question, with its score."""

    start: int
    end: int
    score: float
    typed: bool  # of the kind the question asks for (a figure, a date, a name)
    core: str = ""  # its words that the question does not have ("Kata'ib Hezbollah")
    counts_focus: bool = False  # a figure right before the counted noun: "[25] people"


@lru_cache(maxsize=256)
def question_type(question: str) -> QuestionType:
    """Type a question by its wh-word and the noun it asks about.

    Cached: a question is typed by every step of its answer (re-scoring, span marking,
    counting, figures), and typing it is pure (the result is frozen).
    """
    words = [w.lower() for w in _WORD.findall(question)]
    joined = " ".join(words)
    focus = _focus_noun(words)
    qtype = _classify(words, joined, focus)
    side = _answer_side(words)
    plural = bool(re.search(r"\b(which|what) (two|three|four|five|six)\b", joined)) or bool(
        re.search(r"\b(what|which) (are|were)\b", joined) and focus and focus.endswith("s")
    )
    typed = bool(
        re.search(r"\b(what|which) (type|types|kind|kinds|sort|sorts|form|forms)\b", joined)
    )
    named = focus in _NAMED_FOCUS or bool(
        re.search(r"\b(what|which) (is|was|are|were) the names?\b", joined)
    )
    manner = qtype.kind is Kind.OTHER and bool(
        re.match(r"how (is|are|was|were|can|could)\b", joined)
    )
    before_wh = None
    if len(words) > 1 and words[-1] in {"what", "which", "whom", "who"}:
        before_wh = next((w for w in reversed(words[:-1]) if w not in _FUNCTION), None)
    # "do" as the main verb ("what did they do?", "what must travellers do?"), not do-support
    # ("what do entities form?"); or "what happened?".
    action = any(
        w in {"do", "doing", "done"} and (k + 1 == len(words) or words[k + 1] in _PREPOSITIONS)
        for k, w in enumerate(words[2:], start=2)
    ) or (len(words) > 1 and words[1] in {"happen", "happened", "happens"})
    verb = _subject_question_verb(words, focus) if side == "subject" else None
    extreme = _extreme(words)
    return QuestionType(
        qtype.kind,
        focus,
        side,
        plural,
        typed,
        named,
        manner,
        before_wh,
        action,
        verb,
        extreme,
        _excluded(question),
        _choices(words),
    )


def _choices(words: list[str]) -> tuple[str, ...]:
    """The two options of a yes/no question that offers a choice ("... Democrat or
    Republican?"): the words right around its last "or"."""
    if not words or words[0] not in _AUX or "or" not in words[2:-1]:
        return ()
    k = len(words) - 1 - words[::-1].index("or")
    if k + 1 >= len(words) or words[k - 1] in _FUNCTION or words[k + 1] in _FUNCTION:
        return ()
    return (words[k - 1], words[k + 1])


_EXCLUSION = re.compile(
    r"\b(?:other than|besides|apart from|aside from|except(?: for)?)\s+([^,?]+?)"
    r"(?:,|\s+(?=(?:what|which|who|whom|where|how)\b))",
    re.IGNORECASE,
)


def _excluded(question: str) -> frozenset[str]:
    """Stems of the X in "Other than X, which other ...?" that the rest of the question lacks
    ("Besides Bachelor degrees in arts and science, what other Bachelor degree": arts,
    science)."""
    m = _EXCLUSION.search(question)
    if not m:
        return frozenset()
    rest = question[: m.start(1)] + question[m.end(1) :]
    named = {s for s in tokenize(m.group(1)) if len(s) > 1 or s.isdigit()}
    return frozenset(named - set(tokenize(rest)) - set(tokenize(" ".join(FUNCTION_WORDS))))


_MAX_WORDS = {
    "highest", "largest", "biggest", "greatest", "maximum", "longest", "tallest", "deepest",
    "heaviest", "oldest", "farthest", "furthest", "peak", "record",
}
_MIN_WORDS = {"lowest", "smallest", "minimum", "shortest", "fewest", "youngest", "cheapest"}


def _extreme(words: list[str]) -> str | None:
    """Whether the question asks for the largest ("max") or smallest ("min") figure.

    News copy gives ranges and comparisons ("from 40 m at the river to 2,994 m at the peak",
    "between 12 and 30 people"); a question with a superlative wants one end. "Most" and
    "least" count only after "the" ("the most rain"; not "most of the salt", "at least").
    """
    for k, w in enumerate(words):
        after_the = k > 0 and words[k - 1] == "the"
        if w in _MAX_WORDS or (w == "most" and after_the):
            return "max"
        if w in _MIN_WORDS or (w == "least" and after_the):
            return "min"
    return None


def _subject_question_verb(words: list[str], focus: str | None) -> str | None:
    """The word after the wh-phrase of a subject question: "who [founded]", "which two states
    [came]", "what organization [monitors]"; adverbs in -ly are skipped ("who currently
    [retrieves]")."""
    k = 1
    if words[0] in {"what", "which"}:
        if not focus or focus not in words[1:5]:
            return None
        k = words.index(focus, 1) + 1
    while k < len(words) and words[k].endswith("ly"):
        k += 1
    if k >= len(words) or words[k] in _FUNCTION or words[k] in _AUX:
        return None
    # Only a verb-shaped word: "which major industry brings" has its noun where the verb is
    # expected, when the asked-about noun was taken to be "major".
    word = words[k]
    shaped = word.endswith(("ed", "s")) and not word.endswith(("ss", "us", "is"))
    return word if shaped or word in _VERBS else None


_BE = {"is", "are", "was", "were", "be", "been", "being"}
_AUXILIARIES = _BE | {"has", "have", "had"}
_AUX = {
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
}


def _answer_side(words: list[str]) -> str | None:
    """Subject questions have no auxiliary after the wh-phrase ("Who founded ...", "Which two
    states came ..."); do-support marks an object question ("What did A found?")."""
    if not words or words[0] not in {"who", "what", "which", "whom"}:
        return None
    if any(w in {"did", "does", "do"} for w in words[1:]):
        return "object"
    if words[0] == "whom":
        return "object"
    if len(words) > 1 and words[1] in _AUX:
        return None
    if any(w in _AUX for w in words[1:4]):
        return None
    return "subject"


def _classify(words: list[str], joined: str, focus: str | None) -> QuestionType:
    if re.search(
        r"\bhow (many|much|old|far|long|large|big|high|tall|deep|wide|often)\b", joined
    ) or re.search(
        # Quantities news copy reports as a figure with a unit ("above what frequency",
        # "at what temperature", "what price"), also behind a copula and up to two modifiers
        # ("what is the highest altitude", "what was the city's population").
        r"\b(what|which) (?:(?:is|was|are|were) )?(?:(?:the|an?) )?(?:[\w'’]+ ){0,2}?"
        r"(number|percentage|percent|amount|proportion|portion|share|size|population|"
        r"frequency|temperature|speed|distance|height|depth|length|weight|altitude|elevation|"
        r"price|cost|age|rate|sum|total|fee|salary|budget|toll|salinity|dimensions?)\b",
        joined,
    ):
        return QuestionType(Kind.NUMBER, focus)
    # "When" asks for a time only as the question's own wh-word ("When did ...", "since
    # when?"): in "What did the crowd chant when police arrived?" or "When X happens, what do
    # they lose?" it opens a clause and another wh-word asks.
    asks_when = bool(re.match(r"(?:\w+ )?when\b", joined) or re.search(r"\bwhen$", joined))
    if asks_when and re.search(r"\b(what|which|who|whom|where|how)\b", joined):
        asks_when = False
    if asks_when or re.search(
        r"\b(what|which|in what|in which) (year|date|day|month|century|decade|"
        r"time period|period|era)\b",
        joined,
    ):
        return QuestionType(Kind.DATE, focus)
    if re.search(r"\bwho(m|se)?\b", joined):
        return QuestionType(Kind.PERSON, focus)
    if re.search(
        r"\bwhere\b|\b(what|which) (city|country|town|place|region|state|province|"
        r"continent|island|county|neighborhood|neighbourhood)\b",
        joined,
    ):
        return QuestionType(Kind.PLACE, focus)
    if words and words[0] in {"what", "which"} and any(w in _SAY_VERBS for w in words):
        return QuestionType(Kind.QUOTE, focus)
    if re.search(r"\b(which|what)\b", joined):
        return QuestionType(Kind.ENTITY, focus)
    return QuestionType(Kind.OTHER, focus)


def _focus_noun(words: list[str]) -> str | None:
    """The noun after "which"/"what"/"how many", skipping "type of", "two", adjectives-as-is."""
    for i, w in enumerate(words):
        if w not in {"which", "what", "many", "much"}:
            continue
        j = i + 1
        while j < len(words) and (
            words[j] in NUMBER_WORDS
            or words[j] in _TYPE_WORDS
            or words[j] in {"of", "other", "another"}
            or words[j].isdigit()
        ):
            j += 1
        if (
            j < len(words)
            and words[j] not in _FUNCTION
            and words[j]
            not in {"did", "does", "do", "is", "are", "was", "were", "has", "have", "had", "can"}
        ):
            # The noun is the last word before the verb: "what religious revival [movement]
            # took place", "what governmental [body] is responsible".
            while w in {"what", "which"} and j + 1 - i <= 3 and _noun_follows(words[j + 1 :]):
                j += 1
            return words[j]
        return None
    return None


_WH = {"what", "which", "who", "whom", "whose", "where", "when", "why", "how"}


def _noun_follows(rest: list[str]) -> bool:
    """Whether the next word, after the noun of a wh-phrase, still belongs to it: not a
    function word, an auxiliary or a verb-shaped word ("took", "influenced", "brings")."""
    if not rest:
        return False
    word = rest[0]
    if word in _FUNCTION or word in _AUX or word in _VERBS or word in _WH:
        return False
    verbish = word.endswith(("ed", "ing")) or (word.endswith("s") and not word.endswith("ss"))
    return not verbish and not word.isdigit()


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, ...]:
    # One-letter stems come from possessives and initials ("author's" -> "author", "s").
    return tuple(s for s in tokenize(word) if len(s) > 1 or s.isdigit())


def question_stems(question: str) -> frozenset[str]:
    """The question's word stems, and its dotted abbreviations as written ("u.s.")."""
    stems = {s for s in tokenize(question) if len(s) > 1 or s.isdigit()}
    stems.update(m.group(0).lower() for m in _TOKEN.finditer(question) if m.group(0)[-1] == ".")
    return frozenset(stems)


def tokenize_sentence(
    sentence: str, question_stems: frozenset[str], verb: str | None = None
) -> list[Token]:
    """Tokens of ``sentence`` with offsets, flagged when they repeat a question word; with the
    question's ``verb``, the sentence's form of it is flagged a verb."""
    verb_stems = set(_stems(verb)) if verb else set()
    tokens = []
    for m in _TOKEN.finditer(sentence):
        text = m.group(0)
        low = text.lower()
        punct = len(text) == 1 and not text.isalnum()
        matched = False
        if not punct and low not in _FUNCTION and low not in _CLAUSE:
            stems = _stems(low)
            matched = bool(stems) and all(s in question_stems for s in stems)
            # An abbreviation's letters are too short to be stems: it matches as written.
            matched = matched or (low.endswith(".") and low in question_stems)
        tokens.append(Token(m.start(), m.end(), text, low, punct, matched))
    verbs = [
        _verbish(tokens, k) or bool(verb_stems and t.matched and set(_stems(t.low)) & verb_stems)
        for k, t in enumerate(tokens)
    ]
    for k in range(len(tokens) - 1):
        # An -ly adverb goes with the verb after it: "fishermen [accidentally] retrieve".
        if verbs[k + 1] and tokens[k].low.endswith("ly") and tokens[k].text[:1].islower():
            verbs[k] = True
    return [
        Token(t.start, t.end, t.text, t.low, t.punct, t.matched, True) if verbs[k] else t
        for k, t in enumerate(tokens)
    ]


def _content(tok: Token | None) -> bool:
    return tok is not None and not tok.punct and tok.low not in _FUNCTION and tok.low not in _CLAUSE


def _verbish(tokens: list[Token], k: int) -> bool:
    """Whether ``tokens[k]`` reads as a verb (or an -ly adverb): lower-case, a common verb,
    or an -ed/-ing/-ly form that is not an adjective in front of a noun ("paralyzed polio
    patients", "the armed guards")."""
    tok = tokens[k]
    if tok.punct or not tok.text[:1].islower() or tok.low in _FUNCTION:
        return False
    if tok.low in _VERBS:
        return True
    if k > 0 and tokens[k - 1].low in _MODALS:
        return True  # a modal's verb: "can [cause]", "will [retrieve]"
    if _present_verb(tokens, k):
        return True
    if 0 < k < len(tokens) - 1 and tokens[k - 1].low == "to" and tokens[k + 1].low in _OBJECT_START:
        return True  # an infinitive with its object: "used to [focus] a beam"
    if len(tok.low) < 5 or not tok.low.endswith(("ed", "ing", "ly")):
        return False
    before = tokens[k - 1] if k > 0 else None
    after = tokens[k + 1] if k + 1 < len(tokens) else None
    # "a [newly elected] mayor", "a [royally appointed] governor": after an article, an adverb
    # and a participle describe the noun that follows.
    opened = k > 0 and tokens[k - 1].low in _OBJECT_START
    if tok.low.endswith("ly"):
        if opened and after is not None and after.low.endswith("ed"):
            return False
        return not _content(after) or (after is not None and after.low.endswith(("ed", "ing")))
    if not _content(after):
        return True  # "held annually", "funded by", "dubbed \"...\""
    if k > 1 and before.low.endswith("ly") and tokens[k - 2].low in _OBJECT_START:
        return False
    if before is not None and before.low in _AUXILIARIES:
        return True  # "was killed", "has blamed", "were made"
    return (
        _content(before)
        and not before.text[:1].isupper()
        or (before is not None and before.text[:1].isupper() and k > 1)
    )


# Words that follow a verb rather than a noun ("ranges [from]", "refers [to]", "lies [at]").
_AFTER_VERB = {
    "to", "from", "at", "in", "on", "into", "onto", "for", "with", "that", "the", "a", "an"
}
_PREPOSITIONS = {
    "in", "at", "on", "to", "for", "with", "about", "after", "before", "during", "when", "if"
}
# Prepositions that open a phrase inserted between a subject and its verb.
_INSERTING_PREPOSITIONS = {
    "in", "at", "on", "from", "with", "without", "during", "after", "before", "under", "near",
    "like", "unlike", "despite", "since",
}
# Endings of words for where someone is from ("Philadelphian", "Chinese", "Englishman"). Only
# before a name of two or more words, so a first name with such an ending ("Brian Ng") is safe.
_DEMONYM_ENDINGS = ("ian", "ese", "ish", "man", "woman")
_MODALS = {"can", "could", "will", "would", "shall", "should", "may", "might", "must"}
_AUX_OR_TO = {
    "to", "must", "will", "would", "should", "can", "could", "may", "might", "did", "do", "does"
}
_OBJECT_START = {"a", "an", "the", "its", "his", "her", "their", "this", "these", "those"}
_SUBJECT_START = {"the", "a", "an", "this", "that", "its", "his", "her", "their", "our", "each"}


def _present_verb(tokens: list[Token], k: int) -> bool:
    """A present-tense verb right after a one-word subject: "The altitude [ranges] from",
    "Latin [refers] to", "a raindrop [increases] in". The subject is one noun opened by a
    determiner, a name, or the sentence's start; the verb ends in -s and is followed by a
    preposition or an article. A plural noun in a compound ("records of water levels in") is
    not opened that way."""
    tok = tokens[k]
    low = tok.low
    if k < 1 or k + 1 >= len(tokens) or not low.endswith("s") or low.endswith(("ss", "us", "is")):
        return False
    subject, nxt = tokens[k - 1], tokens[k + 1]
    if not _content(subject) or subject.verb or nxt.low not in _AFTER_VERB:
        return False
    opener = tokens[k - 2] if k >= 2 else None
    return (
        opener is None
        or opener.low in _SUBJECT_START
        or opener.text[:1].isupper()
        or opener.low.endswith(("'s", "’s"))  # "the storm's updraft [blows] the hail"
    )


def _is_boundary(tok: Token) -> bool:
    return (tok.punct and tok.text in _BOUNDARY_PUNCT) or tok.low in _CLAUSE


def _trim(tokens: list[Token], i: int, j: int) -> tuple[int, int] | None:
    """Drop function and introducing words from the ends of ``tokens[i:j]``."""
    while i < j and (
        tokens[i].low in _FUNCTION
        or tokens[i].low in _INTRO
        or tokens[i].low in _QUANTIFIERS
        or tokens[i].punct
        or tokens[i].verb
    ):
        i += 1
    while j > i and (tokens[j - 1].low in _FUNCTION or tokens[j - 1].punct or tokens[j - 1].verb):
        j -= 1
    return (i, j) if i < j else None


def _phrases(tokens: list[Token]) -> list[tuple[int, int]]:
    """Token ranges between question words, punctuation and clause words, trimmed, with their
    sub-phrases split at prepositions and other function words."""
    out: list[tuple[int, int]] = []
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i].matched or _is_boundary(tokens[i]):
            i += 1
            continue
        j = i
        while j < n and not tokens[j].matched and not _is_boundary(tokens[j]):
            j += 1
        trimmed = _trim(tokens, i, j)
        if trimmed:
            out.append(trimmed)
            a, b = trimmed
            start = a
            for k in range(a, b + 1):
                if k == b or tokens[k].low in _SPLIT or tokens[k].verb:
                    piece = _trim(tokens, start, k)
                    if piece and piece != trimmed:
                        out.append(piece)
                    start = k + 1
        i = j
    return out


def _extend(tokens: list[Token], i: int, j: int) -> list[tuple[int, int]]:
    """A phrase grown over the question words it is glued to.

    Answers are noun phrases that often contain a word of the question: "formal semantics",
    "Allegheny Observatory", "the rule of substitution". So a phrase is also offered with the
    question words directly before or after it (no function word between), and with a
    question-word phrase joined by "of" in front of it.
    """
    out = []
    a = i
    # A verb the question shares ends the phrase: "[the theorem] shows", "[tuition] led to".
    while a > 0 and tokens[a - 1].matched and tokens[a - 1].low not in _INTRO:
        if tokens[a - 1].verb:
            break
        a -= 1
    b = j
    while b < len(tokens) and tokens[b].matched and tokens[b].low not in _INTRO:
        if tokens[b].verb:
            break
        b += 1
    if a < i:
        out.append((a, j))
    if b > j:
        out.append((i, b))
    if a < i and b > j:
        out.append((a, b))
    if i >= 2 and tokens[i - 1].low == "of" and tokens[i - 2].matched:
        c = i - 2
        while c > 0 and tokens[c - 1].matched:
            c -= 1
        out.append((c, j))
    return out


def _is_figure(tok: Token) -> bool:
    """Digits ("25", "$1.7", "12.5%") or number words ("twenty-five", "hundred")."""
    if tok.punct:
        return False
    if any(ch.isdigit() for ch in tok.low):
        return True
    parts = [part for part in tok.low.split("-") if part]
    if parts and parts[-1] in _FRACTIONS and all(p in NUMBER_WORDS for p in parts[:-1]):
        return True  # "half", "one-fourth", "two-thirds"
    return bool(parts) and all(part in NUMBER_WORDS for part in parts)


def _number_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """Figures with their scale and unit words: "$30 million", "15 m", "40 to 70 m"."""
    out = []
    n = len(tokens)

    i = 0
    while i < n:
        if not _is_figure(tokens[i]) or tokens[i].matched:
            i += 1
            continue
        j = i + 1
        while j < n:
            low = tokens[j].low
            if _is_figure(tokens[j]) or low in _SCALES:
                j += 1
            elif j + 1 < n and (
                (low in _RANGE_JOINERS and _is_figure(tokens[j + 1]))  # "40 to 70"
                or (low == "or" and tokens[j + 1].low in {"more", "less", "fewer"})
            ):
                j += 2
            else:
                break
        # "a hundred", "a million": the article belongs to the figure.
        s = i - 1 if i > 0 and tokens[i - 1].low == "a" and tokens[i].low in _SCALES else i
        ends = [j, j + 1] if _is_unit(tokens, j) else [j]
        if _is_unit(tokens, j):
            # A conversion in brackets is quoted with the figure: "15 m (49 ft)".
            close = _conversion_end(tokens, j + 1)
            if close is not None:
                ends.append(close)
        out.extend((s, e) for e in ends)
        i = j
    return out


def _conversion_end(tokens: list[Token], k: int) -> int | None:
    """The end of a bracketed conversion starting at ``k``: "(49 ft)", "(130 to 230 ft)"."""
    if k >= len(tokens) or tokens[k].text != "(":
        return None
    m = k + 1
    while m < len(tokens) and m - k < 6 and tokens[m].text != ")":
        if not (_is_figure(tokens[m]) or tokens[m].low in _RANGE_JOINERS or _is_unit(tokens, m)):
            return None
        m += 1
    if m < len(tokens) and tokens[m].text == ")" and m > k + 1 and _is_figure(tokens[k + 1]):
        return m + 1
    return None


def _is_unit(tokens: list[Token], k: int) -> bool:
    """Whether ``tokens[k]``, right after a figure, is its unit: a unit word, or a unit symbol
    (short, with capitals inside: "2.4 GHz", "5 kW"). "in" is an inch only as a bare
    abbreviation ("8 in)"); before a word it is the preposition ("$3 million in aid")."""
    if k >= len(tokens) or tokens[k].punct:
        return False
    tok = tokens[k]
    if tok.low == "in":
        return k + 1 >= len(tokens) or tokens[k + 1].punct
    symbol = tok.text.isalpha() and len(tok.text) <= 4 and any(c.isupper() for c in tok.text[1:])
    return tok.low in _UNITS or symbol


def _regex_spans(
    tokens: list[Token], sentence: str, pattern: re.Pattern, group: int = 0
) -> list[tuple[int, int]]:
    """Token ranges covering the matches of ``pattern`` in the sentence."""
    out = []
    for m in pattern.finditer(sentence):
        s, e = m.span(group)
        idx = [k for k, t in enumerate(tokens) if t.start < e and t.end > s]
        if idx:
            out.append((idx[0], idx[-1] + 1))
    return out


def _name_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """Runs of capitalised words, with "of"/"and"/"&" inside ("Bank of England")."""
    out = []
    n = len(tokens)
    i = 0
    while i < n:
        t = tokens[i]
        if (
            t.punct
            or not t.text[:1].isupper()
            or t.low in _FUNCTION
            or t.low in _CLAUSE
            or t.low in _INTRO
        ):
            i += 1
            continue
        j = i + 1
        while j < n:
            u = tokens[j]
            if not u.punct and u.text[:1].isupper():
                j += 1
            elif _name_number(u):
                j += 1  # "Route 7", "Apollo 11": a small number closes the name
                break
            elif (
                u.low in {"of", "and", "&", "de", "du", "von", "van", "al", "the"}
                and j + 1 < n
                and tokens[j + 1].text[:1].isupper()
                and not tokens[j + 1].punct
            ):
                j += 2
            else:
                break
        out.append((i, j))
        i = j
    return out


def _distance(tokens: list[Token], i: int, j: int, anchors: list[int]) -> int | None:
    """Tokens between the range ``[i, j)`` and the nearest question word, None if none."""
    best = None
    for a in anchors:
        d = i - a - 1 if a < i else a - j if a >= j else 0
        best = d if best is None else min(best, d)
    return best


def _typed(kind: Kind, tokens: list[Token], i: int, j: int, sentence: str) -> bool:
    words = [t for t in tokens[i:j] if not t.punct]
    if not words:
        return False
    if kind is Kind.NUMBER:
        return any(_is_figure(t) for t in words)
    if kind is Kind.DATE:
        return bool(_DATE.search(sentence[tokens[i].start : tokens[j - 1].end]))
    if kind in (Kind.PERSON, Kind.PLACE):
        # A capitalised word that is not capitalised only because it starts the sentence; a
        # sentence's first word counts as a name when a preposition or verb follows it
        # ("[Tacitus] in his ...", "[Police] arrested ...") rather than a noun it opens.
        nxt = tokens[j] if j < len(tokens) else None
        opener = i == 0 and len(words) == 1 and nxt is not None and (nxt.verb or nxt.low in _SPLIT)
        return opener or any(t.text[:1].isupper() and (k + i > 0) for k, t in enumerate(words))
    return True


def span_candidates(
    question: str, sentence: str, qtype: QuestionType | None = None
) -> list[SpanCandidate]:
    """Phrases of ``sentence`` that may answer ``question``, best first (offsets in sentence)."""
    qtype = qtype or question_type(question)
    q_stems = question_stems(question)
    tokens = tokenize_sentence(sentence, q_stems, qtype.verb)
    if not tokens:
        return []
    # Words the question capitalises past its first: names ("Trump"), never an answer's head.
    q_name_runs = _name_runs(question)
    q_names = {word for run in q_name_runs for word in run}
    asks_why = question.lower().startswith("why")
    choice_stems = {s for w in qtype.choices for s in _stems(w)}
    offered = [k for k, t in enumerate(tokens) if choice_stems & set(_stems(t.low))]
    # The options are the question's words too; the one the sentence says stands near the rest.
    anchors = [k for k, t in enumerate(tokens) if t.matched and k not in offered]
    focus_stems = set(_stems(qtype.focus)) if qtype.focus else set()
    kind = qtype.kind

    ranges = set(_phrases(tokens))
    for i, j in list(ranges):
        ranges.update(_extend(tokens, i, j))
    typed_ranges: set[tuple[int, int]] = set()
    lists: set[tuple[int, int]] = set()  # "tobacco, indigo and rice"
    places: set[tuple[int, int]] = set()  # "Durban, South Africa"
    titles: set[tuple[int, int]] = set()  # quoted titles, named as a whole ("the motto \"...\"")
    if kind is Kind.NUMBER:
        typed_ranges = set(_number_spans(tokens))
        if qtype.focus in _UNITS:
            # "How many miles" asks for the figure in miles, not "48 km (30 mi)".
            typed_ranges = {(i, j) for i, j in typed_ranges if tokens[j - 1].text != ")"}
    elif kind is Kind.DATE:
        typed_ranges = set(_regex_spans(tokens, sentence, _DATE))
    elif kind is Kind.QUOTE:
        typed_ranges = set(_regex_spans(tokens, sentence, _QUOTED, 1))
    elif kind in (Kind.PERSON, Kind.PLACE, Kind.ENTITY):
        ranges |= {
            r for r in _name_spans(tokens) if not all(t.matched for t in tokens[r[0] : r[1]])
        }
        if kind is Kind.PERSON:
            # "Philadelphian [Benjamin Franklin]", "Englishman [John Dollond]": news copy puts a
            # person's origin (or trade: "Historian Pierre Chaunu") before the name; the name
            # alone is offered too, and the scores and the model choose.
            ranges |= {
                (i + 1, j)
                for i, j in _name_spans(tokens)
                if j - i >= 3 and tokens[i].low.endswith(_DEMONYM_ENDINGS)
            }
        if kind is Kind.ENTITY:
            titles = set(_regex_spans(tokens, sentence, _QUOTED, 1))
            ranges |= titles
        if kind is Kind.PLACE:
            places = _places_with_region(tokens, _name_spans(tokens))
            ranges |= places
    typed_ranges = {r for r in typed_ranges if not any(t.matched for t in tokens[r[0] : r[1]])}
    ranges |= {(k, k + 1) for k in offered}  # "X or Y?": each option the sentence says
    # A figure, a date or a quotation is what "how many", "when" and "what did X say" ask for;
    # when the sentence has one, other phrases are not offered.
    if typed_ranges:
        ranges = typed_ranges

    if focus_stems and kind in (Kind.ENTITY, Kind.PLACE):
        # "Which river ..." is answered by "the [Volta River]", "what treaty" by "the [Lisbon
        # Treaty]": the asked-about noun right after a phrase is the head of its name, so the
        # phrase is also offered with it.
        ranges |= {
            (i, j + 1)
            for i, j in ranges
            if j < len(tokens) and set(_stems(tokens[j].low)) & focus_stems
        }

    if qtype.plural or kind in (Kind.ENTITY, Kind.OTHER):
        lists = {r for i, j in list(ranges) if (r := _list_span(tokens, i, j))}
        ranges |= lists
        lists = {r for r in lists if _news_list(tokens, r)}
    predicates: set[tuple[int, int]] = set()
    if qtype.action:
        # "What did X do?" is answered by X's predicate: from the word after X (past "must",
        # "to") to the end of the clause ("X [spoke out against their own party];").
        for k, t in enumerate(tokens):
            if not t.matched or t.verb or (k + 1 < len(tokens) and tokens[k + 1].matched):
                continue
            a = k + 1
            while a < len(tokens) and tokens[a].low in _AUX_OR_TO:
                a += 1
            b = a
            while b < len(tokens) and not (tokens[b].punct and tokens[b].text in _BOUNDARY_PUNCT):
                b += 1
            if a < b and _content(tokens[a]) and tokens[a].text[:1].islower():
                predicates.add((a, b))
        ranges |= predicates
    if qtype.manner:
        # "How is the image formed?" -> "[at infinity]", "[by] variables": the means is a
        # phrase with its preposition, which the answer keeps.
        ranges |= {(k, j) for i, j in ranges if (k := _means_before(tokens, i)) is not None}

    subject_ends, agent_starts, aside = _agent_slots(tokens, qtype.verb)
    extremes = _extreme_figures(tokens, typed_ranges, qtype.extreme)
    focus_at = {
        k
        for k, t in enumerate(tokens)
        if t.matched and not t.verb and set(_stems(t.low)) & focus_stems
    }
    # "Which abolitionist ...?" -> "abolitionists, most prominently [Dr. David Livingstone],":
    # news copy names one of a group right after the group's noun and a comma.
    apposed = set()
    for k in focus_at:
        if k + 1 < len(tokens) and tokens[k + 1].text == ",":
            m = k + 2
            while m < len(tokens) and m < k + 5 and tokens[m].text[:1].islower():
                m += 1  # "most prominently", "including", "such as"
            apposed.add(m)
    if qtype.typed:
        # "what kind of factory" -> "the old [Biscuit] Factory": the word before the noun.
        ranges |= {(k - 1, k) for k in focus_at if k > 0 and _content(tokens[k - 1])}
    excluded_at = {
        k for k, t in enumerate(tokens) if not t.punct and set(_stems(t.low)) & qtype.excluded
    }

    # "... part of what?" -> "part of [India]": where the question ends on its wh-word, the
    # answer starts at the first word after the sentence's copy of the word before it.
    follows: set[int] = set()
    if qtype.before_wh:
        wh_stems = set(_stems(qtype.before_wh))
        for k, t in enumerate(tokens):
            if t.matched and set(_stems(t.low)) & wh_stems:
                m = k + 1
                while m < len(tokens) and tokens[m].low in _FUNCTION:
                    m += 1
                follows.add(m)

    nominal = kind in (Kind.ENTITY, Kind.PERSON, Kind.PLACE) and not qtype.action
    out = []
    for i, j in ranges:
        choice = j - i == 1 and i in offered
        if not choice and all(t.matched or t.punct or t.low in _FUNCTION for t in tokens[i:j]):
            continue  # repeating the question is not an answer
        if nominal and (i, j) not in titles and any(t.verb for t in tokens[i + 1 : j - 1]):
            continue  # "which part" asks for a noun phrase, not a clause around a verb
        words = sum(1 for t in tokens[i:j] if not t.punct)
        distance = _distance(tokens, i, j, anchors)
        score = 1.0 / (1.0 + distance / 3.0) if distance is not None else 0.0
        typed = _typed(kind, tokens, i, j, sentence)
        if kind in (Kind.NUMBER, Kind.DATE, Kind.QUOTE):
            score += 1.5 if typed else -1.0
        elif kind in (Kind.PERSON, Kind.PLACE):
            score += 0.5 if typed else 0.0
            if kind is Kind.PLACE and i > 0 and tokens[i - 1].low in _PLACE_PREPOSITIONS:
                score += 0.3
        counts_focus = False
        if kind is Kind.NUMBER:
            # "how many colonists" -> "[300] Spanish colonists": one word may qualify the noun.
            counts_focus = any(
                set(_stems(tokens[m].low)) & focus_stems
                for m in (j, j + 1)
                if m < len(tokens) and (m == j or _content(tokens[j]) and not tokens[j].matched)
            )
            if counts_focus:
                score += W_NUMBER_FOCUS  # "how many people": the figure right before "people"
            if j - i > 1 and _is_unit(tokens, j - 1):
                score += W_UNIT  # a figure is quoted with its unit: "15 m", "eight minutes"
            elif j - i > 1 and tokens[j - 1].text == ")":
                score += 2 * W_UNIT  # and with its conversion, over the unit alone: "(49 ft)"
            if j - i == 1 and _YEAR.match(tokens[i].low) and not focus_stems & _YEAR_WORDS:
                score -= W_YEAR  # "how much" is rarely answered by a year
            if (i, j) in extremes:
                score += W_EXTREME
            if i >= 2 and tokens[i - 2].low == "out" and tokens[i - 1].low == "of":
                # "out of 135,000 Muslims, [5,704] had ...": the figure after "out of" is the
                # whole that the answer is a part of.
                score -= W_WHOLE
        if qtype.side is not None:
            side = _side_distance(i, j, anchors, qtype.side, _after_by(tokens, i))
            after_preposition = i > 0 and tokens[i - 1].low in _SPLIT and not _after_by(tokens, i)
            if side is not None and not (qtype.side == "subject" and after_preposition):
                score += W_SIDE / (1.0 + side / 3.0)
        if choice:
            score += W_CHOICE
        if asks_why and _after_cause(tokens, i):
            score += W_REASON
        if j in subject_ends or i in agent_starts:
            score += W_AGENT
        elif i in aside:
            score -= W_AGENT  # "Tacitus [in his Agricola] described": not the doer
        score += W_SUPPORT * _support(tokens, i, j)
        if not qtype.typed and i in apposed and _is_name(tokens, i, j):
            score += W_APPOSITION
        if qtype.typed and j in focus_at and not tokens[i].matched and j - i == 1:
            score += W_MODIFIER  # "what kind of sittings" -> "the [winter] sittings"
        if excluded_at:
            spelled_out = j + 1 < len(tokens) and tokens[j].text == "(" and j + 1 in excluded_at
            if spelled_out or any(k in excluded_at for k in range(i, j)):
                score -= W_EXCLUDED  # "Other than KNO ...": not KNO, nor "Kuki Org. (KNO)"
            elif _coordinated(tokens, i, j, excluded_at):
                score += W_EXCLUDED  # "KNO and [United Peoples Forum]"
        if i in follows:
            score += W_FOLLOWS
        elif any(i < m < j for m in follows):
            score -= W_FOLLOWS  # "[part of India]" repeats the question's "part of"
        if qtype.manner and tokens[i].low in _MEANS:
            score += W_MANNER
        if _next_to_copula(tokens, i, j):
            score += W_COPULA
        if qtype.plural:
            separators = sum(1 for t in tokens[i:j] if t.low in {"and", "or", ","})
            score += W_LIST * min(separators, 3)
        inner_matched = [t for t in tokens[i:j] if t.matched]
        focus_inside = any(set(_stems(t.low)) & focus_stems for t in inner_matched)
        if focus_inside:
            score += W_FOCUS
            if set(_stems(tokens[j - 1].low)) & focus_stems and j - i > 1:
                # "which river" -> "[Volta River]": the noun is part of a name; but "what kind
                # of engine" -> "a [diesel] engine": after a lower-case modifier it only
                # repeats the question.
                name = _is_name(tokens, i, j) and not qtype.typed
                if name:
                    score += W_FOCUS_HEAD
                elif qtype.typed:
                    score -= W_FOCUS_HEAD
        # A question word in front of the new words is often part of the answer's name
        # ("[formal] semantics", "the [rule] of substitution"); only the others cost.
        lead = 0
        while i + lead < j and tokens[i + lead].matched:
            lead += 1
        # Likewise behind them: the noun the question names is the head of the answer's phrase
        # ("[unmarried and divorced] women" for "what groups of women").
        trail = 0
        while j - trail > i + lead and tokens[j - 1 - trail].matched:
            if tokens[j - 1 - trail].verb or tokens[j - 1 - trail].low in q_names:
                break  # a verb ends the phrase; a name the question has is not its head
            trail += 1
        costly = len(inner_matched) - focus_inside - lead - trail
        if trail and trail < j - i:
            # Ending on that noun beats stopping short of it: "[Köppen] climate system" cuts
            # the name the question asks for.
            score += W_HEAD
        if (i, j) in places:
            score += W_PLACE_REGION
        if kind in (Kind.PERSON, Kind.PLACE, Kind.ENTITY):
            inside_title = any(a <= i and j <= b and (a, b) != (i, j) for a, b in titles)
            # A name the question writes, grown by the next capitalised word, is the question's
            # own subject, not its answer: "[Sea]" or "[Baltic Sea]" for "the Baltic".
            head = i - 1 if i > 0 and tokens[i - 1].low in q_names else i
            name_tail = (
                head + 1 < j
                and tokens[head].matched
                and tokens[head].low in q_names
                and not tokens[head + 1].matched
                and tokens[head + 1].text[:1].isupper()
            )
            if _cuts_name(tokens, i, j) or inside_title or name_tail:
                score -= W_NAME
            elif _ends_with_run(tokens, i, j, q_name_runs) or _located_thing(
                tokens, i, j, kind, focus_stems
            ):
                # The whole of a name the question writes is its subject, not its answer:
                # "who did Trump blame" -> not "[President Donald Trump]"; and "where is the
                # embassy" is not answered by "[the U.S. Embassy]" but by where it is.
                score -= W_NAME
            elif _is_name(tokens, i, j) or (i, j) in titles:
                # A name is quoted whole even where the question shares part of it: "who
                # founded Harlow Motors" -> "[Edith Harlow]", "which hospital" -> "[Kestrel
                # Hospital]"; and "who" is answered by the name, not by the descriptors news
                # copy puts before it ("Kenyan economist [Amara Otieno]").
                costly = 0
                score += W_NAME if kind is Kind.PERSON or qtype.named else 0.0
        score -= W_MATCHED * max(0, costly)
        if not qtype.plural and any(a <= i and j <= b and (a, b) != (i, j) for a, b in lists):
            score -= W_LIST_CUT  # one item of a list answers for the whole: "[tobacco], indigo"
        if (i, j) in predicates:
            score += W_PREDICATE  # a predicate is quoted whole, however long
        elif (i, j) not in titles:  # so is a title
            score -= W_LENGTH * max(0, words - FREE_WORDS)
        core = " ".join(t.text for t in tokens[i:j] if not t.matched)
        out.append(
            SpanCandidate(tokens[i].start, tokens[j - 1].end, score, typed, core, counts_focus)
        )
    out.sort(key=lambda c: (-c.score, c.end - c.start))
    return out


def _name_runs(question: str) -> list[tuple[str, ...]]:
    """The names the question writes past its first word, as runs of capitalised words
    ("Who did Donald Trump blame?" -> [("donald", "trump")])."""
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in [*_WORD.findall(question)[1:], ""]:
        if word[:1].isupper():
            run.append(word.lower())
        elif run:
            runs.append(tuple(run))
            run = []
    return runs


def _ends_with_run(tokens: list[Token], i: int, j: int, runs: list[tuple[str, ...]]) -> bool:
    """Whether ``tokens[i:j]`` ends with one of ``runs`` whole: "President Donald [Trump]".

    A name ending with the question's name is that person or thing; one that only holds the
    word names something else after it ("the Park and [Connecticut] rivers" for a question
    on Connecticut, "[Bachelor] of Philosophy" besides Bachelor degrees).
    """
    words = [t.low for t in tokens[i:j]]
    return any(len(run) <= len(words) and tuple(words[-len(run) :]) == run for run in runs)


def _located_thing(
    tokens: list[Token], i: int, j: int, kind: Kind, focus_stems: set[str]
) -> bool:
    """For "where" questions, whether the phrase ends on the question's own noun: it names
    the thing asked about ("[U.S. Embassy]" for "where is the embassy"), not a place. The
    asked-for noun is another matter: "which region" -> "[Chesapeake region]"."""
    last = tokens[j - 1]
    return (
        kind is Kind.PLACE
        and j - i > 1
        and last.matched
        and not set(_stems(last.low)) & focus_stems
    )


def _figure_value(tokens: list[Token], i: int, j: int) -> float | None:
    """The value of the first figure in ``tokens[i:j]`` with its scale: "$1.7 billion" ->
    1.7e9, "twenty-five" -> 25, "2,994 m" -> 2994."""
    k = i
    while k < j and not _is_figure(tokens[k]):
        k += 1
    if k == j:
        return None
    text = tokens[k].low
    sign = -1.0 if text[:1] in "−-" and text[1:2].isdigit() else 1.0
    value = parse_number(text.lstrip("−+-").strip("$€£%").replace("-", " "))
    if value is None:
        return None
    value *= sign
    for t in tokens[k + 1 : j]:
        if t.low in SCALES:
            value *= SCALES[t.low]
        elif not _is_figure(t):
            break
    return value


def _extreme_figures(
    tokens: list[Token], ranges: set[tuple[int, int]], extreme: str | None
) -> set[tuple[int, int]]:
    """The figure ranges holding the largest ("max") or smallest ("min") value of the sentence,
    when it has at least two different values to choose from."""
    if not extreme:
        return set()
    values = {r: v for r in ranges if (v := _figure_value(tokens, *r)) is not None}
    if len(set(values.values())) < 2:
        return set()
    best = max(values.values()) if extreme == "max" else min(values.values())
    return {r for r, v in values.items() if v == best}


def _support(tokens: list[Token], i: int, j: int) -> int:
    """How many different question words stand within SUPPORT_WINDOW tokens of ``[i, j)``, in
    its own clause (not past a semicolon or colon)."""
    before = tokens[max(0, i - SUPPORT_WINDOW) : i]
    cut = [k for k, t in enumerate(before) if t.text in {";", ":"}]
    before = before[cut[-1] + 1 :] if cut else before
    after = tokens[j : j + SUPPORT_WINDOW]
    cut = [k for k, t in enumerate(after) if t.text in {";", ":"}]
    after = after[: cut[0]] if cut else after
    return len({t.low for t in before + after if t.matched})


# Words before a cause in news copy: "resigned [during] a corruption inquiry", "[over] pay",
# "[because of] the storm", "[due to] delays", "[following] complaints".
_CAUSE_WORDS = {"because", "over", "during", "following", "after", "due"}


def _after_cause(tokens: list[Token], i: int) -> bool:
    """Whether ``tokens[i]`` opens the phrase after a word that introduces a cause."""
    k = i - 1
    while k >= 0 and (tokens[k].low in _DETERMINERS or tokens[k].low in {"of", "to"}):
        k -= 1
    return k >= 0 and tokens[k].low in _CAUSE_WORDS


def _coordinated(tokens: list[Token], i: int, j: int, at: set[int]) -> bool:
    """Whether ``tokens[i:j]`` is joined to a token in ``at`` by a comma, "and", "or" or a
    closing bracket only: "Kuki National Organisation (KNO) [and] United Peoples Forum"."""
    joiners = {",", "and", "or", "&"} | _DETERMINERS
    k = i - 1
    while k >= 0 and k not in at and (tokens[k].low in joiners or tokens[k].text == ")"):
        k -= 1
    if k >= 0 and k in at and k < i - 1:
        return True
    k = j
    while k < len(tokens) and k not in at and tokens[k].low in joiners:
        k += 1
    return k < len(tokens) and k in at and k > j


def _agent_slots(
    tokens: list[Token], verb: str | None
) -> tuple[set[int], set[int], set[int]]:
    """Where the doer of the question's verb stands in the sentence: the phrase ending right
    before it ("[fishermen] accidentally retrieve"), or starting after its "by" in the passive
    ("monitored by the [ASCOBANS]"). Returns (ends of subjects, starts of agents, tokens of
    a phrase inserted between the subject and the verb, which is not the doer).

    A subject question ("Who retrieves ...?", "What organization monitors ...?") asks for that
    doer, and news copy states it in one of these places; when a prepositional phrase stands
    right before the verb ("Tacitus in his Agricola described"), the subject ends before it.
    """
    ends: set[int] = set()
    starts: set[int] = set()
    aside: set[int] = set()
    if not verb:
        return ends, starts, aside
    stems = set(_stems(verb))
    for k, t in enumerate(tokens):
        if not (t.verb and t.matched and set(_stems(t.low)) & stems):
            continue
        a = k
        while a > 0 and (tokens[a - 1].verb or tokens[a - 1].low in _AUX):
            a -= 1  # "have been [monitored]", "accidentally [retrieve]"
        if not any(t.low in _BE for t in tokens[a:k]):
            # In the passive the subject is what is done to, not the doer. Before the verb may
            # stand a phrase opened by a preposition ("Tacitus [in his Agricola] described"):
            # then the subject opens the clause.
            p = a
            while p > 0 and not _is_boundary(tokens[p - 1]) and not tokens[p - 1].verb:
                p -= 1
            inserted = next(
                (m for m in range(p + 1, a) if tokens[m].low in _INSERTING_PREPOSITIONS), None
            )
            if inserted is None:
                ends.add(a)
            else:
                ends.add(inserted)
                aside.update(range(inserted, a))
        b = k + 1
        if b < len(tokens) and tokens[b].low == "by":
            b += 1
            while b < len(tokens) and tokens[b].low in _DETERMINERS:
                b += 1
            starts.add(b)
    return ends, starts, aside


def _means_before(tokens: list[Token], i: int) -> int | None:
    """Where the preposition of means before ``tokens[i]`` stands ("[by] a chain"), if any."""
    k = i - 1
    while k >= 0 and tokens[k].low in _DETERMINERS:
        k -= 1
    return k if k >= 0 and tokens[k].low in _MEANS else None


def _is_name(tokens: list[Token], i: int, j: int) -> bool:
    """Whether ``tokens[i:j]`` is a run of capitalised words that starts with a word the question
    does not have ("[Edith] Harlow"; "Red Sea" in a question about the Red Sea is the
    question's own subject). One word counts when it is not capitalised only for starting the
    sentence ("inspected by the [IAEA]")."""
    words = [t for t in tokens[i:j] if not t.punct]
    if not words or words[0].matched or (len(words) == 1 and i == 0):
        return False
    nxt = tokens[j] if j < len(tokens) else None
    # An adjective of a noun that follows is no name: "[French] immigrants"; a possessor is:
    # "[Radha's] love story".
    possessive = words[-1].low.endswith(("'s", "’s"))
    if len(words) == 1 and _content(nxt) and nxt.text[:1].islower() and not nxt.verb:
        return possessive and words[0].text[:1].isupper()
    return all(t.text[:1].isupper() or t.low in {"of", "&", "de", "van", "von"} for t in words)


def _places_with_region(
    tokens: list[Token], names: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """A place with its region or country after a comma: "Durban, South Africa", "Dayton,
    Ohio". News copy places a town this way, and the pair is the answer to "where"; only
    when the region closes the clause (a comma, a full stop), not in a list of places."""
    starts = {i: j for i, j in names}
    out = set()
    for i, j in names:
        if j + 1 < len(tokens) and tokens[j].text == "," and j + 1 in starts:
            end = starts[j + 1]
            nxt = tokens[end] if end < len(tokens) else None
            listed = end + 1 < len(tokens) and tokens[end + 1].low in {"and", "or"}
            asked = any(t.matched for t in tokens[i:end])  # the question's own place
            if (nxt is None or nxt.text in {",", ".", ";"}) and not listed and not asked:
                out.add((i, end))
    return out


def _cuts_name(tokens: list[Token], i: int, j: int) -> bool:
    """Whether ``tokens[i:j]`` ends inside a name: "[Edith] Harlow", "[North Valley] Line",
    "[U.S. Route] 7"."""
    return (
        j < len(tokens)
        and tokens[j - 1].text[:1].isupper()
        and not tokens[j].punct
        and (tokens[j].text[:1].isupper() or _name_number(tokens[j]))
    )


def _name_number(tok: Token) -> bool:
    """A number of one to three digits, which after a capitalised word ends its name ("Route
    7", "Boeing 747"); years and counts have four digits or come before a noun."""
    return tok.text.isdigit() and len(tok.text) <= 3


def _after_by(tokens: list[Token], i: int) -> bool:
    k = i - 1
    while k >= 0 and tokens[k].low in _DETERMINERS:
        k -= 1
    return k >= 0 and tokens[k].low == "by"


def _side_distance(
    i: int, j: int, anchors: list[int], side: str, passive: bool = False
) -> int | None:
    """Distance to the nearest question word on the side the answer is expected.

    A subject stands before the question's words ("[French immigrants] founded New Orleans"),
    or after "by" in the passive ("monitored by [ASCOBANS]"); an object after them ("Trump
    accused [Iran]").
    """
    if side == "subject" and not passive:
        right = [a - j for a in anchors if a >= j]
        return min(right) if right else None
    left = [i - a - 1 for a in anchors if a < i]
    return min(left) if left else None


_COPULA = {
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "called",
    "named",
    "termed",
    "known",
    "as",
    "include",
    "includes",
    "included",
    "including",
}


def _next_to_copula(tokens: list[Token], i: int, j: int) -> bool:
    """Definitions put the answer on one side of "is"/"are"/"called"/"known as"."""
    k = i - 1
    while k >= 0 and tokens[k].low in _DETERMINERS:
        k -= 1
    if k >= 0 and tokens[k].low in _COPULA:
        return True
    return j < len(tokens) and tokens[j].low in _COPULA


def _news_list(tokens: list[Token], span: tuple[int, int]) -> bool:
    """Whether the list ``span`` is closed by a bare "and"/"or" ("tobacco, indigo and rice").

    News style puts no comma before the closing "and" of a list; ", and" more often joins
    another clause or a looser phrase ("... the Atlantic Ocean, warmer winters, and longer
    seasons"), so only lists closed by a bare "and"/"or" count as one answer.
    """
    joints = [k for k in range(span[0] + 1, span[1]) if tokens[k].low in {"and", "or"}]
    return bool(joints) and tokens[joints[-1] - 1].text != ","


def _list_span(tokens: list[Token], i: int, j: int) -> tuple[int, int] | None:
    """The list that starts with phrase ``[i, j)``: "drizzle, rain, sleet, snow and hail"."""
    n = len(tokens)
    end = j
    closed = False
    k = j
    while k < n and tokens[k].text == "," and not closed:
        m = k + 1
        if m < n and tokens[m].low in {"and", "or"}:
            closed = True
            m += 1
        e = m
        while (
            e < n
            and not tokens[e].punct
            and not tokens[e].matched
            and tokens[e].low not in _CLAUSE
            and not tokens[e].verb
            and (tokens[e].low not in _SPLIT or tokens[e].low in {"and", "or"})
            and e - m < 5
        ):
            if tokens[e].low in {"and", "or"}:
                closed = True
            e += 1
        if e == m:
            break
        end = e
        k = e
    if not closed or end == j:
        return None
    return _trim(tokens, i, end)


def answer_evidence(question: str, sentence: str, qtype: QuestionType | None = None) -> float:
    """1.0 when the sentence holds a candidate of the kind the question asks for, else 0.0.

    A figure for "how many", a date for "when", a name for "who"/"where", and for "which X" a
    name standing right next to X ("the militia [Kata'ib Hezbollah]"): a sentence that only
    mentions the question's words without such a candidate restates the question rather than
    answering it. Questions of no particular kind get 0.0.
    """
    qtype = qtype or question_type(question)
    kind = qtype.kind
    if kind is Kind.OTHER or (kind is Kind.ENTITY and not qtype.focus):
        return 0.0
    q_stems = question_stems(question)
    tokens = tokenize_sentence(sentence, q_stems)
    if kind is Kind.NUMBER:
        spans = _number_spans(tokens)
    elif kind is Kind.DATE:
        spans = _regex_spans(tokens, sentence, _DATE)
    elif kind is Kind.QUOTE:
        spans = _regex_spans(tokens, sentence, _QUOTED, 1)
    else:
        spans = [r for r in _name_spans(tokens) if (r[0] > 0 or r[1] - r[0] > 1)]
    spans = [r for r in spans if not any(t.matched for t in tokens[r[0] : r[1]])]
    if kind is Kind.ENTITY:
        # The asked-about noun in the same number: "which militia" asks for one, and "Shia
        # militias" names none.
        focus = qtype.focus or ""
        stems = set(_stems(focus))
        at = [
            k
            for k, t in enumerate(tokens)
            if set(_stems(t.low)) & stems and t.low.endswith("s") == focus.endswith("s")
        ]
        spans = [r for r in spans if any(r[0] - 1 <= k <= r[1] for k in at)]
    return 1.0 if spans else 0.0


def mark_answer(question: str, sentence: str) -> Span | None:
    """The span of ``sentence`` that answers ``question``, as offsets into the sentence.

    Returns None when the sentence offers no candidate (it only repeats the question); a quote
    without a marked span is still a useful answer.
    """
    qtype = question_type(question)
    candidates = span_candidates(question, sentence, qtype)
    if not candidates:
        return None
    best = candidates[0]
    return strip_span(sentence, (best.start, best.end))


def strip_span(sentence: str, span: Span) -> Span:
    """``span`` without surrounding quote marks, trailing punctuation or a possessive 's."""
    start, end = span
    if sentence[start:end].endswith(("'s", "’s")) and end - start > 2:
        end -= 2  # "Radha's love story" answers "who": Radha
    while end > start and sentence[end - 1] in ",;:.!?'\"’” ":
        end -= 1
    while start < end and sentence[start] in "'\"‘“ ":
        start += 1
    return (start, end) if end > start else span
