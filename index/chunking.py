"""Sentence-aware chunking with exact character offsets.

Pure functions: text in, ``(start, end)`` spans out. Every span slices the stored text exactly,
so any quote built from spans is verbatim. Lines are split first because news text puts
bullets, headlines, tweet bodies and bylines on lines of their own, and each of those is a
sentence even without a full stop; pysbd then splits each line into sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

Span = tuple[int, int]

# A "sentence" longer than this (a run-on line without punctuation, a pasted table) is cut at
# word boundaries so that one quote still fits a Discord embed field.
MAX_SENTENCE_CHARS = 600
# pysbd is a rule-based splitter whose cost grows badly on very long lines; a line above this
# size is pre-cut at whitespace into blocks before it is handed to pysbd.
MAX_PYSBD_CHARS = 5_000

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ChunkerSettings:
    """How sentences are grouped into chunks; recorded in each index manifest."""

    sentences_per_chunk: int = 3
    overlap: int = 1
    max_words: int = 150

    def signature(self) -> str:
        return f"sbd-lines/v1/s{self.sentences_per_chunk}/o{self.overlap}/w{self.max_words}"


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _strip_span(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _cut_long(text: str, start: int, end: int, limit: int) -> list[Span]:
    """Cut ``text[start:end]`` into pieces of at most ``limit`` characters at whitespace."""
    if end - start <= limit:
        return [(start, end)]
    pieces: list[Span] = []
    piece_start = start
    last_end = start
    for match in _WORD.finditer(text, start, end):
        w_start, w_end = match.span()
        if w_end - piece_start > limit and last_end > piece_start:
            pieces.append((piece_start, last_end))
            piece_start = w_start
        # A single "word" longer than the limit (a URL, a base64 blob) is cut hard.
        while w_end - piece_start > limit:
            pieces.append((piece_start, piece_start + limit))
            piece_start += limit
        last_end = w_end
    if last_end > piece_start:
        pieces.append((piece_start, last_end))
    return [s for p in pieces if (s := _strip_span(text, *p))]


def _split_line(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    for block_start, block_end in _cut_long(text, start, end, MAX_PYSBD_CHARS):
        block = text[block_start:block_end]
        for piece in _segmenter().segment(block):
            span = _strip_span(text, block_start + piece.start, block_start + piece.end)
            if span:
                spans.extend(_cut_long(text, *span, MAX_SENTENCE_CHARS))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Return the sentences of ``text`` as non-overlapping, ordered, stripped spans.

    Returns:
        Spans such that ``text[start:end]`` is each sentence; whitespace between them is not
        covered, everything else is.
    """
    spans: list[Span] = []
    position = 0
    for line in text.split("\n"):
        line_span = _strip_span(text, position, position + len(line))
        position += len(line) + 1
        if line_span is None:
            continue
        spans.extend(_split_line(text, *line_span))
    return _merge_fragments(text, spans)


def _merge_fragments(text: str, spans: list[Span]) -> list[Span]:
    """Glue pieces with no letters or digits (a lone quote mark, a dash) to the sentence before.

    They carry no meaning of their own and would become empty-looking quotes.
    """
    merged: list[Span] = []
    for span in spans:
        body = text[span[0] : span[1]]
        if (
            merged
            and not any(ch.isalnum() for ch in body)
            and "\n" not in text[merged[-1][1] : span[0]]
        ):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def make_chunks(text: str, sentences: list[Span], settings: ChunkerSettings) -> list[Span]:
    """Group consecutive sentences into overlapping windows.

    A window holds ``sentences_per_chunk`` sentences, moves by ``sentences_per_chunk - overlap``,
    and is shortened when it would pass ``max_words`` so that any chunk can be quoted whole.
    Every sentence lies in at least one chunk.
    """
    if not sentences:
        return []
    size = max(1, settings.sentences_per_chunk)
    words = [count_words(text[s:e]) for s, e in sentences]
    chunks: list[Span] = []
    first = 0
    while first < len(sentences):
        last = first
        total = words[first]
        while last + 1 < len(sentences) and last + 1 - first < size:
            if total + words[last + 1] > settings.max_words:
                break
            last += 1
            total += words[last]
        chunks.append((sentences[first][0], sentences[last][1]))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - max(0, settings.overlap))
    return chunks
