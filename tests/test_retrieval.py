"""Hybrid retrieval: rank fusion and lexical weights as pure functions, one end-to-end check."""

from __future__ import annotations

import numpy as np

from index.lexical import LexicalIndex, tokenize
from index.retrieval import fuse


def ranking(ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    scores = np.linspace(1.0, 0.5, num=len(ids), dtype=np.float32)
    return np.array(ids, dtype=np.int64), scores


def test_fusion_prefers_agreement():
    fused = fuse(ranking([1, 2, 3]), ranking([2, 4, 1]), rrf_k=10)
    order = [f[0] for f in fused]
    assert order[0] == 2  # second and first beats first and third
    assert order[1] == 1
    assert set(order) == {1, 2, 3, 4}


def test_fusion_keeps_each_retrievers_evidence():
    fused = {f[0]: f for f in fuse(ranking([7, 8]), ranking([9]))}
    _, _, dense_rank, dense_score, lexical_rank, lexical_score = fused[9]
    assert dense_rank is None and dense_score is None
    assert lexical_rank == 1 and lexical_score == 1.0
    assert fused[8][2] == 2 and fused[8][4] is None


def test_fusion_weights_and_constant():
    dense, lexical = ranking([1, 2]), ranking([2, 1])
    assert fuse(dense, lexical, dense_weight=2.0)[0][0] == 1
    assert fuse(dense, lexical, lexical_weight=2.0)[0][0] == 2
    # A small constant makes the top ranks count: a lone first place beats two fifth places.
    five = ranking([10, 11, 12, 13, 1])
    other = ranking([20, 21, 22, 23, 1])
    alone = ranking([5])
    small = fuse(ranking([5, 30, 31, 32, 1]), other, rrf_k=1)
    assert small[0][0] == 5
    large = fuse(ranking([5, 30, 31, 32, 1]), other, rrf_k=60)
    assert large[0][0] == 1
    assert fuse(five, alone)[0][0] in {5, 10}


def test_fusion_of_nothing():
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    assert fuse(empty, empty) == []


def test_numbers_in_words_match_digits():
    assert tokenize("Twenty-five people") == tokenize("25 people")


def test_accents_and_okina_fold_to_what_a_keyboard_types():
    assert tokenize("Löwenheim and Köppen") == tokenize("Lowenheim and Koppen")
    assert tokenize("Mount Waiʻaleʻale") == tokenize("Mount Wai'ale'ale")
    index = LexicalIndex.build(np.array([1, 2]), ["Köppen classified climates.", "Rain fell."])
    ids, _ = index.search("Koppen", 2)
    assert list(ids) == [1]


def test_lexical_search_finds_names_and_figures():
    texts = [
        "The council met on Monday to discuss the budget.",
        "Twenty-five people were killed in the strikes on Kata'ib Hezbollah.",
        "The mayor said the budget would be balanced next year.",
    ]
    index = LexicalIndex.build(np.array([10, 11, 12]), texts)
    ids, scores = index.search("How many (25) were killed?", 3)
    assert ids[0] == 11
    ids, _ = index.search("Hezbollah", 3)
    assert list(ids) == [11]


def test_idf_ranks_rare_words_above_common_ones():
    texts = [
        "The budget was debated by the council.",
        "The council approved the budget.",
        "The council met the mayor of Leeds.",
    ]
    index = LexicalIndex.build(np.array([1, 2, 3]), texts)
    weights = index.idf(tokenize("council Leeds budget zanzibar"))
    council, leeds, budget, unknown = (
        weights[t] for t in tokenize("council Leeds budget zanzibar")
    )
    assert leeds > budget > council
    assert unknown >= leeds  # a word the library never saw is the rarest of all
    assert LexicalIndex().idf(["x"]) == {"x": 1.0}


def test_lexical_only_mode_answers(make_engine):
    """Lexical-only retrieval has no similarity score; the threshold must not refuse it."""
    library = make_engine().library("t")
    library.add_text(
        "The city council approved a budget of $4 million for the new Ashworth library. "
        "Construction starts in March and should take two years.",
        title="Council approves library budget",
    )
    answer = library.ask("How much is the Ashworth library budget?", mode="lexical", rescore=False)
    assert answer.found
    assert "$4 million" in answer.passages[0].text
