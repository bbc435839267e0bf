"""The lexical index: bm25s's scores to the bit, extended by an add instead of rebuilt."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index import lexical as lx
from index.lexical import LexicalIndex, tokenize

TEXTS = [
    "Twenty-five people were killed in the attacks on Sunday, officials said.",
    "The militia Kata'ib Hezbollah has fought beside the Iraqi military.",
    "Protesters chanted down USA, down USA, outside the embassy in Baghdad.",
    "",  # no words at all: still one position
    "The embassy said 25 staff were evacuated; no American was hurt.",
    "Rain, rain and more rain: the river rose by 3 metres in Baghdad.",
    "President Donald Trump accused Iran of being behind the attack.",
    "The Iraqi prime minister condemned the strikes on the militia.",
]
QUERIES = [
    "How many people were killed?",
    "Which militia did the US strike?",
    "What did the protesters chant in Baghdad?",
    "rain rain",
    "Who accused Iran?",
    "nothing matches this xyzzy",
]


def _bm25s_scores(texts: list[str], query: list[str]) -> np.ndarray:
    """The reference: bm25s's own index over the same tokens."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([tokenize(t) or [lx.PLACEHOLDER] for t in texts], show_progress=False)
    known = [t for t in query if t in retriever.vocab_dict]
    if not known:
        return np.zeros(len(texts), dtype=np.float32)
    return np.asarray(retriever.get_scores(known), dtype=np.float32)


def test_scores_are_bm25s_scores_to_the_bit():
    index = LexicalIndex.build(np.arange(len(TEXTS)), TEXTS)
    for query in QUERIES:
        tokens = tokenize(query)
        assert np.array_equal(index.scores(tokens), _bm25s_scores(TEXTS, tokens)), query
    assert index.scores(tokenize("Baghdad"))[5] > 0


def test_extending_equals_building_every_chunk(monkeypatch):
    monkeypatch.setattr(lx, "MAX_SEGMENTS", 3)  # so that the small segments get merged too
    ids = np.arange(len(TEXTS)) * 10 + 3
    full = LexicalIndex.build(ids, TEXTS)
    grown = LexicalIndex()
    for first in range(0, len(TEXTS), 2):
        before = grown
        grown = grown.extended(ids[first : first + 2], TEXTS[first : first + 2])
        assert len(before) == first  # the older index is unchanged (snapshots share it)
    assert len(grown.segments) <= 3
    assert np.array_equal(grown.ids, full.ids)
    for query in QUERIES:
        tokens = tokenize(query)
        assert np.array_equal(grown.scores(tokens), full.scores(tokens)), query
        assert grown.idf(tokens) == full.idf(tokens)
        found, scores = grown.search(query, 3)
        expected = full.search(query, 3)
        assert np.array_equal(found, expected[0]) and np.array_equal(scores, expected[1])


def test_save_and_load(tmp_path):
    index = LexicalIndex.build(np.arange(4), TEXTS[:4]).extended(np.arange(4, 8), TEXTS[4:])
    assert index.save(tmp_path, "lex") == ["lex"]
    back = LexicalIndex.load(tmp_path, "lex")
    assert np.array_equal(back.ids, index.ids)
    for query in QUERIES:
        assert np.array_equal(back.scores(tokenize(query)), index.scores(tokenize(query)))
    # A folder of another format (bm25s's own, saved by an older version) is refused.
    meta = json.loads((tmp_path / "lex" / "meta.json").read_text())
    meta["format"] = "bm25s"
    (tmp_path / "lex" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError):
        LexicalIndex.load(tmp_path, "lex")


LATER = "Kata'ib Hezbollah fled the river."


def _assert_same_scores(index: LexicalIndex, reference: LexicalIndex) -> None:
    assert np.array_equal(index.ids, reference.ids)
    assert set(index.vocab) == set(reference.vocab)
    for query in QUERIES:
        tokens = tokenize(query)
        assert np.array_equal(index.scores(tokens), reference.scores(tokens)), query
        assert index.idf(tokens) == reference.idf(tokens)


@pytest.mark.parametrize(
    "dropped",
    [[0], [7], [2, 3, 4], [1, 5, 6], list(range(8))],
    ids=["first", "last", "a middle run", "spread", "all"],
)
def test_dropping_positions_equals_building_the_rest(monkeypatch, dropped):
    """A removal filters the postings: it must score exactly as a build of what is left, in
    every segment layout (one segment, several, merged), and words only the dropped chunks
    held leave the vocabulary (the unknown-names refusal reads it)."""
    monkeypatch.setattr(lx, "MAX_SEGMENTS", 3)
    ids = np.arange(len(TEXTS)) * 10 + 3
    grown = LexicalIndex()
    for first in range(0, len(TEXTS), 2):
        grown = grown.extended(ids[first : first + 2], TEXTS[first : first + 2])
    keep = np.ones(len(TEXTS), dtype=bool)
    keep[dropped] = False
    rest = [t for t, k in zip(TEXTS, keep, strict=True) if k]
    reference = LexicalIndex.build(ids[keep], rest)
    for index in (LexicalIndex.build(ids, TEXTS), grown):
        smaller = index.without(keep)
        _assert_same_scores(smaller, reference)
        assert len(index) == len(TEXTS)  # the snapshot being searched is unchanged
        # Still extendable, and saved and loaded like any other.
        more = smaller.extended(np.array([999]), [LATER])
        _assert_same_scores(more, reference.extended(np.array([999]), [LATER]))
    if 6 in dropped:
        assert "trump" not in grown.without(keep).vocab


def test_a_dropped_index_saves_and_loads(tmp_path):
    index = LexicalIndex.build(np.arange(4), TEXTS[:4]).extended(np.arange(4, 8), TEXTS[4:])
    smaller = index.without(np.array([True, False, True, True, False, True, True, False]))
    smaller.save(tmp_path, "lex")
    _assert_same_scores(LexicalIndex.load(tmp_path, "lex"), smaller)


def test_an_add_extends_the_lexical_index_and_a_removal_filters_it(make_engine):
    engine = make_engine()
    library = engine.library("news")
    stories = [t for t in TEXTS if t]
    weather = [f"Weather report {i}: sunny with light winds across the region." for i in range(5)]
    library.import_records(
        [{"title": f"Report {i}", "text": text} for i, text in enumerate(stories + weather)]
    )
    before = engine.snapshot("news").lexical
    added = library.add_text(TEXTS[5] + " " + TEXTS[6], title="Flood")
    after = engine.snapshot("news").lexical
    assert after.segments[0] is before.segments[0]  # extended, not rebuilt
    assert len(after) == len(before) + added.chunks
    answer = library.ask("How far did the river rise?")
    assert "3 metres" in answer.passages[0].text
    militia = next(a for a in library.list() if a.title == "Report 1")
    library.remove(militia.article_id)
    smaller = engine.snapshot("news").lexical
    assert len(smaller) == len(after) - 1
    # Filtered, not rebuilt: a build would hold one segment, the filter keeps both.
    assert len(smaller.segments) == 2
    texts = [*(t for t in stories if "Hezbollah" not in t), *weather, TEXTS[5] + " " + TEXTS[6]]
    _assert_same_scores(smaller, LexicalIndex.build(smaller.ids, texts))
    assert "hezbollah" not in smaller.vocab
    # The removed article's names are unknown again: a question about them is refused.
    refused = library.ask("What did the militia of Hezbollah do?")
    assert not refused.found and "Hezbollah" in refused.unknown_names
    # And the next add extends the filtered index.
    library.add_text(TEXTS[7] + " More strikes followed.", title="Strikes")
    assert engine.snapshot("news").lexical.segments[0] is smaller.segments[0]


def test_random_removals_equal_builds_of_what_is_left(monkeypatch):
    """Seeded random libraries, segment layouts and removals (some removing a whole segment,
    some none of it), removed from repeatedly as a bot's moderators would."""
    monkeypatch.setattr(lx, "MAX_SEGMENTS", 4)
    rng = np.random.default_rng(7)
    words = ["river", "rose", "flood", "militia", "embassy", "killed", "rain", "strike", "trump"]
    for _ in range(20):
        texts = [" ".join(rng.choice(words, size=rng.integers(0, 6))) for _ in range(40)]
        ids = np.arange(len(texts)) * 3 + 1
        index = LexicalIndex()
        at = 0
        while at < len(texts):
            step = int(rng.integers(1, 9))
            index = index.extended(ids[at : at + step], texts[at : at + step])
            at += step
        alive = np.ones(len(texts), dtype=bool)
        for _ in range(3):
            keep = rng.random(len(index)) > rng.choice([0.0, 0.1, 0.5, 1.0])
            index = index.without(keep)
            alive[np.flatnonzero(alive)[~keep]] = False
            rest = [t for t, a in zip(texts, alive, strict=True) if a]
            reference = LexicalIndex.build(ids[alive], rest)
            _assert_same_scores(index, reference)
            for query in ("river flood", "trump killed", "rain"):
                found = index.search(query, 5)
                expected = reference.search(query, 5)
                assert np.array_equal(found[0], expected[0]), query


def test_kept_term_weights_score_exactly_as_computed_ones(monkeypatch):
    """The weights of common words are kept between questions: with every word kept, and
    with a cap so small that they are dropped again, scores stay bm25s's to the bit."""
    texts = [*TEXTS, LATER]
    monkeypatch.setattr(lx, "WEIGHT_CACHE_MIN", 1)
    for cap in (1_000, 3):
        monkeypatch.setattr(lx, "WEIGHT_CACHE_POSTINGS", cap)
        kept = LexicalIndex.build(np.arange(len(TEXTS)), TEXTS).extended(np.array([99]), [LATER])
        for _ in range(2):  # the second round reads the kept weights
            for query in [*QUERIES, "Baghdad river militia"]:
                tokens = tokenize(query)
                assert np.array_equal(kept.scores(tokens), _bm25s_scores(texts, tokens)), query
        assert 0 < kept._cached <= cap
