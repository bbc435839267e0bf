"""Hostile files, text and questions through the facade: refused in one sentence or handled
sanely, the process stays usable, and the articles already stored never change.

Everything is real: SQLite, the bundled model, FAISS, trafilatura and pypdf.
"""

from __future__ import annotations

import io
import random
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfs import make_pdf
from pypdf import PdfWriter

from index import ArticleBotError, BadInput, Engine, EngineConfig
from index.sources import document_from_bytes
from index.text import clean_text, content_hash

EARTHQUAKE = (
    "A strong earthquake struck the coastal city of Izmir on Friday.\n"
    "Twenty-five people were killed and more than 800 were injured, the disaster agency said.\n"
    "Rescue teams searched collapsed buildings through the night.\n"
    "The quake had a magnitude of 7.0, according to the US Geological Survey."
)
FLOOD = (
    "Heavy rain flooded the river valley on Tuesday.\n"
    "About 3,000 residents were evacuated from their homes by the fire brigade.\n"
    "The mayor, Anna Keller, said the dam had held."
)
ARTICLE_HTML = (
    b"<!doctype html><html><head><title>Bridge vote</title></head><body><article>"
    b"<p>The council met on Monday and voted to rebuild the old stone bridge across the river "
    b"for nine million euros, after engineers found cracks in two of its arches.</p>"
    b"<p>Work will start in the spring and last two years, the mayor said.</p>"
    b"</article></body></html>"
)
# A refusal is one sentence a user can read: one line, no traceback, no second sentence.
ONE_SENTENCE = re.compile(r"[A-Z][^\n]{5,200}[.?!)]")
SECOND_SENTENCE = re.compile(r"[.?!] +[A-Z]")
# Any single hostile input must be refused or handled within this many seconds.
SECONDS = 30


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def state(engine: Engine, library: str) -> dict:
    """Everything a user could notice about a library's stored articles."""
    store = engine.store
    articles = {
        a.article_id: (a.title, a.url, a.chunks, store.article(library, a.article_id).text)
        for a in engine.library(library).list()
    }
    chunks = [(r.id, r.article, r.start, r.end) for r in store.chunk_rows(library)]
    return {"articles": articles, "chunks": chunks, "generation": store.generation(library)}


def assert_one_sentence(err: ArticleBotError) -> None:
    message = str(err)
    assert ONE_SENTENCE.fullmatch(message), message
    assert not SECOND_SENTENCE.search(message), message
    assert "Traceback" not in message and "/tmp" not in message, message


@pytest.fixture(scope="module")
def news(tmp_path_factory, encoder):
    """An engine with default limits whose ``news`` library holds two articles."""
    engine = Engine(
        EngineConfig(home=tmp_path_factory.mktemp("hostile") / "home", seed_samples=False),
        encoder=encoder,
    )
    lib = engine.library("news")
    lib.add_text(EARTHQUAKE, title="Quake")
    lib.add_text(FLOOD, title="Flood")
    yield engine
    engine.close()


def attempt(engine: Engine, action):
    """Run one hostile action; return its result or the refusal, checking time and state."""
    before = state(engine, "news")
    started = time.monotonic()
    try:
        outcome = action(engine.library("news"))
    except ArticleBotError as err:  # anything else escaping fails the test
        outcome = err
    assert time.monotonic() - started < SECONDS
    after = state(engine, "news")
    if isinstance(outcome, ArticleBotError):
        assert_one_sentence(outcome)
        assert after == before
    else:  # accepted: the articles stored before are all there, unchanged
        for article_id, stored in before["articles"].items():
            assert after["articles"][article_id] == stored
        still_answers(engine)
    return outcome


def still_answers(engine: Engine) -> None:
    """The process is still usable: a plain question is answered from the stored text."""
    answer = engine.library("news").ask("How many residents were evacuated?")
    assert answer.passages and "3,000" in answer.passages[0].text


rng = random.Random(6)
RANDOM_BYTES = bytes(rng.randrange(256) for _ in range(20_000))

REFUSED_FILES = [
    # (why, file name, bytes, what the refusal says)
    ("empty file", "empty.txt", b"", "empty"),
    ("only whitespace", "blank.txt", b"  \n\t \r\n  ", "no text"),
    ("only a byte-order mark", "bom.txt", b"\xef\xbb\xbf", "no text"),
    ("PNG named .txt", "photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
    ("PNG without a name", "upload", b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
    ("ZIP named .md", "notes.md", b"PK\x03\x04" + bytes(64), "ZIP archive"),
    ("program named .html", "page.html", b"\x7fELF\x02\x01\x01" + bytes(64), "program"),
    ("PDF named .txt", "report.txt", make_pdf(["Budget approved."]), "rename it to .pdf"),
    ("text named .pdf", "report.pdf", b"The council met on Monday.", "not a PDF"),
    ("unsupported extension", "setup.exe", b"MZ\x90\x00" + bytes(64), "Unsupported file type"),
    ("random bytes in a .txt", "data.txt", RANDOM_BYTES, "binary"),
    ("NUL bytes in a .txt", "nul.txt", b"The mayor spoke.\x00\x00 Then he left.", "binary"),
    ("control characters", "ctl.txt", b"Hello\x01\x02\x03\x04\x05\x06\x07\x08 world. " * 4,
     "binary"),
    ("PDF that does not parse", "broken.pdf", b"%PDF-1.4\ngarbage that is not a pdf", "read"),
    ("truncated PDF", "cut.pdf", make_pdf(["Budget approved."])[:90], "could not be read"),
    ("PDF of zeros", "zero.pdf", b"%PDF-1.7\n" + bytes(5000), "could not be read"),
    ("PDF without text", "scan.pdf", blank_pdf(), "no extractable text"),
    ("HTML that is empty", "empty.html", b"<html></html>", "No article text"),
    ("HTML with only a script", "script.htm",
     b"<!doctype html><html><body><script>alert(1)</script></body></html>", "No article text"),
    ("HTML with only images", "images.html",
     b"<html><body><img src='a.png'><img src='b.png'></body></html>", "No article text"),
    ("HTML with only menus and a cookie banner", "home.html",
     b"<!doctype html><html><head><title>Valley News</title></head><body><header><a href='/'>"
     b"Valley News</a></header><nav><ul><li><a href='/world'>World</a></li><li><a href='/sport'>"
     b"Sport</a></li></ul></nav><div class='cookie'>We use cookies. <button>Accept</button></div>"
     b"<footer><p>Copyright 2024 Valley News.</p></footer></body></html>", "No article text"),
    ("HTML with only a login form", "login.html",
     b"<html><body><form><label>User</label><input name=u><label>Password</label>"
     b"<input type=password><button>Log in</button></form></body></html>", "No article text"),
    ("5 MB single-line text", "big.txt", b"word " * 1_000_000, "too long"),
    ("5 MB single line without spaces", "blob.txt", b"x" * 5_000_000, "too long"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [case[1:] for case in REFUSED_FILES],
    ids=[case[0] for case in REFUSED_FILES],
)
def test_hostile_file_is_refused_and_nothing_changes(news, name, data, says):
    outcome = attempt(news, lambda lib: lib.add_file(data, name))
    assert isinstance(outcome, BadInput), outcome
    assert says in str(outcome)


def test_5mb_single_line_text_is_refused_quickly_with_the_limit(news):
    started = time.monotonic()
    outcome = attempt(news, lambda lib: lib.add_text("word " * 1_000_000, title="Big"))
    assert isinstance(outcome, BadInput)
    assert str(outcome) == "The article is too long (4,999,999 characters, at most 100,000)."
    assert time.monotonic() - started < 10


ACCEPTED_FILES = [
    # (why, file name, bytes, a phrase of the stored text)
    ("HTML saved as .txt is read as HTML", "saved.txt", ARTICLE_HTML, "old stone bridge"),
    ("invalid UTF-8 is decoded, not fatal", "latin.txt",
     b"The caf\xe9 on the square reopened on Monday after the flood. The owner \xff said the "
     b"repairs cost 40,000 euros.", "café on the square"),
    ("UTF-16 with a byte-order mark", "wide.txt",
     "The ferry to the island resumed service on Sunday morning.".encode("utf-16"),
     "ferry to the island"),
    ("stray control characters in a long text", "noisy.md",
     b"# Noisy\n\nThe tram\x07 line to the airport\x1b opens in May, the transport office said "
     b"on Wednesday, and tickets will cost three euros. " * 3, "tram line to the airport"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [case[1:] for case in ACCEPTED_FILES],
    ids=[case[0] for case in ACCEPTED_FILES],
)
def test_odd_but_readable_file_is_stored_cleanly(news, name, data, phrase):
    outcome = attempt(news, lambda lib: lib.add_file(data, name))
    assert not isinstance(outcome, ArticleBotError), outcome
    stored = news.store.article("news", outcome.article_id).text
    assert phrase in stored
    assert stored == clean_text(stored)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\ufffd]", stored)


def test_text_with_nul_and_control_characters_is_cleaned(news):
    text = "The\x00 harbour\x07 crane\x1b collapsed\x7f on\u200b Thursday.\r\nNobody was hurt."
    outcome = attempt(news, lambda lib: lib.add_text(text, title="Crane\x00 falls\n"))
    assert not isinstance(outcome, ArticleBotError)
    stored = news.store.article("news", outcome.article_id)
    assert stored.text == "The harbour crane collapsed on\u200b Thursday.\nNobody was hurt."
    assert stored.title == "Crane falls"


def test_file_over_the_configured_size_cap_is_refused(make_engine):
    engine = make_engine(max_source_bytes=2_000)
    lib = engine.library("news")
    lib.add_text(FLOOD, title="Flood")
    before = state(engine, "news")
    text = (EARTHQUAKE + "\n") * 40
    with pytest.raises(BadInput) as err:
        lib.add_file(text.encode()[:2_001], "quake.txt")
    assert str(err.value) == "That file is too big (2.001 KB); the limit is 2 KB."
    with pytest.raises(BadInput, match="too big"):
        document_from_bytes(b"x" * 2_001, "quake.txt", max_bytes=2_000)
    assert state(engine, "news") == before
    added = lib.add_file(text.encode()[:2_000], "quake.txt")  # exactly at the cap: accepted
    assert not added.duplicate and len(lib.list()) == 2


def test_article_length_limit_is_configurable_and_checked_before_any_write(make_engine):
    engine = make_engine(max_article_chars=500)
    lib = engine.library("news")
    lib.add_text(FLOOD, title="Flood")
    before = state(engine, "news")
    with pytest.raises(BadInput, match=r"too long \(501 characters, at most 500\)"):
        lib.add_text("a" * 501)
    records = [{"text": EARTHQUAKE, "title": "Quake"}, {"text": "b " * 300, "title": "Long"}]
    with pytest.raises(BadInput, match=r"^Record 2: the article is too long"):
        lib.import_records(records)
    assert state(engine, "news") == before  # record 1 was not stored either
    assert not lib.add_text("a" * 500).duplicate


QUESTIONS_REFUSED = [
    "",
    "   \n\t  ",
    "\u3000\u2003\u00a0",
    "\u200b\u200b\u200b",
    "\x00\x01\x02",
    "🙂",
    "👨‍👩‍👧‍👦🏳️‍🌈🇺🇦",
    "🙂 " * 5_000,
    "?!… — ¿¡ «»",
]


@pytest.mark.parametrize("question", QUESTIONS_REFUSED, ids=range(len(QUESTIONS_REFUSED)))
def test_question_without_words_is_refused(news, question):
    outcome = attempt(news, lambda lib: lib.ask(question))
    assert isinstance(outcome, BadInput)


QUESTIONS_ANSWERED = [
    "How many people were killed in the earthquake? " + "Please answer. " * 660,
    "x" * 10_000,
    "killed " + "🙂" * 9_990,
    ("How many people were killed? " + "\x00\u202e\u200b" * 3_300)[:10_000],
    "Кто мэр? 市长是谁？ من هو العمدة؟ " * 300,
]


@pytest.mark.parametrize("question", QUESTIONS_ANSWERED, ids=range(len(QUESTIONS_ANSWERED)))
def test_long_or_odd_question_gets_a_sane_answer(news, question):
    outcome = attempt(news, lambda lib: lib.ask(question))
    assert not isinstance(outcome, ArticleBotError), outcome
    for passage in outcome.passages:
        text = news.store.article("news", passage.article_id).text
        assert passage.text == text[passage.start : passage.end]
    if question.startswith(("How many people", "killed")):
        assert outcome.passages and "killed" in outcome.passages[0].text


# --- property: any Unicode string is stored with exact offsets, or refused -------------------

PIECES = [
    "The mayor said the bridge would reopen on Monday. ",
    "Mr. Smith arrived at 5 p.m. from the U.S. ",
    "“Quoted,” she said. ",
    "\r\n",
    "\n\n\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "\u200b",
    "\ufeff",
    "e\u0301",
    "\u0301",
    "\u2028",
    "\x85",
    "\ud800",
    "\udfff",
    "🙂",
    "👨‍👩‍👧",
    "\u202e",
    "ﬁ",
    "١٢٣",
    "日本語の文です。",
    "?!",
    "...",
    " ",
    "-",
    "a" * 700,
]
ANY_TEXT = st.one_of(
    st.text(max_size=400),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Zs", "Mn", "Lo"]), max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
)


def check_stored(engine: Engine, library: str, article_id: str, given_text: str) -> None:
    store = engine.store
    stored = store.article(library, article_id)
    text = stored.text
    assert text == clean_text(given_text)
    assert stored.content_hash == content_hash(given_text)
    assert not re.search("[\ud800-\udfff]", text + stored.title)
    rows = [r for r in store.chunk_rows(library) if r.article == stored.id]
    assert rows
    for row in rows:
        assert 0 <= row.start < row.end <= len(text)
        assert text[row.start : row.end].strip()
    for start, end in store.sentences(stored.id):
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip()


@pytest.mark.slow
def test_any_unicode_text_is_stored_exactly_or_refused(make_engine):
    engine = make_engine()
    lib = engine.library("fuzz")
    lib.add_text(FLOOD, title="Flood")
    seen = {"stored": 0, "refused": 0}

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(text=ANY_TEXT, title=st.one_of(st.none(), st.text(max_size=40)))
    def check(text: str, title: str | None) -> None:
        before = state(engine, "fuzz")
        try:
            result = lib.add_text(text, title=title)
        except ArticleBotError as err:
            assert_one_sentence(err)
            assert state(engine, "fuzz") == before
            seen["refused"] += 1
            return
        check_stored(engine, "fuzz", result.article_id, text)
        for article_id, stored in before["articles"].items():
            assert state(engine, "fuzz")["articles"][article_id] == stored
        seen["stored"] += 1

    check()
    assert seen["stored"] and seen["refused"]
    # The index covers exactly the stored chunks, and questions are still answered.
    assert list(engine.snapshot("fuzz").chunks.ids) == [
        r.id for r in engine.store.chunk_rows("fuzz")
    ]
    assert "3,000" in lib.ask("How many residents were evacuated?").passages[0].text


def test_after_all_that_the_library_is_intact_and_answers(news):
    """Runs last in this module: every refusal above left the process usable."""
    assert [a.title for a in news.library("news").list()][:2] == ["Quake", "Flood"]
    still_answers(news)
    assert "killed" in news.library("news").ask("How many people were killed?").passages[0].text
