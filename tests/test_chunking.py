"""Chunking keeps exact offsets: every chunk and sentence slices the text it came from."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import (
    MAX_SENTENCE_CHARS,
    ChunkerSettings,
    count_words,
    make_chunks,
    split_sentences,
)

NEWS = (
    "- Protesters have stormed the US Embassy in Baghdad.\n"
    "- Twenty-five people were killed.\n"
    "BREAKING NEWS\n"
    'Mr. Smith arrived in Washington D.C. on Monday. He said "we will respond." Then he left.\n'
    "— Donald J. Trump (@realDonaldTrump) December 31, 2019\n"
)


def test_lines_are_sentences_even_without_full_stops():
    texts = [NEWS[s:e] for s, e in split_sentences(NEWS)]
    assert "- Twenty-five people were killed." in texts
    assert "BREAKING NEWS" in texts
    assert "— Donald J. Trump (@realDonaldTrump) December 31, 2019" in texts


def test_abbreviations_do_not_split_sentences():
    texts = [NEWS[s:e] for s, e in split_sentences(NEWS)]
    assert "Mr. Smith arrived in Washington D.C. on Monday." in texts


def test_chunks_are_windows_with_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(10))
    sentences = split_sentences(text)
    assert len(sentences) == 10
    chunks = make_chunks(text, sentences, ChunkerSettings(sentences_per_chunk=3, overlap=1))
    assert chunks[0] == (sentences[0][0], sentences[2][1])
    assert chunks[1][0] == sentences[2][0]  # one sentence of overlap
    assert chunks[-1][1] == sentences[-1][1]


def test_long_run_on_line_is_cut_into_quotable_pieces():
    text = "word " * 5000
    sentences = split_sentences(text)
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in sentences)
    chunks = make_chunks(text, sentences, ChunkerSettings())
    assert all(count_words(text[s:e]) <= 150 for s, e in chunks)


def test_empty_and_blank_text_have_no_chunks():
    assert split_sentences("") == []
    assert make_chunks("  \n\n ", split_sentences("  \n\n "), ChunkerSettings()) == []


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=600))
def test_every_span_is_an_exact_slice_and_chunks_cover_all_words(text):
    sentences = split_sentences(text)
    for (s, e), (s2, _) in zip(sentences, sentences[1:], strict=False):
        assert s < e <= s2
    for s, e in sentences:
        piece = text[s:e]
        assert piece == piece.strip() and piece
    chunks = make_chunks(text, sentences, ChunkerSettings())
    covered = [False] * len(text)
    for s, e in chunks:
        assert 0 <= s < e <= len(text)
        for i in range(s, e):
            covered[i] = True
    # every non-space character lies inside some chunk
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())
