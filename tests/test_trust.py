"""Why this passage, preview before adding, and the audit trail: through the facade and the CLI.

Everything is real: SQLite in a temporary home, the session's model, pages served over HTTP by
a local server (private addresses allowed, as in tests only).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import run_cli
from http_site import Route, Site, send, serve
from sample_articles import (
    FULL_PAGE,
    FULL_PARAGRAPHS,
    FULL_TITLE,
    LIBRARY,
    QUAKE_QUESTION,
    SHORT_PAGE,
    SHORT_TEASER,
    SHORT_TITLE,
)

from index.models import Document
from index.preview import MIN_WORDS, first_paragraph, make_preview
from index.retrieval import retrieve

# -- a local web site -------------------------------------------------------------------------


def _page(html: str) -> Route:
    return lambda h: send(h, 200, html.encode(), "text/html; charset=utf-8")


@pytest.fixture
def site() -> Iterator[Site]:
    """A real HTTP server on 127.0.0.1 serving a whole article and a paywalled teaser; it
    records every path requested, to prove what was fetched and how often."""
    pages = {"/full.html": _page(FULL_PAGE), "/short.html": _page(SHORT_PAGE)}
    with serve(pages.get) as served:
        yield served


@pytest.fixture
def library(make_engine):
    engine = make_engine(allow_private_urls=True)
    lib = engine.library("trust")
    lib.import_records(LIBRARY, added_by="seed")
    return lib


# -- 4. why this passage ----------------------------------------------------------------------


def test_explanations_are_the_evidence_the_search_produced(library) -> None:
    engine = library.engine
    answer = library.ask(QUAKE_QUESTION, k=3, explain=True)
    assert answer.found and len(answer.passages) >= 2
    # The same search, run directly: every explanation must be one of its candidates.
    query = engine.encoder.encode_queries([QUAKE_QUESTION])[0]
    candidates = retrieve(engine.snapshot(library.name), query, QUAKE_QUESTION)
    stored = {s.article_id: s.text for s in engine.store.articles(library.name)}
    for passage in answer.passages:
        why = passage.explain
        assert why is not None
        chunk = candidates[why.fused_rank - 1]
        assert (chunk.dense_rank, chunk.lexical_rank) == (why.dense_rank, why.lexical_rank)
        assert chunk.fused == pytest.approx(why.fused_score)
        assert chunk.dense_score == pytest.approx(why.dense_score)
        assert chunk.lexical_score == pytest.approx(why.lexical_score)
        assert chunk.start <= why.sentence_start < why.sentence_end <= chunk.end
        text = stored[passage.article_id]
        assert text[why.sentence_start : why.sentence_end] == why.sentence
        assert passage.start <= why.sentence_start < passage.end, "the sentence is quoted"
        if passage.answer_start is not None:
            assert why.sentence_start <= passage.answer_start < why.sentence_end
    best = answer.passages[0].explain
    assert "Twenty-five" in best.sentence or "twenty-five" in best.sentence
    assert best.sentence_score == pytest.approx(answer.passages[0].score)
    scores = [p.explain.sentence_score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)


def test_explain_changes_nothing_else_and_json_has_it_only_when_asked(library) -> None:
    plain = library.ask(QUAKE_QUESTION, k=3)
    explained = library.ask(QUAKE_QUESTION, k=3, explain=True)
    assert all(p.explain is None for p in plain.passages)
    assert [(p.text, p.start, p.score) for p in plain.passages] == [
        (p.text, p.start, p.score) for p in explained.passages
    ]
    assert all("explain" not in p for p in plain.to_json()["passages"])
    payload = json.loads(json.dumps(explained.to_json()))
    for passage in payload["passages"]:
        assert set(passage["explain"]) == {
            "dense_rank",
            "dense_score",
            "lexical_rank",
            "lexical_score",
            "fused_rank",
            "fused_score",
            "sentence",
            "sentence_start",
            "sentence_end",
            "sentence_score",
            "sentence_dense",
            "sentence_lexical",
        }
    # Lexical-only search has no dense evidence; the explanation says so instead of inventing it.
    lexical = library.ask(QUAKE_QUESTION, k=2, mode="lexical", explain=True)
    assert lexical.passages and all(p.explain.dense_rank is None for p in lexical.passages)
    assert all(p.explain.lexical_rank is not None for p in lexical.passages)


# -- 5. preview before adding -----------------------------------------------------------------


def test_preview_fields_of_a_plain_document() -> None:
    text = "Storm hits coast\nBy Staff\n" + " ".join(["Waves broke over the harbour wall."] * 40)
    preview = make_preview(Document(text=text, title="Storm hits coast", url="https://www.coast.example/a"))
    assert preview.outlet == "coast.example", "no site name: the host, without www."
    assert (preview.published, preview.byline) == (None, None)
    assert preview.words >= MIN_WORDS and not preview.too_short and preview.warnings == ()
    # The headline line and the short byline line are not the first paragraph.
    assert preview.first_paragraph.startswith("Waves broke over the harbour wall.")
    assert len(preview.first_paragraph) <= 600 and preview.first_paragraph.endswith("…")
    assert first_paragraph("Only a headline", "Only a headline") == "Only a headline"


def test_preview_of_a_page_then_add_stores_exactly_it_without_fetching_again(
    library, site
) -> None:
    before = library.count()
    preview = library.preview_source(site.url("full.html"))
    assert site.hits == ["/full.html"]
    assert library.count() == before and len(library.audit()) == len(LIBRARY), "nothing stored"
    assert (preview.headline, preview.outlet, preview.published, preview.byline) == (
        FULL_TITLE,
        "Valley News",
        "2024-05-14",
        "Maria Lopez",
    )
    assert preview.first_paragraph == FULL_PARAGRAPHS[0], "headline and dateline skipped"
    assert preview.words >= MIN_WORDS and not preview.too_short and not preview.warnings

    result = library.add_document(preview.document, added_by="mod")
    assert site.hits == ["/full.html"], "no second fetch"
    stored = library.engine.store.article(library.name, result.article_id)
    assert stored.text == preview.document.text and stored.title == preview.headline
    assert (stored.source, stored.author, stored.published) == (
        "Valley News",
        "Maria Lopez",
        "2024-05-14",
    )
    again = library.preview_source(site.url("full.html"))
    assert again.duplicate_of == result.article_id
    assert any(result.article_id in warning for warning in again.warnings)


def test_a_paywalled_teaser_is_flagged(library, site) -> None:
    preview = library.preview_source(site.url("short.html"))
    assert preview.headline == SHORT_TITLE and preview.first_paragraph == SHORT_TEASER
    assert preview.too_short and preview.words < MIN_WORDS
    assert any("may be paywalled" in w for w in preview.warnings)
    assert any("subscribe to continue" in w for w in preview.warnings)
    assert library.count() == len(LIBRARY)


# -- 6. audit ---------------------------------------------------------------------------------


def test_adds_and_removals_are_in_the_audit_trail(library) -> None:
    ids = {info.title: info.article_id for info in library.list()}
    assert all(info.added_by == "seed" and info.added_at for info in library.list())
    trail = library.audit()
    assert [(e.action, e.who) for e in trail] == [("add", "seed")] * len(LIBRARY)
    assert [e.title for e in trail] == [r["title"] for r in reversed(LIBRARY)], "newest first"

    library.add_text(LIBRARY[0]["text"], "Same text again", added_by="mod")  # a duplicate
    assert len(library.audit()) == len(LIBRARY), "a duplicate stores nothing and logs nothing"
    removed = library.remove(ids["Council approves budget"], removed_by="mod")
    latest = library.audit(limit=1)
    assert [e.to_json() | {"at": None} for e in latest] == [
        {
            "action": "remove",
            "library": library.name,
            "article_id": removed.article_id,
            "title": "Council approves budget",
            "who": "mod",
            "at": None,
        }
    ]
    assert latest[0].at >= trail[0].at
    assert library.engine.library("elsewhere").audit() == [], "per library"


def test_a_home_from_before_the_audit_table_gets_it(make_engine, tmp_path) -> None:
    home = tmp_path / "old-home"
    engine = make_engine(home=home)
    engine.library("old").add_text(LIBRARY[2]["text"], LIBRARY[2]["title"], added_by="seed")
    engine.close()
    with sqlite3.connect(home / "articlebot.sqlite3") as db:  # as a home made before it
        db.execute("DROP TABLE audit")
    engine = make_engine(home=home)
    library = engine.library("old")
    assert library.audit() == [] and library.count() == 1
    library.remove(library.list()[0].article_id, removed_by="mod")
    assert [(e.action, e.who) for e in library.audit()] == [("remove", "mod")]


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trust-cli") / "data"


def test_cli_ask_explain(cli_home) -> None:
    question = "How many people were killed?"
    text = run_cli(cli_home, "ask", "--explain", question)
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("why: dense #") == 3 and text.stdout.count("matched sentence [") == 3
    explained = json.loads(run_cli(cli_home, "ask", "--json", "--explain", question).stdout)
    plain = json.loads(run_cli(cli_home, "ask", "--json", question).stdout)
    assert all("explain" not in p for p in plain["passages"])
    assert [p["text"] for p in plain["passages"]] == [p["text"] for p in explained["passages"]]
    best = explained["passages"][0]["explain"]
    assert best["sentence"].startswith("Twenty-five people were killed")
    assert best["dense_rank"] >= 1 and best["lexical_rank"] >= 1 and best["fused_rank"] >= 1
    assert f"matched sentence [{best['sentence_start']}:{best['sentence_end']}]" in text.stdout
    batch = run_cli(cli_home, "ask", "--json", "--explain", stdin=f"{question}\n")
    assert json.loads(batch.stdout)["passages"][0]["explain"] == best


def test_cli_add_dry_run_stores_nothing(cli_home, site) -> None:
    before = run_cli(cli_home, "list", "--json").stdout
    full = run_cli(cli_home, "add", "--dry-run", site.url("full.html"))
    assert full.returncode == 0, full.stderr
    lines = full.stdout.splitlines()
    assert lines[0] == "Preview (nothing stored)"
    for expected in (
        f"Headline:   {FULL_TITLE}",
        "Outlet:     Valley News",
        "Published:  2024-05-14",
        "Byline:     Maria Lopez",
        f"  {FULL_PARAGRAPHS[0]}",
    ):
        assert expected in lines
    assert not [line for line in lines if line.startswith("Warning:")]
    short = run_cli(cli_home, "add", "--dry-run", site.url("short.html"))
    assert short.returncode == 0, short.stderr
    words = re.search(r"^Warning: Only (\d+) words were extracted", short.stdout, re.M)
    assert words and int(words[1]) < MIN_WORDS, short.stdout
    assert f"Words:      {words[1]}" in short.stdout
    assert run_cli(cli_home, "list", "--json").stdout == before
    assert site.hits == ["/full.html", "/short.html"]
    missing = run_cli(cli_home, "add", "--dry-run", site.url("gone.html"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_cli_list_remove_and_audit(cli_home, site) -> None:
    added = run_cli(cli_home, "add", site.url("full.html"))
    assert added.returncode == 0, added.stderr
    article_id = added.stdout.split()[1]
    listing = run_cli(cli_home, "list").stdout
    assert "added by sample corpus on " in listing and "added by cli on " in listing
    removed = run_cli(cli_home, "remove", article_id)
    assert removed.returncode == 0, removed.stderr
    trail = json.loads(run_cli(cli_home, "audit", "--json").stdout)
    assert [(e["action"], e["article_id"], e["who"]) for e in trail[:2]] == [
        ("remove", article_id, "cli"),
        ("add", article_id, "cli"),
    ]
    assert trail[0]["title"] == FULL_TITLE and trail[0]["library"] == "local"
    text = run_cli(cli_home, "audit", "-n", "1").stdout.strip()
    assert text.endswith(f"remove  {article_id}  {FULL_TITLE}  by cli") and " UTC " in text
