"""ArticleBot's engine: store, chunking, embedding, indexes, retrieval and quoted answers.

No Discord here: ``bot`` imports ``index``, never the other way round.
"""

from .config import DEFAULT_LIBRARY, EngineConfig
from .errors import ArticleBotError, BadInput, Busy, FetchError, NotFound, StorageError
from .library import Engine, Library
from .models import AddResult, Answer, ArticleInfo, Document, Passage

__all__ = [
    "DEFAULT_LIBRARY",
    "AddResult",
    "Answer",
    "ArticleBotError",
    "ArticleInfo",
    "BadInput",
    "Busy",
    "Document",
    "Engine",
    "EngineConfig",
    "FetchError",
    "Library",
    "NotFound",
    "Passage",
    "StorageError",
]
