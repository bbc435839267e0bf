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


def test_an_add_extends_the_lexical_index_and_a_removal_rebuilds_it(make_engine):
    engine = make_engine()
    library = engine.library("news")
    first = library.add_text(TEXTS[0] + " " + TEXTS[1], title="Attacks")
    before = engine.snapshot("news").lexical
    second = library.add_text(TEXTS[5] + " " + TEXTS[6], title="Flood")
    after = engine.snapshot("news").lexical
    assert after.segments[0] is before.segments[0]  # extended, not rebuilt
    assert len(after) == len(before) + second.chunks
    answer = library.ask("How far did the river rise?")
    assert "3 metres" in answer.passages[0].text
    library.remove(first.article_id)
    rebuilt = engine.snapshot("news").lexical
    assert len(rebuilt) == second.chunks and rebuilt.segments[0] is not before.segments[0]
    reference = LexicalIndex.build(rebuilt.ids, [TEXTS[5] + " " + TEXTS[6]])
    tokens = tokenize("river Baghdad Trump")
    assert np.array_equal(rebuilt.scores(tokens), reference.scores(tokens))
