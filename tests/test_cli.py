"""The ``articlebot`` command end to end, through subprocesses on a temporary home."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run_cli
from http_site import send, serve

REPO = Path(__file__).resolve().parent.parent
SAMPLE_QUESTIONS = {
    "How many people were killed?": ["Twenty-five", "25"],
    "Who did Trump accuse of being behind the attack?": ["Iran"],
    "What did the protesters chant?": ["down USA"],
    "Which militia did the US strike?": ["Kata'ib Hezbollah"],
}
ARTICLE_HTML = """<!doctype html><html><head>
<title>Dam holds after record rain | Valley News</title>
<meta property="og:title" content="Dam holds after record rain">
<meta property="article:published_time" content="2024-05-14T08:00:00Z"></head>
<body><nav>Home | World | Sport</nav><article><h1>Dam holds after record rain</h1>
<p>Heavy rain flooded the river valley on Tuesday, and about 3,000 residents were evacuated
from their homes by the fire brigade overnight.</p>
<p>The mayor, Anna Keller, said the old dam had held despite the record water level, and that
engineers would inspect it again on Thursday morning.</p>
<p>Trains between the two cities were cancelled, and the regional airport closed its only
runway for most of the day.</p></article><footer>Copyright Valley News</footer></body></html>"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One seeded home shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("cli") / "data"
    result = run_cli(path, "list", "--json")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def web():
    """A local web server on 127.0.0.1 serving one article page."""
    page = {"/article.html": lambda h: send(h, 200, ARTICLE_HTML.encode(), "text/html")}
    with serve(page.get) as site:
        yield f"http://127.0.0.1:{site.port}"


def test_fresh_home_is_seeded_and_listed(home):
    listing = json.loads(run_cli(home, "list", "--json").stdout)
    assert [a["article_id"] for a in listing] == ["baghdad-embassy"]
    assert set(listing[0]) == {
        "article_id",
        "title",
        "url",
        "published",
        "added_by",
        "added_at",
        "chunks",
    }
    assert listing[0]["chunks"] > 0


def test_sample_questions_batch_json_contract(home):
    text = (REPO / "index" / "data" / "samples.jsonl").read_text()
    article = json.loads(text.splitlines()[0])["text"]
    result = run_cli(home, "ask", "--json", "-k", "3", stdin="\n".join(SAMPLE_QUESTIONS) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == list(SAMPLE_QUESTIONS)
    for line, golds in zip(lines, SAMPLE_QUESTIONS.values(), strict=True):
        # The contract's fields, plus only optional ones (issue 7: dates, outlet, copies).
        assert set(line) >= {"question", "answer", "passages"}
        best = line["passages"][0]
        assert set(best) - {"published", "date_is_added", "source", "also_reported_by"} == {
            "article_id",
            "title",
            "url",
            "text",
            "start",
            "end",
            "score",
            "answer_start",
            "answer_end",
        }
        for p in line["passages"]:
            assert article[p["start"] : p["end"]] == p["text"]
            assert len(p["text"].split()) <= 150
        marked = article[best["answer_start"] : best["answer_end"]]
        assert any(g in marked for g in golds), (line["question"], marked)
        assert any(g in line["answer"] for g in golds)


def test_ask_text_output_marks_the_answer(home):
    result = run_cli(home, "ask", "How many people were killed?")
    assert result.returncode == 0, result.stderr
    assert "**Twenty-five**" in result.stdout
    assert "Protesters storm the US Embassy in Baghdad" in result.stdout


def test_unrelated_question_gets_nothing_found(home):
    result = run_cli(home, "ask", "--json", "Who won the 1998 World Cup?")
    payload = json.loads(result.stdout)
    assert payload["answer"] is None


def test_add_file_stdin_url_then_list_remove_rebuild(tmp_path, web):
    home = tmp_path / "data"
    env = {"ARTICLEBOT_SEED_SAMPLES": "0"}
    note = tmp_path / "quake.md"
    note.write_text(
        "# Quake hits Izmir\n\nTwenty-five people were killed in Izmir on Friday.\n"
        "Rescue teams searched collapsed buildings through the night.\n"
    )
    added = run_cli(home, "add", str(note), env=env)
    assert added.returncode == 0, added.stderr
    assert "Quake hits Izmir" in added.stdout

    piped = run_cli(
        home,
        "add",
        "-",
        "--title",
        "Budget vote",
        env=env,
        stdin="Parliament passed the budget by 301 votes to 12 on Wednesday.\n",
    )
    assert piped.returncode == 0, piped.stderr

    fetched = run_cli(home, "add", f"{web}/article.html", env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert "Dam holds after record rain" in fetched.stdout

    again = run_cli(home, "add", str(note), env=env)
    assert again.returncode == 0 and again.stdout.startswith("duplicate of")

    listing = json.loads(run_cli(home, "list", "--json", env=env).stdout)
    by_title = {a["title"]: a for a in listing}
    assert set(by_title) == {"Quake hits Izmir", "Budget vote", "Dam holds after record rain"}
    assert by_title["Dam holds after record rain"]["url"] == f"{web}/article.html"
    assert by_title["Dam holds after record rain"]["published"] == "2024-05-14"

    answer = json.loads(
        run_cli(home, "ask", "--json", "What did the mayor say about the dam?", env=env).stdout
    )
    assert "Anna Keller" in answer["passages"][0]["text"]
    assert "Home | World" not in answer["passages"][0]["text"]  # boilerplate stripped

    removed = run_cli(home, "remove", by_title["Budget vote"]["article_id"], env=env)
    assert removed.returncode == 0, removed.stderr
    rebuilt = run_cli(home, "rebuild", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt local" in rebuilt.stdout
    titles = {a["title"] for a in json.loads(run_cli(home, "list", "--json", env=env).stdout)}
    assert titles == {"Quake hits Izmir", "Dam holds after record rain"}


def test_import_jsonl_and_library_option(tmp_path):
    home = tmp_path / "data"
    records = tmp_path / "a.jsonl"
    records.write_text(
        json.dumps(
            {
                "title": "Flood",
                "text": "About 3,000 residents were evacuated.",
                "article_id": "flood-1",
                "published": "2024-05-14",
            }
        )
        + "\n"
    )
    result = run_cli(home, "import", str(records), "--library", "other")
    assert result.returncode == 0, result.stderr
    other = json.loads(run_cli(home, "list", "--json", "--library", "other").stdout)
    assert [a["article_id"] for a in other] == ["flood-1"]
    local = json.loads(run_cli(home, "list", "--json").stdout)
    assert [a["article_id"] for a in local] == ["baghdad-embassy"]


BAD_INPUTS = [
    (("add", "missing.txt"), None, "No such file"),
    (("add", "-", "--title", "Empty"), "   \n", "empty"),
    (("add", "notes.docx"), None, "Unsupported"),
    (("add", "image.txt"), None, "PNG"),
    (("add", "http://127.0.0.1:9/nothing"), None, "127.0.0.1"),
    (("add", "ftp://example.org/a.txt"), None, "http"),
    (("ask", ""), None, "empty"),
    (("remove", "no-such-id"), None, "No article"),
]


def test_bad_input_exits_2_with_one_line_and_keeps_the_store(tmp_path):
    home = tmp_path / "data"
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04rest")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20)
    env = {"ARTICLEBOT_SEED_SAMPLES": "0"}
    run_cli(home, "add", "-", "--title", "Kept", stdin="This article must survive.\n", env=env)
    before = run_cli(home, "list", "--json", env=env).stdout
    assert "This article must survive" not in before and '"Kept"' in before
    for args, stdin, message in BAD_INPUTS:
        result = run_cli(home, *args, stdin=stdin, env=env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and message.lower() in lines[0].lower(), (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert run_cli(home, "list", "--json", env=env).stdout == before


def test_usage_error_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "frobnicate"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
