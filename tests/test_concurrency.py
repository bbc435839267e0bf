"""Concurrency: questions while writing, duplicate adds racing, libraries not blocking each
other, and two processes importing into one data directory.

Real threads against the facade and real ``articlebot import`` processes; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sample_articles import SMALL_FERRY as FERRY
from sample_articles import SMALL_FLOOD as FLOOD
from sample_articles import SMALL_QUAKE as QUAKE

from index import Engine, EngineConfig

# A long article: adding it embeds many chunks, so it holds the library's write lock a while.
REPORT = "\n".join(
    f"Section {n} of the audit found that depot {n} had spent {n * 731 + 19} euros on fuel."
    for n in range(1, 401)
)
# An answer must come back within this many seconds while a write is going on (the machine
# is shared; an answer that had to wait for the whole write would take far longer).
PROMPT = 8.0


def _ask_timed(library, question: str) -> tuple[float, object]:
    started = time.monotonic()
    answer = library.ask(question)
    return time.monotonic() - started, answer


def _passages_are_verbatim(engine: Engine, library: str, answer) -> None:
    for passage in answer.passages:
        text = engine.store.article(library, passage.article_id).text
        assert passage.text == text[passage.start : passage.end]


@pytest.mark.slow
def test_questions_during_a_long_add_come_from_the_last_complete_index(make_engine):
    engine = make_engine()
    news = engine.library("news")
    news.add_text(FLOOD, title="Flood")
    news.add_text(FERRY, title="Ferry")
    other = engine.library("other")
    other.add_text(QUAKE, title="Quake")
    other.add_text(FERRY, title="Ferry")
    before = engine.snapshot("news")
    errors: list[BaseException] = []

    def add() -> None:
        try:
            news.add_text(REPORT, title="Audit")
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    writer = threading.Thread(target=add)
    writer.start()
    lock = engine.write_lock("news")
    while lock.acquire(blocking=False):  # wait until the writer holds the library
        lock.release()
        time.sleep(0.005)
    timings, answered_during = [], 0
    while writer.is_alive():
        seconds, answer = _ask_timed(news, "How many residents were evacuated?")
        timings.append(seconds)
        answered_during += writer.is_alive()
        if "Audit" not in {p.title for p in answer.passages}:  # not swapped in yet
            assert "3,000" in answer.passages[0].text
            _passages_are_verbatim(engine, "news", answer)
        seconds, answer = _ask_timed(other, "How many people were killed?")
        timings.append(seconds)
        answered_during += writer.is_alive()
        assert "killed" in answer.passages[0].text
    writer.join()
    assert not errors, errors
    # The model is shared: an add embeds a slice at a time so that questions get in between,
    # instead of all waiting for the whole article.
    assert answered_during >= 3, timings
    assert max(timings) < PROMPT, timings
    assert engine.snapshot("news") is not before
    answer = news.ask("How much did depot 17 spend on fuel?")
    assert answer.passages[0].title == "Audit" and "12446" in answer.passages[0].text


def test_questions_during_rebuild_see_the_old_or_the_new_index_only(make_engine):
    engine = make_engine()
    news = engine.library("news")
    for n in range(5):
        news.add_text(f"{FLOOD}\nUpdate {n} was issued by the agency.", title=f"Flood {n}")
    news.add_text(QUAKE, title="Quake")
    old = engine.snapshot("news")
    seen = []
    started = threading.Event()
    worker = threading.Thread(
        target=news.rebuild, kwargs={"progress": lambda done, total: started.set()}
    )
    worker.start()
    assert started.wait(60)
    while worker.is_alive():
        seen.append(engine.snapshot("news"))
        seconds, answer = _ask_timed(news, "How many people were killed?")
        assert seconds < PROMPT and answer.passages[0].title == "Quake"
        _passages_are_verbatim(engine, "news", answer)
    worker.join()
    new = engine.snapshot("news")
    assert seen and all(s is old or s is new for s in seen)
    assert [r.id for r in engine.store.chunk_rows("news")] == list(new.chunks.ids)


def test_a_held_write_never_blocks_questions_in_this_or_another_library(make_engine):
    engine = make_engine()
    for name, text, title in (("a", FLOOD, "Flood"), ("b", QUAKE, "Quake")):
        engine.library(name).add_text(text, title=title)
        engine.library(name).add_text(FERRY, title="Ferry")
    holding, release = threading.Event(), threading.Event()

    class Abandon(Exception):
        """Ends the held write without committing it."""

    def writer() -> None:
        # What a long add of library "a" holds: its lock here and SQLite's write lock.
        try:
            with engine.write_lock("a"), engine.store.write() as db:
                engine.store.bump_generation(db, "a")
                holding.set()
                release.wait(60)
                raise Abandon
        except Abandon:
            pass

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(30)
        seconds, answer = _ask_timed(engine.library("b"), "How many people were killed?")
        assert seconds < PROMPT and "killed" in answer.passages[0].text
        seconds, answer = _ask_timed(engine.library("a"), "How many residents were evacuated?")
        assert seconds < PROMPT and "3,000" in answer.passages[0].text
        assert [a.title for a in engine.library("a").list()] == ["Flood", "Ferry"]
        assert thread.is_alive()
    finally:
        release.set()
        thread.join()


def test_same_article_added_at_once_through_two_engines_is_stored_once(make_engine, tmp_path):
    home = tmp_path / "shared"
    engines = [make_engine(home=home), make_engine(home=home)]
    engines[0].library("news").add_text(FERRY, title="Ferry")
    libraries = [e.library("news") for e in engines for _ in range(2)]  # 4 Library objects
    barrier = threading.Barrier(len(libraries))
    results, errors = [], []

    def add(library) -> None:
        try:
            barrier.wait(30)
            results.append(library.add_text(QUAKE, title="Quake"))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=add, args=(lib,)) for lib in libraries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({r.article_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    for engine in engines:
        assert [a.title for a in engine.library("news").list()] == ["Ferry", "Quake"]
        answer = engine.library("news").ask("How many people were killed?")
        assert "killed" in answer.passages[0].text  # both engines see it, index included


# --- two processes --------------------------------------------------------------------------


def _records(first: int, last: int) -> list[dict]:
    return [
        {
            "article_id": f"town-{n:02d}",
            "title": f"Town {n} opens a library",
            "text": (
                f"The town of Testville{n} opened its new public library on Saturday.\n"
                f"The building holds {n * 1111 + 7} books and a reading room for children.\n"
                "The mayor thanked the volunteers who had raised the money over three years."
            ),
        }
        for n in range(first, last)
    ]


@pytest.mark.slow
def test_two_processes_importing_into_one_home_store_each_article_once(tmp_path, encoder):
    home = tmp_path / "home"
    files = []
    for name, (first, last) in {"a": (0, 16), "b": (8, 24)}.items():  # 8 articles in both
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in _records(first, last)))
        files.append(path)
    env = {
        **os.environ,
        "ARTICLEBOT_HOME": str(home),
        "ARTICLEBOT_SEED_SAMPLES": "0",
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("DISCORD_TOKEN", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for path in files
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        if process.returncode == 2:  # told the library is busy: one line, nothing else
            busy = "articlebot: The library is busy with another write; try again in a moment."
            assert err.strip() == busy, err
        else:
            assert process.returncode == 0, err
            assert out.startswith("imported "), out
    assert any(p.returncode == 0 for p in processes)

    db = sqlite3.connect(home / "articlebot.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = [r[0] for r in db.execute("SELECT article_id FROM articles ORDER BY article_id")]
        bad = db.execute(
            "SELECT COUNT(*) FROM chunks WHERE vector IS NULL OR length(vector) != 1536"
            " OR article NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
        empty = db.execute(
            "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM chunks c WHERE c.article = a.id)"
        ).fetchone()[0]
    finally:
        db.close()
    assert len(ids) == len(set(ids)) and bad == 0 and empty == 0
    if all(p.returncode == 0 for p in processes):
        assert ids == [r["article_id"] for r in _records(0, 24)]
        added = [int(out.split()[1]) for out, _ in outputs]
        assert sum(added) == 24  # each article added by exactly one of them
    engine = Engine(EngineConfig(home=home, seed_samples=False), encoder=encoder)
    try:
        library = engine.library("local")
        assert list(engine.snapshot("local").chunks.ids) == [
            r.id for r in engine.store.chunk_rows("local")
        ]
        # A process told "busy" stored nothing: ask only about the articles that were stored.
        stored = [n for n in (3, 12, 20) if f"town-{n:02d}" in ids]
        assert stored
        for n in stored:
            answer = library.ask(f"How many books does the library of Testville{n} hold?")
            assert answer.passages and answer.passages[0].article_id == f"town-{n:02d}"
    finally:
        engine.close()


def test_cli_import_reports_busy_in_one_line_when_the_write_lock_stays_taken(tmp_path):
    """The second writer waits up to the busy timeout; then it is told, in one line."""
    home = tmp_path / "home"
    home.mkdir()
    # Another process (here: this one) holds SQLite's write lock for the whole run.
    db = sqlite3.connect(home / "articlebot.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        code = (
            "import sys, index.store as s; s.BUSY_TIMEOUT_MS = 300; "
            "from bot.cli import main; sys.exit(main(sys.argv[1:]))"
        )
        env = {**os.environ, "ARTICLEBOT_HOME": str(home), "ARTICLEBOT_SEED_SAMPLES": "0"}
        result = subprocess.run(
            [sys.executable, "-c", code, "list"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "articlebot: The library is busy with another write; try again in a moment."
    )
    assert "Traceback" not in result.stderr
    assert not Path(str(home) + "/indexes").exists()
