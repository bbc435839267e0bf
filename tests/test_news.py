"""News-aware answers through the facade (issue 7, points 1-3): dates and date windows,
figures compared across sources, syndicated copies grouped.

Real engine, real model (the session encoder), real SQLite; hand-written articles at known dates
(tests/news_articles.py) that disagree on a death toll and republish one wire story.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from cli_run import run_cli
from news_articles import (
    FIRES_QUESTION,
    FLOOD,
    QUAKE_QUESTION,
    QUAKES,
    STRIKES,
    TOLL_QUESTION,
    WIRE,
    WIRE_ABC,
    WIRE_AP,
    WIRE_GUARDIAN,
    WIRES,
)

from index import BadInput
from index.dates import parse_when, window_for
from index.figures import all_figures, read_figure
from index.retrieval import SEARCH_DEPTH, retrieve

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2020, 1, 6)


@pytest.fixture
def news(make_engine):
    """A library of the strikes, the wire copies and the flood, at their known dates."""
    library = make_engine().library("news")
    library.import_records(STRIKES + WIRES + [FLOOD], added_by="test")
    return library


def text_of(library, article_id: str) -> str:
    stored = library.engine.store.article(library.name, article_id)
    assert stored is not None
    return stored.text


# -- 1. dates ---------------------------------------------------------------------------------


def test_relative_and_iso_dates_and_one_sentence_for_bad_ones():
    assert parse_when("7d", "since", TODAY) == date(2019, 12, 30)
    assert parse_when("2w", "since", TODAY) == date(2019, 12, 23)
    assert parse_when("1m", "since", date(2020, 3, 31)) == date(2020, 2, 29)
    assert parse_when("1y", "since", TODAY) == date(2019, 1, 6)
    assert parse_when("2019-12-31", "since", TODAY) == date(2019, 12, 31)
    assert parse_when("2019-12", "before", TODAY) == date(2019, 12, 1)
    for bad in ("last tuesday", "2019-13-01", "7x", "-3d", "99999d"):
        with pytest.raises(BadInput) as err:
            parse_when(bad, "since", TODAY)
        message = str(err.value)
        assert message.startswith("since must be a date like 2019-12-31") and "\n" not in message
    with pytest.raises(BadInput, match="since must be earlier than before"):
        window_for("q", "2020-01-02", "2020-01-01", TODAY)


def test_question_words_set_plain_recency_rules():
    assert window_for("How many were killed today?", today=TODAY).since == date(2020, 1, 5)
    assert window_for("What happened yesterday?", today=TODAY).since == date(2020, 1, 4)
    assert window_for("Who won this week?", today=TODAY).since == date(2019, 12, 30)
    latest = window_for("What is the latest toll?", today=TODAY)
    assert latest.newest_first and not latest.filters
    plain = window_for("How many were killed?", today=TODAY)
    assert not plain.filters and not plain.newest_first
    explicit = window_for("What happened today?", "2019-01-01", None, TODAY)
    assert explicit.strict and explicit.since == date(2019, 1, 1)  # the asker's options win


def test_every_passage_carries_its_date_published_or_added(news):
    answer = news.ask(TOLL_QUESTION, k=3)
    assert answer.passages
    for passage in answer.passages:
        stored = news.engine.store.article(news.name, passage.article_id)
        assert passage.date == stored.published and passage.date_is_added is False
        assert passage.to_json()["published"] == stored.published
    pasted = news.add_text(
        "The town council approved the new bridge over the river on Wednesday evening.",
        title="Council approves bridge",
        added_by="test",
    )
    answer = news.ask("What did the town council approve?", k=1)
    (passage,) = answer.passages
    assert passage.article_id == pasted.article_id
    added = news.get(pasted.article_id).added_at[:10]
    assert (passage.date, passage.date_is_added) == (added, True)
    assert passage.to_json()["date_is_added"] is True


def test_since_and_before_filter_in_retrieval_and_still_return_k(make_engine):
    """A hundred and fifty older reports on the strikes outrank the three newer ones; a window
    still finds k passages of the newer ones (retrieval goes deeper instead of filtering its top
    results)."""
    library = make_engine().library("news")
    old = [
        {
            "title": f"Strike report {n}",
            "text": f"US airstrikes hit militia base number {n} in Iraq; fighters were killed "
            f"in the strikes on day {n}, officials said.",
            "published": f"2019-{1 + n % 12:02}-{1 + n % 28:02}",
        }
        for n in range(150)
    ]
    new = [
        {
            "title": f"Funeral {n}",
            "text": f"Mourners in {town} buried {n + 3} fighters who died after the US strikes, "
            "relatives said on Friday.",
            "published": f"2020-01-0{n + 2}",
        }
        for n, town in enumerate(["Basra", "Karbala", "Najaf"])
    ]
    library.import_records(old + new, added_by="test")
    snapshot = library.engine.snapshot(library.name)
    query = library.engine.encoder.encode_queries([TOLL_QUESTION])[0]
    new_rows = set(library.engine.store.rows_dated(library.name, "2020-01-01", None))
    assert len(new_rows) == 3
    top = retrieve(snapshot, query, TOLL_QUESTION)
    assert len(top) >= SEARCH_DEPTH and not {c.article for c in top} & new_rows, (
        "the newer articles are below the unfiltered search depth"
    )
    answer = library.ask(TOLL_QUESTION, k=3, since="2020-01-01")
    assert len(answer.passages) == 3
    assert all(p.date >= "2020-01-01" for p in answer.passages)
    assert answer.since == "2020-01-01" and answer.to_json()["since"] == "2020-01-01"
    older = library.ask(TOLL_QUESTION, k=3, before="2019-02-01")
    assert older.passages and all(p.date < "2019-02-01" for p in older.passages)
    assert library.ask(TOLL_QUESTION, since="2021-01-01").answer is None


def test_today_filters_and_falls_back_to_newest_with_a_note(news):
    answer = news.ask("How many residents were told to leave today?", k=3, today=date(2020, 1, 5))
    # "today" (with a day of slack): only the fires of 4 and 5 January, one copy of the story.
    assert answer.passages and all(p.date >= "2020-01-04" for p in answer.passages)
    assert answer.recency == 'Only articles dated from 4 Jan 2020 ("today").'
    stale = news.ask("How many residents were told to leave today?", k=3, today=date(2026, 1, 1))
    assert stale.found and stale.recency.startswith("Nothing is dated from 31 Dec 2025")


def test_latest_puts_the_newer_report_first(news):
    plain = news.ask("How many fighters have been killed in the US strikes?", k=3)
    latest = news.ask("How many fighters have been killed in the US strikes so far?", k=3)
    assert plain.passages[0].article_id != "reuters-strikes"
    assert latest.passages[0].article_id == "reuters-strikes"  # 1 Jan 2020, the newest
    assert latest.recency == 'Newest reports first ("so far").'


def test_bad_dates_are_refused_before_anything_runs(news):
    with pytest.raises(BadInput, match="before must be a date like"):
        news.ask(TOLL_QUESTION, before="next week")


# -- 2. conflicting figures -------------------------------------------------------------------


def test_figures_in_words_and_digits_are_one_value():
    assert read_figure("Twenty-five").number == read_figure("25").number == 25
    assert read_figure("twenty five people").number == 25
    assert read_figure("1,200").number == 1200
    assert read_figure("3.5 million").number == 3_500_000
    assert read_figure("12%").percent and not read_figure("12 people").percent
    assert read_figure("two dozen") is None and read_figure("Two", " dozen fighters") is None
    assert read_figure("dozens") is None and read_figure("hundreds of people") is None
    assert [v.number for v in all_figures("one of the wounded died; COVID-19; 26 died")] == [26]


def test_conflicting_figures_are_listed_with_outlet_date_and_quote(news):
    answer = news.ask(TOLL_QUESTION, k=3)
    assert answer.figures_differ
    by_source = {f.source: f for f in answer.figures}
    assert set(by_source) == {"Business Insider", "Reuters"}, "two dozen is not a figure"
    assert [f.published for f in answer.figures] == ["2019-12-31", "2020-01-01"]
    assert (by_source["Business Insider"].value, by_source["Reuters"].value) == (25, 26)
    assert by_source["Reuters"].text == "Twenty-six"
    for figure in answer.figures:
        text = text_of(news, figure.article_id)
        assert text[figure.start : figure.end] == figure.text
        assert text[figure.quote_start : figure.quote_end] == figure.quote
        assert figure.text in figure.quote
    assert answer.agreeing_sources == 1
    payload = answer.to_json()
    assert [f["value"] for f in payload["figures"]] == [25, 26]
    assert payload["figures"][0]["source"] == "Business Insider"
    assert payload["agreeing_sources"] == 1


def test_agreeing_figures_are_counted(make_engine):
    library = make_engine().library("news")
    library.import_records(QUAKES + [FLOOD], added_by="test")
    answer = library.ask(QUAKE_QUESTION, k=3)
    assert [f.value for f in answer.figures] == [25, 25]
    assert {f.text for f in answer.figures} == {"Twenty-five", "25"}
    assert answer.agreeing_sources == 2 and not answer.figures_differ


def test_questions_that_do_not_ask_how_many_have_no_figures(news):
    answer = news.ask("Who called the strikes a violation of sovereignty?", k=3)
    assert answer.found and answer.figures == [] and "figures" not in answer.to_json()


# -- 3. syndicated copies ---------------------------------------------------------------------


def test_wire_copies_are_grouped_and_quoted_once(make_engine):
    library = make_engine().library("news")
    results = library.import_records(STRIKES + WIRES + [FLOOD], added_by="test")
    by_id = {r.article_id: r for r in results}
    assert by_id["ap-fires"].near_duplicate_of is None
    assert by_id["guardian-fires"].near_duplicate_of == "ap-fires"
    assert by_id["abc-fires"].near_duplicate_of == "ap-fires"
    assert all(by_id[a["article_id"]].near_duplicate_of is None for a in STRIKES + [FLOOD])
    listing = {info.article_id: info for info in library.list()}
    assert (listing["ap-fires"].copies, listing["ap-fires"].copy_of) == (2, None)
    assert listing["guardian-fires"].copy_of == listing["abc-fires"].copy_of == "ap-fires"
    assert listing["guardian-fires"].to_json()["copy_of"] == "ap-fires"

    answer = library.ask(FIRES_QUESTION, k=3)
    fire_ids = {w["article_id"] for w in WIRES}
    quoted = [p for p in answer.passages if p.article_id in fire_ids]
    assert len(quoted) == 1, "one copy of the story is quoted"
    (copy,) = quoted
    others = {c.article_id for c in copy.also_reported_by}
    assert others == fire_ids - {copy.article_id}
    assert {c.source for c in copy.also_reported_by} <= {
        "Associated Press",
        "The Guardian",
        "ABC News",
    }
    assert len(answer.passages) == 3, "the other copies' places go to other articles"
    payload = answer.to_json()["passages"][answer.passages.index(copy)]
    assert {c["article_id"] for c in payload["also_reported_by"]} == others


def test_removing_the_first_copy_keeps_the_others_grouped(make_engine):
    library = make_engine().library("news")
    library.import_records(WIRES + [FLOOD], added_by="test")
    library.remove("ap-fires")
    listing = {info.article_id: info for info in library.list()}
    assert listing["guardian-fires"].copies == 1
    assert listing["abc-fires"].copy_of == "guardian-fires"
    answer = library.ask(FIRES_QUESTION, k=3)
    quoted = [p for p in answer.passages if p.article_id in {"guardian-fires", "abc-fires"}]
    assert len(quoted) == 1 and len(quoted[0].also_reported_by) == 1


def test_copies_are_grouped_within_a_library_only(make_engine):
    engine = make_engine()
    engine.library("a").import_records([WIRE_AP], added_by="test")
    (other,) = engine.library("b").import_records([WIRE_GUARDIAN], added_by="test")
    assert other.near_duplicate_of is None, "another server's article is never named"
    assert engine.library("b").list()[0].copy_of is None


def test_exact_duplicates_and_different_stories_are_not_near_duplicates(make_engine):
    library = make_engine().library("news")
    first = library.add_text(WIRE, title="Fires", added_by="test")
    again = library.add_text(WIRE, title="Fires again", added_by="test")
    assert again.duplicate and again.article_id == first.article_id
    assert again.near_duplicate_of is None
    other = library.add_text(STRIKES[0]["text"], title="Strikes", added_by="test")
    assert other.near_duplicate_of is None and not other.duplicate


def test_existing_home_gains_story_tables_and_groups_its_articles(make_engine, tmp_path):
    """A home made before stories existed: its tables are created at start, and its articles
    are grouped before the next add compares with them."""
    home = tmp_path / "old-home"
    engine = make_engine(home=home)
    library = engine.library("news")
    library.import_records([WIRE_AP, WIRE_GUARDIAN, FLOOD], added_by="test")
    engine.close()
    db = sqlite3.connect(home / "articlebot.sqlite3")
    db.executescript("DROP TABLE story_bands; DROP TABLE stories;")
    db.close()

    library = make_engine(home=home).library("news")
    assert all(info.copies == 0 and info.copy_of is None for info in library.list())
    added = library.import_records([WIRE_ABC], added_by="test")[0]
    assert added.near_duplicate_of == "ap-fires"
    listing = {info.article_id: info for info in library.list()}
    assert listing["ap-fires"].copies == 2 and listing["guardian-fires"].copy_of == "ap-fires"


# -- the CLI ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_dates_figures_and_copies(tmp_path):
    home = tmp_path / "home"
    no_samples = {"ARTICLEBOT_SEED_SAMPLES": "0"}
    records = tmp_path / "news.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in STRIKES + [WIRE_AP, WIRE_GUARDIAN]))
    assert run_cli(home, "import", str(records), env=no_samples).returncode == 0
    added = run_cli(
        home, "add", "-", "--title", "NSW bushfires", stdin=WIRE_ABC["text"], env=no_samples
    )
    assert added.returncode == 0, added.stderr
    assert "near-duplicate of ap-fires" in added.stdout
    listing = run_cli(home, "list", env=no_samples)
    assert "copy of ap-fires" in listing.stdout and "2 copies by other outlets" in listing.stdout

    text = run_cli(home, "ask", TOLL_QUESTION, env=no_samples)
    assert text.returncode == 0, text.stderr
    assert (
        "Sources differ: 25 — Business Insider, 31 Dec 2019; 26 — Reuters, 1 Jan 2020."
        in text.stdout
    )
    assert "Reuters — 1 Jan 2020" in text.stdout

    dated = run_cli(
        home, "ask", "--json", "--since", "2020-01-01", "-k", "1", TOLL_QUESTION, env=no_samples
    )
    payload = json.loads(dated.stdout)
    assert payload["since"] == "2020-01-01"
    assert payload["passages"][0]["article_id"] == "reuters-strikes"
    assert payload["passages"][0]["published"] == "2020-01-01"

    bad = run_cli(home, "ask", "--since", "last week", TOLL_QUESTION, env=no_samples)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "articlebot: since must be a date like 2019-12-31 or a span back from today like 7d, "
        "2w, 1m or 1y, not 'last week'."
    ]
    copies = run_cli(home, "ask", "--json", "-k", "3", FIRES_QUESTION, env=no_samples)
    quoted = [p for p in json.loads(copies.stdout)["passages"] if p.get("also_reported_by")]
    assert len(quoted) == 1 and len(quoted[0]["also_reported_by"]) == 2
