"""What the question path does to be fast must not change what it finds.

Real FAISS, the real model and real SQLite: a one-thread search returns the exact neighbours
and leaves the calling thread's FAISS threads as they were, the encoder's sessions do not
spin, and the cached helpers of answering return what the uncached ones return. (How fast is
measured in bench/, never here.)
"""

from __future__ import annotations

import threading
import time

import faiss
import numpy as np
import pytest

from index import Engine, EngineConfig, answering, spans
from index.answering import ArticleView, _clip_to_words, question_type, sentence_tokens
from index.dense import DenseIndex
from index.embedding import (
    SPIN_MAX_TEXTS,
    HostLoad,
    _cpu_busy_seconds,
    cpu_flags,
    default_bulk_backend,
    prefer_spinning,
)
from index.errors import BadInput
from index.lexical import tokenize
from index.sentence_vectors import SentenceVectors


def _vectors(n: int, dim: int = 32, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_search_is_exact_and_restores_the_threads_faiss_uses():
    x = _vectors(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    dense = DenseIndex.build(32, ids, x, kind="flat")
    query = x[3] * 0.7 + x[9] * 0.3
    seen = {}

    def search_in_a_thread_using_two():
        faiss.omp_set_num_threads(2)
        seen["found"] = dense.search(query, 10)
        seen["threads after"] = faiss.omp_get_max_threads()

    worker = threading.Thread(target=search_in_a_thread_using_two)
    worker.start()
    worker.join()
    found, scores = seen["found"]
    exact = np.argsort(-(x @ query), kind="stable")[:10]
    assert list(found) == list(ids[exact])
    np.testing.assert_allclose(scores, (x @ query)[exact], rtol=0, atol=1e-5)
    # A build in the same thread later still uses both cores.
    assert seen["threads after"] == 2


def test_hnsw_search_restores_the_threads_too():
    x = _vectors(300, seed=3)
    dense = DenseIndex.build(32, np.arange(300, dtype=np.int64), x, kind="hnsw")
    before = faiss.omp_get_max_threads()
    found, _ = dense.search(x[42], 5)
    assert found[0] == 42
    assert faiss.omp_get_max_threads() == before


def test_host_load_does_not_count_this_process_own_work():
    if _cpu_busy_seconds() is None:  # not Linux: the load average stands in
        return
    busy_before, started = _cpu_busy_seconds(), time.monotonic()
    load = HostLoad()
    burn = time.process_time()
    while time.process_time() - burn < 0.6:  # this process works, as while answering
        pass
    others = load.others()
    all_busy = (_cpu_busy_seconds() - busy_before) / (time.monotonic() - started)
    # This process kept about one core busy the whole window: that core is not "others".
    assert 0.0 <= others <= all_busy - 0.5


def test_onnx_workers_spin_only_for_small_calls_on_a_quiet_host(encoder):
    # Other processes' load: spin only while they leave a core free besides this process's.
    assert prefer_spinning(0.3, 2) and prefer_spinning(2.0, 4)
    assert not prefer_spinning(0.9, 2) and not prefer_spinning(0.0, 1)
    runner = encoder._load()
    if not hasattr(runner, "session_for"):  # a torch backend has no ONNX session
        return
    bulk = runner.session_for(SPIN_MAX_TEXTS + 1)
    assert bulk.get_session_options().get_session_config_entry(
        "session.intra_op.allow_spinning"
    ) == "0"
    runner.session_for(1)  # spinning or not, by the load right now
    for spinning, session in runner._sessions.items():
        entry = session.get_session_options().get_session_config_entry(
            "session.intra_op.allow_spinning"
        )
        assert entry == ("1" if spinning else "0")
    # Both modes compute the same vectors: only how idle workers wait differs.
    spinning = runner._new_session(spinning=True)
    feeds = runner.feeds(runner.tokenizer.encode_batch(["How many people were killed?"]))
    assert np.allclose(spinning.run(None, feeds)[0], bulk.run(None, feeds)[0], atol=1e-6)


def _clip_reference(text: str, start: int, end: int, max_words: int) -> int:
    """The character loop _clip_to_words replaced, kept to compare against."""
    count, i = 0, start
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        if i >= end:
            break
        count += 1
        if count > max_words:
            break
        while i < end and not text[i].isspace():
            i += 1
    return i if count > max_words else end


def _view(text: str) -> ArticleView:
    return ArticleView(1, "a", "T", None, None, None, None, text, [(0, len(text))])


def test_clipping_to_words_counts_words_as_before():
    texts = [
        "One two three four five six seven.",
        "  leading\u00a0and\u2009thin\u3000spaces,\ttabs\nand   runs  ",
        "Zürich's mayor said: «non» — 3 000 people; 25\u202fkm.",
        "",
        "     ",
        "word",
    ]
    for text in texts:
        for start in range(0, len(text) + 1, 3):
            for end in range(start, len(text) + 1, 2):
                for cap in (0, 1, 2, 3, 5, 150):
                    got = _clip_to_words(_view(text), start, end, cap)
                    assert got == _clip_reference(text, start, end, cap), (text, start, end, cap)


def test_cached_sentence_tokens_and_question_types_are_the_uncached_ones():
    sentence = "Twenty-five people were killed in Löwenheim on Tuesday."
    assert sentence_tokens(sentence) == frozenset(tokenize(sentence))
    assert sentence_tokens(sentence) is sentence_tokens(sentence)
    for question in ("How many people were killed?", "Which militia claimed the attack?"):
        assert question_type(question) == spans.question_type.__wrapped__(question)
        assert question_type(question) is question_type(question)
    assert answering.question_type is spans.question_type


def test_an_article_is_prefetched_once_per_question(make_engine):
    engine = make_engine()
    library = engine.library("news")
    added = library.add_text(
        "Heavy rain flooded the river valley on Tuesday. About 3,000 residents were evacuated. "
        "The mayor, Anna Keller, said the dam had held.",
        title="Flood",
    )
    row = engine.store.article("news", added.article_id).id
    looked_up: list[int] = []

    def view(r: int) -> ArticleView:
        looked_up.append(r)
        return engine.article_view(r)

    vectors: SentenceVectors = engine.sentence_vectors
    hits = vectors.stored_hits
    article = vectors.articles(view)
    first, again = article(row), article(row)
    assert first is again and looked_up == [row]
    # The article's stored vectors were made available: its sentences embed nothing.
    texts = [first.text[s:e] for s, e in first.sentences]
    embedded = vectors.embedded
    assert np.allclose(vectors.encode(texts), engine.encoder.encode_documents(texts), atol=1e-5)
    assert vectors.embedded == embedded and vectors.stored_hits == hits + len(texts)
    # A new question (a new wrapper) looks the article up again.
    vectors.articles(view)(row)
    assert looked_up == [row, row]


FLOOD = (
    "Heavy rain flooded the river valley on Tuesday. About 3,000 residents were evacuated from "
    "their homes by the fire brigade. The mayor, Anna Keller, said the dam had held. Schools "
    "stayed closed on Wednesday. Engineers from the regional water board inspected the dam."
)
FIRE = (
    "A fire destroyed a timber warehouse in the harbour district on Friday night. Forty "
    "firefighters fought the blaze for six hours. Nobody was injured, the fire service said. "
    "The owner, Lars Brandt, estimated the damage at two million euros."
)


def _stored_chunk_vectors(engine) -> np.ndarray:
    rows = engine.store.conn().execute("SELECT vector FROM chunks ORDER BY id").fetchall()
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


@pytest.mark.slow
def test_a_bulk_import_on_torch_bf16_is_answered_by_onnx_without_re_embedding(
    make_engine, tmp_path, caplog
):
    home = tmp_path / "bulk"
    engine = make_engine(home=home, bulk_backend="torch-bf16")
    assert engine.encoder.backend == "onnx"
    records = [{"title": "Flood", "text": FLOOD}, {"title": "Fire", "text": FIRE}]
    engine.library("news").import_records(records, added_by="t", bulk=True)
    bulk = _stored_chunk_vectors(engine)
    # The vectors are bf16's (not the question encoder's), and the same up to rounding.
    assert engine._bulk_encoder._runner is not None
    tags = {r[0] for r in engine.store.conn().execute("SELECT encoder FROM sentence_vectors")}
    assert tags == {engine._bulk_encoder.tag} and "torch-bf16" in engine._bulk_encoder.tag
    onnx_rows = engine.embed_articles([(0, r["title"], r["text"]) for r in records])
    onnx = np.concatenate([ready.chunk_vectors for _, ready in onnx_rows])
    assert not np.array_equal(bulk, onnx)
    assert float(np.min(np.sum(bulk * onnx, axis=1))) > 0.999
    bf16 = engine._bulk_encoder
    engine.close()

    # An engine answering on torch-bf16 itself keeps the stored (ONNX-tagged library) vectors.
    with caplog.at_level("WARNING", logger="index"):
        other = Engine(EngineConfig(home=home, seed_samples=False), encoder=bf16)
        answer = other.library("news").ask("How many residents were evacuated?")
    assert "3,000" in answer.answer
    assert "re-embedding" not in caplog.text
    np.testing.assert_array_equal(_stored_chunk_vectors(other), bulk)
    other.close()

    # A bot on ONNX opens the library: no re-embedding, and answering reads the stored
    # sentence vectors instead of embedding sentences.
    bot = make_engine(home=home)
    vectors = bot.sentence_vectors
    with caplog.at_level("WARNING", logger="index"):
        answer = bot.library("news").ask("How many residents were evacuated?")
    assert "re-embedding" not in caplog.text
    assert answer.found and "3,000" in answer.answer
    assert vectors.stored_hits > 0
    np.testing.assert_array_equal(_stored_chunk_vectors(bot), bulk)


def test_a_bulk_backend_whose_vectors_differ_is_refused(make_engine):
    with pytest.raises(BadInput, match="bulk embedding backend"):
        make_engine(bulk_backend="onnx-int8")


def test_the_bulk_backend_setting():
    from bot.settings import Settings

    settings = Settings.load(env={"EMBEDDING_BULK_BACKEND": " Torch-BF16 "}, dotenv=False)
    assert settings.engine_config().bulk_backend == "torch-bf16"
    # The engine's own backend named: no separate bulk encoder.
    assert Settings.load(env={"EMBEDDING_BULK_BACKEND": "onnx"}, dotenv=False).bulk_backend == (
        "onnx"
    )
    # Unset is "auto": bf16 on a CPU with native bfloat16, else the engine's own backend.
    expected = default_bulk_backend("onnx", cpu_flags(), True)
    for env in ({}, {"EMBEDDING_BULK_BACKEND": "auto"}):
        assert Settings.load(env=env, dotenv=False).engine_config().bulk_backend == expected
    assert Settings.load(env={"EMBEDDING_BACKEND": "onnx-int8"}, dotenv=False).bulk_backend is None
    with pytest.raises(BadInput, match="EMBEDDING_BULK_BACKEND"):
        Settings.load(env={"EMBEDDING_BULK_BACKEND": "gpu"}, dotenv=False)


def test_bulk_imports_run_on_bf16_only_where_the_cpu_has_it():
    amx = frozenset({"avx512f", "amx_bf16", "amx_tile"})
    avx512_bf16 = frozenset({"avx512f", "avx512_bf16"})
    plain = frozenset({"avx2", "fma"})
    assert default_bulk_backend("onnx", amx, True) == "torch-bf16"
    assert default_bulk_backend("torch", avx512_bf16, True) == "torch-bf16"
    assert default_bulk_backend("onnx", plain, True) is None  # bf16 would be emulated: slower
    assert default_bulk_backend("onnx", amx, False) is None  # no torch installed
    # int8 vectors may not be mixed with bf16 ones: an int8 engine imports on int8.
    assert default_bulk_backend("onnx-int8", amx, True) is None
