"""Plain records passed between the engine and its front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dates import article_date


@dataclass(frozen=True)
class Document:
    """Clean text and metadata extracted from a source, before it is stored."""

    text: str
    title: str
    url: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD) when the source states one
    source: str | None = None  # outlet / site name when known
    author: str | None = None


@dataclass(frozen=True)
class ArticleInfo:
    """An article as listed: metadata without its text."""

    article_id: str
    title: str
    url: str | None
    published: str | None
    added_by: str | None
    added_at: str
    chunks: int
    source: str | None = None
    # Syndicated copies (index.syndication): the article this one is a copy of, or how many
    # copies of this one other outlets published.
    copy_of: str | None = None
    copies: int = 0

    def to_json(self) -> dict:
        out = {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "added_by": self.added_by,
            "added_at": self.added_at,
            "chunks": self.chunks,
        }
        if self.copy_of:
            out["copy_of"] = self.copy_of
        if self.copies:
            out["copies"] = self.copies
        return out


@dataclass(frozen=True)
class AddResult:
    """What happened when an article was added."""

    article_id: str
    title: str
    chunks: int
    duplicate: bool
    seconds: float
    # Set when the text nearly repeats a stored article (syndicated copy): its id and title.
    near_duplicate_of: str | None = None
    near_duplicate_title: str | None = None


@dataclass(frozen=True)
class Explanation:
    """Why a passage was quoted: the evidence of both retrievers and of sentence re-scoring.

    Ranks count from 1 in each ranking (None when that retriever did not return the chunk);
    ``sentence == article_text[sentence_start:sentence_end]`` is the sentence the quote was
    built around. Kept so a moderator can see why the bot chose a passage without searching again.
    """

    dense_rank: int | None
    dense_score: float | None
    lexical_rank: int | None
    lexical_score: float | None
    fused_rank: int
    fused_score: float
    sentence: str
    sentence_start: int
    sentence_end: int
    sentence_score: float
    sentence_dense: float | None
    sentence_lexical: float

    def to_json(self) -> dict:
        def num(value: float | None) -> float | None:
            return None if value is None else round(float(value), 6)

        return {
            "dense_rank": self.dense_rank,
            "dense_score": num(self.dense_score),
            "lexical_rank": self.lexical_rank,
            "lexical_score": num(self.lexical_score),
            "fused_rank": self.fused_rank,
            "fused_score": num(self.fused_score),
            "sentence": self.sentence,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "sentence_score": num(self.sentence_score),
            "sentence_dense": num(self.sentence_dense),
            "sentence_lexical": num(self.sentence_lexical),
        }


@dataclass(frozen=True)
class Passage:
    """A verbatim quote: ``text == article_text[start:end]``; answer offsets are article offsets."""

    article_id: str
    title: str
    url: str | None
    text: str
    start: int
    end: int
    score: float
    answer_start: int | None = None
    answer_end: int | None = None
    published: str | None = None
    added_by: str | None = None
    added_at: str | None = None
    source: str | None = None  # the outlet, when known
    # Other outlets' near-identical copies of this article (index.syndication.Copy).
    also_reported_by: tuple[Any, ...] = ()
    # Set only when the question was asked with ``explain=True`` (``ask --explain``).
    explain: Explanation | None = None

    @property
    def date(self) -> str | None:
        """The day to show: published, else the day it was added (see ``date_is_added``)."""
        return article_date(self.published, self.added_at)[0]

    @property
    def date_is_added(self) -> bool:
        return article_date(self.published, self.added_at)[1]

    @property
    def answer_text(self) -> str | None:
        if self.answer_start is None or self.answer_end is None:
            return None
        return self.text[self.answer_start - self.start : self.answer_end - self.start]

    def to_json(self) -> dict:
        out = {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(float(self.score), 6),
            "answer_start": self.answer_start,
            "answer_end": self.answer_end,
        }
        if self.explain is not None:  # optional field: only when asked for
            out["explain"] = self.explain.to_json()
        out["published"] = self.date
        out["date_is_added"] = self.date_is_added
        if self.source:
            out["source"] = self.source
        if self.also_reported_by:
            out["also_reported_by"] = [c.to_json() for c in self.also_reported_by]
        return out


@dataclass(frozen=True)
class Answer:
    """The reply to a question. ``answer`` is None when nothing relevant was found."""

    question: str
    answer: str | None
    passages: list[Passage] = field(default_factory=list)
    # The nearest article titles, offered when nothing relevant was found.
    nearest_titles: list[str] = field(default_factory=list)
    # The asker's date window (ISO days; since inclusive, before exclusive), and what a rule on
    # the question's words did ("Newest reports first ("latest")."), for the reader.
    since: str | None = None
    before: str | None = None
    recency: str | None = None
    # How-many questions: each source's figure (index.figures.Figure) when two or more give
    # one, and how many of them agree with the answer.
    figures: list[Any] = field(default_factory=list)
    agreeing_sources: int | None = None
    # Names in the question that no article of the library mentions ("Eiffel"): why nothing
    # was found, told to the reader.
    unknown_names: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.answer is not None

    @property
    def figures_differ(self) -> bool:
        return bool(self.figures) and self.agreeing_sources != len(self.figures)

    def to_json(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.answer,
            "passages": [p.to_json() for p in self.passages],
        }
        for key in ("since", "before", "recency"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.figures:
            out["figures"] = [f.to_json() for f in self.figures]
            out["agreeing_sources"] = self.agreeing_sources
        if self.unknown_names:
            out["unknown_names"] = list(self.unknown_names)
        return out
