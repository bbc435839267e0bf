"""Embedding backends (torch, ONNX, ONNX int8) and the dense index kinds (flat, HNSW).

The ONNX export happens at most once per session, into the session's model cache (conftest).
The dense-index tests use random unit vectors and need no model. No test here looks at time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import MODEL_CACHE

from index.dense import DenseIndex

SENTENCES = [
    "A strong earthquake struck the coastal city of Izmir on Friday.",
    "Twenty-five people were killed and more than 800 were injured.",
    "The mayor, Anna Keller, said the dam had held.",
    "Trains between the two cities were cancelled.",
    "How many people were killed?",
]


@pytest.fixture(scope="session")
def onnx_encoders(encoder):
    """ONNX fp32 and int8 encoders over the session's cached export (exported here at most once)."""
    from index.embedding import Encoder

    found = {}
    for backend in ("onnx", "onnx-int8"):
        enc = (
            encoder
            if encoder.backend == backend
            else Encoder(backend=backend, cache_dir=MODEL_CACHE)
        )
        enc.warm_up()
        found[backend] = enc
    return found


@pytest.fixture(scope="session")
def torch_encoder(encoder):
    from index.embedding import Encoder

    if encoder.backend == "torch":
        return encoder
    enc = Encoder(backend="torch")
    enc.warm_up()
    return enc


@pytest.mark.slow
def test_onnx_vectors_match_torch(torch_encoder, onnx_encoders):
    reference = torch_encoder.encode_documents(SENTENCES)
    queries = torch_encoder.encode_queries(SENTENCES[-1:])
    for backend, floor in (("onnx", 0.999), ("onnx-int8", 0.99)):
        enc = onnx_encoders[backend]
        vectors = enc.encode_documents(SENTENCES)
        assert vectors.shape == reference.shape and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert (vectors * reference).sum(axis=1).min() > floor, backend
        assert float(enc.encode_queries(SENTENCES[-1:])[0] @ queries[0]) > floor


def test_cached_export_is_reused(onnx_encoders, monkeypatch):
    from index import embedding

    folder = embedding.onnx_dir(embedding.bundled_model_path(), MODEL_CACHE)
    files = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    int8 = f"model-int8-{embedding.INT8_RECIPE}.onnx"
    assert {"model.onnx", int8, "tokenizer.json", "config.json"} <= set(files)

    def no_export(*args, **kwargs):
        raise AssertionError("the cached export should have been used")

    monkeypatch.setattr(embedding, "export_onnx", no_export)
    again = embedding.Encoder(backend="onnx-int8", cache_dir=MODEL_CACHE)
    assert again.encode_queries(["Who is the mayor?"]).shape == (1, 384)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == files


def test_model_hash_is_remembered_and_follows_the_files(tmp_path):
    from index.embedding import model_hash

    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"one")
    memo = tmp_path / "memo"
    first = model_hash(model, memo)
    assert json.loads((memo / "hashes.json").read_text()) == {
        next(iter(json.loads((memo / "hashes.json").read_text()))): first
    }
    assert model_hash(model, memo) == first
    (model / "weights.bin").write_bytes(b"two!")
    assert model_hash(model, memo) != first


@pytest.mark.slow
def test_onnx_process_never_imports_torch(onnx_encoders, tmp_path):
    """With the export cached, a whole engine (seed, index, ask) runs without torch."""
    code = f"""
import sys
from pathlib import Path
from index import Engine, EngineConfig
engine = Engine(EngineConfig(home=Path({str(tmp_path / "home")!r}), embedding_backend="onnx-int8",
                             model_cache=Path({str(MODEL_CACHE)!r})))
answer = engine.library("local").ask("How many people were killed?")
assert answer.passages, answer
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
assert not heavy, heavy
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


@pytest.mark.slow
def test_backend_change_reembeds_the_library(make_engine, encoder, onnx_encoders, tmp_path, caplog):
    from index import Engine, EngineConfig

    home = tmp_path / "h"
    first = make_engine(home=home)
    first.library("news").add_text(
        "Heavy rain flooded the river valley on Tuesday.\n"
        "About 3,000 residents were evacuated from their homes by the fire brigade.\n"
        "The mayor, Anna Keller, said the dam had held.",
        title="Flood",
    )
    first.close()
    other = onnx_encoders["onnx" if encoder.backend != "onnx" else "onnx-int8"]
    assert other.backend != encoder.backend
    with caplog.at_level("WARNING", logger="index"):
        second = Engine(EngineConfig(home=home, seed_samples=False), encoder=other)
        answer = second.library("news").ask("How many residents were evacuated?")
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "differs in backend" in messages and "re-embedding" in messages
    assert "3,000" in answer.passages[0].text
    manifest = json.loads((second.index_folder("news") / "manifest.json").read_text())
    assert manifest["backend"] == other.vectors_id
    assert second.store.meta("vectors:news").split("|")[1] == other.vectors_id
    second.close()


def test_settings_read_the_backend(tmp_path):
    from bot.settings import Settings
    from index import BadInput
    from index.embedding import DEFAULT_BACKEND

    settings = Settings.load(env={"ARTICLEBOT_HOME": str(tmp_path)}, dotenv=False)
    assert settings.embedding_backend == DEFAULT_BACKEND
    assert settings.engine_config().model_cache == tmp_path / "models"
    chosen = Settings.load(
        env={"EMBEDDING_BACKEND": "Torch", "ARTICLEBOT_MODEL_CACHE": str(tmp_path / "m")},
        dotenv=False,
    )
    assert chosen.engine_config().embedding_backend == "torch"
    assert chosen.engine_config().model_cache == tmp_path / "m"
    with pytest.raises(BadInput):
        Settings.load(env={"EMBEDDING_BACKEND": "tpu"}, dotenv=False)


# -- dense index kinds -------------------------------------------------------------------------


def _unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _top1(dense: DenseIndex, vectors: np.ndarray) -> list[int]:
    return [int(dense.search(v, 1)[0][0]) for v in vectors]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_dense_search_extend_mask_save_load(kind, tmp_path):
    rng = np.random.default_rng(7)
    vectors = _unit(rng, 600)
    ids = np.arange(10, 610, dtype=np.int64)
    base = DenseIndex.build(32, ids[:500], vectors[:500], kind=kind)
    assert base.kind == kind and len(base) == 500
    assert _top1(base, vectors[:50]) == ids[:50].tolist()

    grown = base.extended(ids[500:], vectors[500:])
    assert len(grown) == 600 and np.array_equal(grown.ids, ids)
    assert _top1(grown, vectors[550:560]) == ids[550:560].tolist()
    # The older view still answers from its own 500 vectors only.
    found, _ = base.search(vectors[555], 20)
    assert found.max() < 510 and len(base) == 500
    with pytest.raises(ValueError):
        base.extended(ids[:1] + 10_000, vectors[:1])

    removed = ids[100:120]
    masked = grown.without(removed)
    assert len(masked) == 580 and not np.isin(removed, masked.ids).any()
    for v in vectors[100:120]:
        hits, _ = masked.search(v, 10)
        assert not np.isin(hits, removed).any()

    folder = tmp_path / kind
    folder.mkdir()
    names, layout = base.save(folder, "dense-a")
    assert {"dense-a.faiss", "dense-a.ids.npy"} <= set(names)
    # After an append, a save writes only a delta beside the base file.
    names2, layout2 = masked.save(folder, "dense-b")
    assert layout2["base"] == "dense-a" and len(layout2["deltas"]) == 1
    assert "dense-b.faiss" not in names2 and all((folder / n).exists() for n in names2)
    loaded = DenseIndex.load(folder, layout2["base"], 32, layout2)
    assert loaded.kind == kind and np.array_equal(loaded.ids, masked.ids)
    assert _top1(loaded, vectors[550:560]) == ids[550:560].tolist()
    hits, _ = loaded.search(vectors[110], 10)
    assert not np.isin(hits, removed).any()
    # And the loaded index can itself be extended and saved again.
    more = loaded.extended(np.array([5000], dtype=np.int64), _unit(rng, 1))
    names3, layout3 = more.save(folder, "dense-c")
    assert len(layout3["deltas"]) == 2 and layout3["n"] == 601


def test_masking_many_calls_for_a_rebuild():
    rng = np.random.default_rng(1)
    dense = DenseIndex.build(32, np.arange(100), _unit(rng, 100), kind="flat")
    assert not dense.without(np.arange(5)).needs_rebuild()
    assert dense.without(np.arange(20)).needs_rebuild()


def test_old_single_file_layout_still_loads(tmp_path):
    import faiss

    rng = np.random.default_rng(3)
    vectors = _unit(rng, 40)
    index = faiss.IndexFlatIP(32)
    index.add(vectors)
    faiss.write_index(index, str(tmp_path / "dense-old.faiss"))
    np.save(tmp_path / "dense-old.ids.npy", np.arange(40, dtype=np.int64))
    loaded = DenseIndex.load(tmp_path, "dense-old", 32)
    assert _top1(loaded, vectors[:5]) == [0, 1, 2, 3, 4]


def test_engine_add_extends_the_index_incrementally(make_engine):
    """An add under the write lock appends to the dense index instead of rebuilding it."""
    engine = make_engine()
    lib = engine.library("news")
    lib.add_text("The dam held after record rain. Engineers inspected it on Thursday.", title="Dam")
    first = engine.snapshot("news").dense
    lib.add_text("Trains between the two cities were cancelled on Monday.", title="Trains")
    second = engine.snapshot("news").dense
    assert second._store is first._store and len(second) > len(first)
    assert lib.ask("Were the trains cancelled?").passages[0].title == "Trains"
    lib.remove(lib.list()[0].article_id)
    third = engine.snapshot("news").dense
    assert len(third) == len(second) - len(first)
    assert all(p.title == "Trains" for p in lib.ask("Did the dam hold?").passages)
