"""What a page will be stored as, shown before it is added, so bad extractions are caught.

A paywalled page yields its teaser, a JavaScript-only page its "please enable JavaScript" shell,
and both would otherwise be stored and quoted as if they were the article. A preview shows the
extracted headline, outlet, date, byline, word count and first paragraph, and flags text that is
too short to be a whole article. Pure functions: no fetching, no storage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from .chunking import count_words
from .models import Document
from .sources import _truncate as truncate  # the same word-boundary cut as extracted titles

log = logging.getLogger(__name__)

# Fewer words than this is flagged. Why 150: full news articles run to several hundred words (the
# bundled sample has 452, the shortest of the 88 dev articles 346), while a paywall teaser or a
# JavaScript shell extracts to a standfirst and a sentence or two (20-100 words). A genuine wire
# brief of 100-150 words is flagged too, but a flag is only a warning: the moderator can still add.
MIN_WORDS = 150
# A paragraph shorter than this is a dateline, byline or caption, not the article's first one.
MIN_PARAGRAPH_WORDS = 8
FIRST_PARAGRAPH_CHARS = 600
# Phrases that paywalls and JavaScript-only pages put in the text they serve instead of the
# article; matched case-insensitively anywhere in the extracted text.
PAYWALL_PHRASES = (
    "subscribe to continue",
    "subscribe to read",
    "subscribers only",
    "to continue reading",
    "already a subscriber",
    "sign in to read",
    "log in to continue",
    "enable javascript",
    "javascript is disabled",
    "javascript is required",
)


@dataclass(frozen=True)
class Preview:
    """A document as it would be stored, with what a moderator needs to judge it.

    ``document`` is kept whole so that adding after a preview stores exactly what was shown,
    without fetching again.
    """

    document: Document
    headline: str
    outlet: str | None
    published: str | None
    byline: str | None
    words: int
    first_paragraph: str
    too_short: bool
    warnings: tuple[str, ...] = ()
    # The id of the same article already in the library (same text or URL), if any.
    duplicate_of: str | None = None

    def to_json(self) -> dict:
        return {
            "headline": self.headline,
            "outlet": self.outlet,
            "published": self.published,
            "byline": self.byline,
            "url": self.document.url,
            "words": self.words,
            "first_paragraph": self.first_paragraph,
            "too_short": self.too_short,
            "warnings": list(self.warnings),
            "duplicate_of": self.duplicate_of,
        }


def outlet_of(document: Document) -> str | None:
    """The outlet: the page's own site name, else the URL's host without ``www.``."""
    if document.source:
        return document.source
    if not document.url:
        return None
    host = (urlsplit(document.url).hostname or "").lower()
    return host.removeprefix("www.") or None


def first_paragraph(text: str, headline: str, limit: int = FIRST_PARAGRAPH_CHARS) -> str:
    """The first real paragraph of stored text (one paragraph a line after cleaning).

    The headline repeated as the first line (trafilatura keeps the ``<h1>``, markdown its ``#``
    line) and short lines such as datelines and bylines are skipped; when every line is short,
    the first line that is not the headline is used.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    wanted = headline.strip().casefold()
    body = [line for line in lines if line.lstrip("# ").casefold() != wanted] or lines
    chosen = next((line for line in body if count_words(line) >= MIN_PARAGRAPH_WORDS), None)
    return truncate(chosen or (body[0] if body else ""), limit)


def make_preview(
    document: Document, duplicate_of: str | None = None, min_words: int = MIN_WORDS
) -> Preview:
    """Preview fields and warnings for ``document`` (pure; see the module docstring)."""
    words = count_words(document.text)
    warnings = []
    too_short = words < min_words
    if too_short:
        warnings.append(
            f"Only {words} words were extracted (a full article usually has {min_words} or "
            "more): the page may be paywalled or need JavaScript."
        )
    lowered = document.text.casefold()
    phrase = next((p for p in PAYWALL_PHRASES if p in lowered), None)
    if phrase is not None:
        warnings.append(f'The text says "{phrase}": it may be a teaser, not the whole article.')
    if duplicate_of is not None:
        warnings.append(f"This article is already in the library as {duplicate_of}.")
    return Preview(
        document=document,
        headline=document.title,
        outlet=outlet_of(document),
        published=document.published,
        byline=document.author,
        words=words,
        first_paragraph=first_paragraph(document.text, document.title),
        too_short=too_short,
        warnings=tuple(warnings),
        duplicate_of=duplicate_of,
    )
