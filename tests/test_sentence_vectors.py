"""Sentence vectors stored at ingest, and several articles embedded per encoder pass.

Real SQLite and the real model: the stored vectors must be the ones answering would compute,
an old data directory without them must answer the same, and a batched import must store what
adding the articles one by one stores.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from index import sentence_vectors as sv
from index.ingest import embed_articles
from index.store import Store

FLOOD = (
    "Heavy rain flooded the river valley on Tuesday.\n"
    "About 3,000 residents were evacuated from their homes by the fire brigade.\n"
    "The mayor, Anna Keller, said the dam had held. Schools stayed closed on Wednesday.\n"
    "Engineers from the regional water board inspected the dam the next morning."
)
FIRE = (
    "A fire destroyed a timber warehouse in the harbour district on Friday night. "
    "Forty firefighters fought the blaze for six hours. "
    "Nobody was injured, the fire service said. "
    "The owner, Lars Brandt, estimated the damage at two million euros."
)
ELECTION = (
    "Voters in the northern province elected a new governor on Sunday. "
    "Maria Ortega won 54 percent of the vote. "
    "Turnout was 61 percent, the highest in twenty years. "
    "Her opponent conceded before midnight."
)


def _rows(engine) -> dict[int, tuple[str, bytes]]:
    db = engine.store.conn()
    return {
        r[0]: (r[1], r[2])
        for r in db.execute("SELECT article, encoder, vectors FROM sentence_vectors")
    }


def _quoted(answer) -> tuple:
    """What an answer quotes and marks (scores may differ in the last float digit)."""
    return answer.answer, [
        (p.article_id, p.start, p.end, p.answer_start, p.answer_end) for p in answer.passages
    ]


def _article_row(engine, library: str, article_id: str) -> int:
    return engine.store.article(library, article_id).id


def test_ingest_stores_the_vectors_answering_would_compute(make_engine, encoder):
    engine = make_engine()
    added = engine.library("news").add_text(FLOOD, title="Flood")
    row = _article_row(engine, "news", added.article_id)
    sentences = engine.store.sentences(row)
    stored = sv.get(engine.store.conn(), row, encoder.tag, sentences)
    assert stored is not None and stored.shape == (len(sentences), encoder.dim)
    fresh = encoder.encode_documents(sv.sentence_texts(engine.store.article_text(row), sentences))
    assert np.allclose(stored, fresh, atol=1e-5)


def test_answering_reads_stored_vectors_instead_of_embedding_sentences(make_engine):
    engine = make_engine()
    library = engine.library("news")
    added = library.add_text(FLOOD, title="Flood")
    view = engine.article_view(_article_row(engine, "news", added.article_id))
    vectors = engine.sentence_vectors
    assert vectors.prefetch(view)
    before = vectors.embedded
    texts = sv.sentence_texts(view.text, view.sentences)
    out = vectors.encode(texts)
    assert vectors.embedded == before  # every sentence came from the store
    assert out.shape == (len(texts), engine.encoder.dim)
    # A text that is not a stored sentence (an answer-span candidate) is embedded.
    vectors.encode(["the fire brigade"])
    assert vectors.embedded == before + 1
    answer = library.ask("How many residents were evacuated?")
    assert "3,000" in answer.passages[0].text


def test_an_old_home_without_sentence_vectors_answers_the_same(make_engine, tmp_path):
    home = tmp_path / "old"
    first = make_engine(home=home)
    library = first.library("news")
    for text, title in ((FLOOD, "Flood"), (FIRE, "Fire"), (ELECTION, "Election")):
        library.add_text(text, title=title)
    questions = ["How many residents were evacuated?", "Who won the election?", "Who owns it?"]
    expected = [_quoted(library.ask(q)) for q in questions]
    first.close()
    # A data directory written before sentence vectors existed has no rows for its articles.
    db = sqlite3.connect(home / "articlebot.sqlite3")
    db.execute("DELETE FROM sentence_vectors")
    db.commit()
    db.close()

    second = make_engine(home=home)
    library = second.library("news")
    assert [_quoted(library.ask(q)) for q in questions] == expected
    assert second.sentence_vectors.embedded > 0  # it had to embed the sentences
    # A rebuild stores them again.
    library.rebuild()
    assert len(_rows(second)) == 3
    third = make_engine(home=home)
    assert [_quoted(third.library("news").ask(q)) for q in questions] == expected
    hits = third.sentence_vectors.stored_hits
    assert hits > 0


def test_stale_or_foreign_rows_are_ignored(make_engine, encoder):
    engine = make_engine()
    added = engine.library("news").add_text(FLOOD, title="Flood")
    row = _article_row(engine, "news", added.article_id)
    sentences = engine.store.sentences(row)
    db = engine.store.conn()
    assert sv.get(db, row, encoder.tag, sentences) is not None
    # Another encoder's vectors, or vectors of another split of the text, are not used.
    assert sv.get(db, row, "another-model|onnx", sentences) is None
    resplit = [(sentences[0][0], sentences[1][1]), *sentences[2:]]
    assert sv.get(db, row, encoder.tag, resplit) is None


def test_removing_an_article_removes_its_sentence_vectors(make_engine):
    engine = make_engine()
    library = engine.library("news")
    flood = library.add_text(FLOOD, title="Flood")
    library.add_text(FIRE, title="Fire")
    assert len(_rows(engine)) == 2
    library.remove(flood.article_id)
    assert len(_rows(engine)) == 1


def test_existing_database_gets_the_table(tmp_path):
    path = tmp_path / "articlebot.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE sentence_vectors")  # as a data directory of the previous version
    db.commit()
    db.close()
    store = Store(path)
    names = {r[0] for r in store.conn().execute("SELECT name FROM sqlite_master")}
    store.close()
    assert "sentence_vectors" in names


def test_batched_import_stores_what_single_adds_store(make_engine, tmp_path):
    records = [
        {"title": "Flood", "text": FLOOD},
        {"title": "Fire", "text": FIRE},
        {"title": "Flood again", "text": FLOOD},  # a duplicate inside the batch
        {"title": "Election", "text": ELECTION},
    ]
    batched = make_engine(home=tmp_path / "batched")
    results = batched.library("news").import_records(records)
    assert [r.duplicate for r in results] == [False, False, True, False]
    single = make_engine(home=tmp_path / "single")
    for record in records:
        single.library("news").add_text(record["text"], title=record["title"])

    def stored(engine):
        db = engine.store.conn()
        chunks = db.execute(
            "SELECT a.article_id, c.start, c.end, c.vector FROM chunks c"
            " JOIN articles a ON a.id = c.article ORDER BY c.id"
        ).fetchall()
        return chunks, _rows(engine)

    (chunks_b, rows_b), (chunks_s, rows_s) = stored(batched), stored(single)
    assert [c[:3] for c in chunks_b] == [c[:3] for c in chunks_s]
    for b, s in zip(chunks_b, chunks_s, strict=True):
        assert np.allclose(
            np.frombuffer(b[3], np.float32), np.frombuffer(s[3], np.float32), atol=1e-5
        )
    assert rows_b.keys() == rows_s.keys()
    for row, (tag, blob) in rows_b.items():
        assert tag == rows_s[row][0]
        assert np.allclose(
            np.frombuffer(blob, np.float32), np.frombuffer(rows_s[row][1], np.float32), atol=1e-5
        )


def test_embed_articles_groups_keep_order_and_pass_through(encoder):
    from index.chunking import ChunkerSettings

    calls = []

    def embed(texts):
        calls.append(len(texts))
        return encoder.encode_documents(texts)

    items = [
        ("a", "Flood", FLOOD),
        ("dup", "Fire", None),
        ("b", "Fire", FIRE),
        ("c", "E", ELECTION),
    ]
    out = list(
        embed_articles(
            items,
            ChunkerSettings(),
            lambda title, text, spans: [f"{title}. {text[s:e]}" for s, e in spans],
            embed,
            group_texts=10,  # small groups: the first group closes after the flood article
        )
    )
    assert [key for key, _ in out] == ["a", "dup", "b", "c"]
    assert out[1][1] is None
    for (_, title, text), (_, ready) in zip(items, out, strict=True):
        if text is None:
            continue
        assert len(ready.chunk_vectors) == len(ready.spans) > 0
        assert len(ready.sentence_vectors) == len(ready.sentences)
        alone = encoder.encode_documents([f"{title}. {text[s:e]}" for s, e in ready.spans])
        assert np.allclose(ready.chunk_vectors, alone, atol=1e-5)
    assert len(calls) < 3  # several articles per encoder call
