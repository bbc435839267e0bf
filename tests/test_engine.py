"""The engine through its facade: store round trips, duplicates, removal, derived-index repair."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import pytest

from index import BadInput, NotFound

EARTHQUAKE = (
    "A strong earthquake struck the coastal city of Izmir on Friday.\n"
    "Twenty-five people were killed and more than 800 were injured, the disaster agency said.\n"
    "Rescue teams searched collapsed buildings through the night.\n"
    "The quake had a magnitude of 7.0, according to the US Geological Survey.\n"
    "Officials said schools would stay closed until Monday."
)
FLOOD = (
    "Heavy rain flooded the river valley on Tuesday.\n"
    "About 3,000 residents were evacuated from their homes by the fire brigade.\n"
    "The mayor, Anna Keller, said the dam had held.\n"
    "Trains between the two cities were cancelled."
)


def _stored_text(engine, library, article_id):
    return engine.store.article(library, article_id).text


def test_engine_does_not_import_discord():
    """Every module of the engine, imported in a fresh interpreter, leaves discord unloaded."""
    code = (
        "import importlib, pkgutil, sys, index\n"
        "names = [m.name for m in pkgutil.walk_packages(index.__path__, 'index.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), sorted(m for m in sys.modules if m.split('.')[0] == 'discord'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    imported, discord_modules = result.stdout.strip().split(" ", 1)
    assert int(imported) >= 20, result.stdout  # the whole engine was imported, not just its root
    assert discord_modules == "[]", f"the engine imported {discord_modules}"


def test_add_ask_quotes_verbatim_with_offsets(make_engine):
    engine = make_engine()
    lib = engine.library("news")
    added = lib.add_text(EARTHQUAKE, title="Quake hits Izmir", url="https://example.org/quake")
    assert not added.duplicate and added.chunks >= 1
    answer = lib.ask("How many people were killed?")
    assert answer.found
    text = _stored_text(engine, "news", added.article_id)
    for p in answer.passages:
        assert p.text == text[p.start : p.end]
        assert len(p.text.split()) <= 150
    best = answer.passages[0]
    assert "killed" in best.text
    assert best.answer_text == "Twenty-five"
    assert answer.answer == "Twenty-five"
    assert text[best.answer_start : best.answer_end] == "Twenty-five"


def test_duplicate_by_text_or_url_reports_existing_id(make_engine):
    lib = make_engine().library("news")
    first = lib.add_text(EARTHQUAKE, title="Quake")
    again = lib.add_text(EARTHQUAKE + "\n\n", title="Other title")
    assert again.duplicate and again.article_id == first.article_id
    by_url = lib.add_text(FLOOD, title="x", url="https://example.org/a")
    same_url = lib.add_text(FLOOD + " More.", title="y", url="https://example.org/a")
    assert same_url.duplicate and same_url.article_id == by_url.article_id
    assert len(lib.list()) == 2


def test_libraries_are_isolated(make_engine):
    engine = make_engine()
    engine.library("guild-a").add_text(EARTHQUAKE, title="Quake")
    engine.library("guild-b").add_text(FLOOD, title="Flood")
    answer = engine.library("guild-b").ask("How many people were killed in the earthquake?")
    assert all(p.title == "Flood" for p in answer.passages)
    assert [a.title for a in engine.library("guild-a").list()] == ["Quake"]


def test_remove_deletes_article_and_its_chunks(make_engine):
    engine = make_engine()
    lib = engine.library("news")
    quake = lib.add_text(EARTHQUAKE, title="Quake")
    lib.add_text(FLOOD, title="Flood")
    removed = lib.remove(quake.article_id)
    assert removed.title == "Quake"
    assert [a.title for a in lib.list()] == ["Flood"]
    answer = lib.ask("What magnitude was the earthquake?")
    assert all(p.article_id != quake.article_id for p in answer.passages)
    with pytest.raises(NotFound):
        lib.remove(quake.article_id)


def test_empty_question_and_empty_text_are_refused(make_engine):
    lib = make_engine().library("news")
    with pytest.raises(BadInput):
        lib.add_text("   \n ", title="Nothing")
    with pytest.raises(BadInput):
        lib.ask("   ")
    with pytest.raises(BadInput):
        lib.ask("🙂🙂 ?!")
    assert lib.list() == []


def test_long_question_gets_an_answer_not_a_crash(make_engine):
    lib = make_engine().library("news")
    lib.add_text(EARTHQUAKE, title="Quake")
    answer = lib.ask("How many people were killed? " * 400)
    assert answer.passages and "killed" in answer.passages[0].text


def test_empty_library_answers_nothing_found(make_engine):
    answer = make_engine().library("empty").ask("How many people were killed?")
    assert answer.answer is None and answer.passages == []


def test_seed_samples_once_at_creation(make_engine, tmp_path):
    home = tmp_path / "seeded"
    engine = make_engine(home=home, seed=True)
    lib = engine.library("local")
    assert [a.article_id for a in lib.list()] == ["baghdad-embassy"]
    lib.remove("baghdad-embassy")
    engine.close()
    reopened = make_engine(home=home, seed=True)
    assert reopened.library("local").list() == []  # not re-seeded on a later start


def test_saved_index_is_reused_then_rebuilt_when_corrupt(make_engine, tmp_path, caplog):
    home = tmp_path / "h"
    engine = make_engine(home=home)
    lib = engine.library("news")
    lib.add_text(EARTHQUAKE, title="Quake")
    lib.add_text(FLOOD, title="Flood")
    folder = engine.index_folder("news")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["chunks"] == engine.store.chunk_count("news")
    assert manifest["model"] == engine.encoder.model_name and manifest["dim"] == 384
    engine.close()

    # Clean start: the saved index is loaded as it is, nothing rebuilt.
    caplog.clear()
    with caplog.at_level("INFO", logger="index"):
        reopened = make_engine(home=home)
        assert reopened.library("news").ask("Who is the mayor?").passages
    assert not [r for r in caplog.records if "rebuild" in r.getMessage()]
    reopened.close()

    # Garbage in the FAISS file: detected, rebuilt from SQLite, questions answered.
    (folder / f"{manifest['dense']}.faiss").write_bytes(b"garbage" * 10)
    caplog.clear()
    with caplog.at_level("WARNING", logger="index"):
        repaired = make_engine(home=home)
        answer = repaired.library("news").ask("Who is the mayor?")
    assert "Anna Keller" in answer.passages[0].text
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert len(repaired.library("news").list()) == 2


def test_manifest_from_another_model_triggers_rebuild(make_engine, tmp_path, caplog):
    home = tmp_path / "h"
    engine = make_engine(home=home)
    engine.library("news").add_text(FLOOD, title="Flood")
    folder = engine.index_folder("news")
    engine.close()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["model"] = "some-other-model"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level("WARNING", logger="index"):
        answer = make_engine(home=home).library("news").ask("How many residents were evacuated?")
    assert any("differs in model" in r.getMessage() for r in caplog.records)
    assert "3,000" in answer.passages[0].text


def test_stale_index_after_another_process_wrote_is_rebuilt(make_engine, tmp_path):
    home = tmp_path / "h"
    first = make_engine(home=home)
    first.library("news").add_text(FLOOD, title="Flood")
    second = make_engine(home=home)  # e.g. the CLI adding while the bot runs
    second.library("news").add_text(EARTHQUAKE, title="Quake")
    third = make_engine(home=home)
    answer = third.library("news").ask("How many people were killed?")
    assert answer.passages[0].title == "Quake"


def test_rebuild_reports_progress_and_keeps_articles(make_engine):
    lib = make_engine().library("news")
    lib.add_text(EARTHQUAKE, title="Quake")
    lib.add_text(FLOOD, title="Flood")
    seen: list[tuple[int, int]] = []
    chunks = lib.rebuild(progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert chunks == sum(a.chunks for a in lib.list())
    assert lib.ask("Who is the mayor?").passages[0].title == "Flood"


def test_questions_are_answered_while_a_rebuild_runs(make_engine):
    lib = make_engine().library("news")
    for i in range(6):
        lib.add_text(f"{FLOOD}\nUpdate number {i} was issued.", title=f"Flood {i}")
    lib.add_text(EARTHQUAKE, title="Quake")
    started = threading.Event()
    answers = []

    def progress(done, total):
        started.set()

    worker = threading.Thread(target=lib.rebuild, kwargs={"progress": progress})
    worker.start()
    assert started.wait(30)
    while worker.is_alive() and len(answers) < 3:
        answers.append(lib.ask("How many people were killed?"))
    worker.join()
    assert answers and all(a.passages[0].title == "Quake" for a in answers)


def test_concurrent_adds_of_the_same_article_store_it_once(make_engine):
    lib = make_engine().library("news")
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(lib.add_text(EARTHQUAKE, "Q")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.article_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    assert len(lib.list()) == 1


def test_database_is_wal_and_integral(make_engine, tmp_path):
    engine = make_engine(home=tmp_path / "h")
    engine.library("news").add_text(FLOOD, title="Flood")
    db = sqlite3.connect(tmp_path / "h" / "articlebot.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    missing = db.execute("SELECT COUNT(*) FROM chunks WHERE vector IS NULL").fetchone()[0]
    assert missing == 0
