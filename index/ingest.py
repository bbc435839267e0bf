"""Splitting, chunking and embedding articles for the store, several articles per encoder pass.

The encoder pads every text of a batch to the longest one, so what a batch costs depends on how
alike its lengths are. One article gives ~14 chunks of mixed length in one padded batch; pooling
the chunks and sentences of many articles and sorting them by length before batching measured
~1.7x the article-by-article rate on 2 cores (bench/README.md). Each article is still stored in
its own transaction right after its group is embedded, so a killed import loses at most the
articles of the group in flight, never a stored one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from .chunking import ChunkerSettings, make_chunks, split_sentences
from .sentence_vectors import sentence_texts

log = logging.getLogger(__name__)

K = TypeVar("K")

# Texts (chunks + sentences) embedded per group: enough for the length sort to form batches of
# alike texts, small enough that a group's vectors (~1.5 MB) and its wait are short.
GROUP_TEXTS = 1_024

ChunkInputs = Callable[[str, str, list[tuple[int, int]]], list[str]]


@dataclass(frozen=True)
class EmbeddedArticle:
    """An article split, chunked and embedded, ready to be stored."""

    sentences: list[tuple[int, int]]
    spans: list[tuple[int, int]]  # chunk offsets
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray  # one per sentence (empty when the article has no chunk)
    encoder_tag: str | None = None  # the encoder that embedded it, when not the engine's own


@dataclass
class _Item(Generic[K]):
    key: K
    sentences: list[tuple[int, int]]
    spans: list[tuple[int, int]]
    texts: list[str]  # chunk inputs, then sentence texts
    chunks: int


def embed_by_length(
    encode: Callable[[list[str]], np.ndarray], texts: list[str], slice_size: int
) -> np.ndarray:
    """``encode`` over ``texts`` in slices of ``slice_size`` alike lengths, in input order.

    Why slices: the model is shared and takes one call at a time, so a question waits for at
    most one slice of a long import. Why sorted: each slice is then a batch of alike texts,
    which pads least.
    """
    if len(texts) <= slice_size:
        return encode(texts)
    order = np.argsort([len(t) for t in texts], kind="stable")
    by_length = np.concatenate(
        [
            encode([texts[i] for i in order[first : first + slice_size]])
            for first in range(0, len(texts), slice_size)
        ]
    )
    vectors = np.empty_like(by_length)
    vectors[order] = by_length
    return vectors


def embed_articles(
    items: Iterable[tuple[K, str, str | None]],
    chunker: ChunkerSettings,
    chunk_inputs: ChunkInputs,
    embed: Callable[[list[str]], np.ndarray],
    group_texts: int = GROUP_TEXTS,
) -> Iterator[tuple[K, EmbeddedArticle | None]]:
    """Yield every ``(key, title, text)`` item as ``(key, EmbeddedArticle)``, in order.

    An item whose text is None is passed through as ``(key, None)`` (e.g. a duplicate that
    needs no embedding). Items are read lazily, a group at a time.

    Args:
        chunk_inputs: ``(title, text, chunk spans) -> texts to embed`` (the engine's rule).
        embed: Embeds a list of texts; called once per group with every text of the group.
    """
    group: list[_Item[K] | tuple[K, None]] = []
    size = 0
    for key, title, text in items:
        if text is None:
            group.append((key, None))
            continue
        sentences = split_sentences(text)
        spans = make_chunks(text, sentences, chunker)
        inputs = chunk_inputs(title, text, spans)
        # Without a chunk the article is refused: its sentences are not worth embedding.
        texts = inputs + (sentence_texts(text, sentences) if spans else [])
        group.append(_Item(key, sentences, spans, texts, len(inputs)))
        size += len(texts)
        if size >= group_texts:
            yield from _embed_group(group, embed)
            group, size = [], 0
    yield from _embed_group(group, embed)


def _embed_group(
    group: list[_Item[K] | tuple[K, None]], embed: Callable[[list[str]], np.ndarray]
) -> Iterator[tuple[K, EmbeddedArticle | None]]:
    items = [item for item in group if isinstance(item, _Item)]
    texts = [t for item in items for t in item.texts]
    vectors = embed(texts) if texts else None
    at = 0
    for item in group:
        if not isinstance(item, _Item):
            yield item
            continue
        mine = vectors[at : at + len(item.texts)] if vectors is not None else np.zeros((0, 0))
        at += len(item.texts)
        yield (
            item.key,
            EmbeddedArticle(item.sentences, item.spans, mine[: item.chunks], mine[item.chunks :]),
        )
