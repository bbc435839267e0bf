"""Errors a user can act on.

Every exception the engine raises on purpose derives from :class:`ArticleBotError`; its message is
one sentence that is safe to show to the person who caused it (no paths from the server, no
tracebacks). Anything else that escapes is a bug and is logged in full by the front ends.
"""

from __future__ import annotations


class ArticleBotError(Exception):
    """Base class of user-facing errors: ``str(err)`` is the message to show."""


class BadInput(ArticleBotError):
    """The source, text or question given cannot be used (empty, binary, too big, wrong type)."""


class FetchError(ArticleBotError):
    """A URL could not be fetched or is not allowed (private address, timeout, wrong type)."""


class NotFound(ArticleBotError):
    """The article or library named does not exist."""


class Busy(ArticleBotError):
    """The library is being written by another process; try again shortly."""


class StorageError(ArticleBotError):
    """The data directory cannot be written (read-only, disk full)."""
