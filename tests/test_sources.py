"""Tests of text cleaning, decoding and turning files into Documents (real trafilatura/pypdf)."""

from __future__ import annotations

import io
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfs import make_pdf
from pypdf import PdfWriter

from index.errors import BadInput
from index.fetch import FetchPolicy
from index.sources import document_from_bytes, document_from_text, load_source
from index.text import clean_text, content_hash, decode_bytes, looks_like_text

ARTICLE_HTML = """<!DOCTYPE html>
<html><head>
<title>Library extends opening hours - Valley Gazette</title>
<meta property="og:title" content="Library extends opening hours">
<meta property="og:site_name" content="Valley Gazette">
<meta property="article:published_time" content="2023-11-02">
</head><body>
<header><a href="/">Valley Gazette</a></header>
<main><article>
<h1>Library extends opening hours</h1>
<p>The central library will stay open until nine in the evening from Monday, the town's
culture department announced, after a survey found that students wanted more study space.</p>
<p>The change costs about thirty thousand pounds a year and is funded by a regional grant
that runs for two years, after which the council will review attendance figures.</p>
</article></main>
<footer>Contact us</footer>
</body></html>
"""


# --- clean_text and friends ---------------------------------------------------------------------


def test_clean_text_normalizes() -> None:
    raw = "  Title\r\n\r\n\r\n\r\nline one  \rline\ttwo\x00\x07 \x85end\u2028x\ufeff  \n\n"
    assert clean_text(raw) == "Title\n\nline one\nline two\nend\nx"


def test_clean_text_composes_unicode() -> None:
    assert clean_text("cafe\u0301") == "caf\u00e9"
    # A control character between letter and accent must not leave an uncomposed pair.
    assert clean_text("e\x00\u0301") == "\u00e9"


_TRICKY = st.sampled_from(
    [
        "\r\n",
        *"\r\n\t \x00\x0b\x0c\x1b\x7f\x85\x9f\u2028\u2029\ufeff\u00a0\u3000e\u0301\u0327\ud800",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.characters(), _TRICKY), max_size=60).map("".join))
def test_clean_text_is_idempotent_and_control_free(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once
    assert all(ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in once)
    assert once == once.strip()
    assert "\n\n\n" not in once
    assert unicodedata.is_normalized("NFC", once)
    once.encode("utf-8")  # storable


def test_content_hash_ignores_formatting_noise() -> None:
    assert content_hash("a\r\nb  \n") == content_hash("a\nb")
    assert content_hash("a") != content_hash("b")
    assert len(content_hash("a")) == 64


def test_decode_bytes_utf8_bom_and_fallbacks() -> None:
    assert decode_bytes("\ufeffhé".encode()) == "hé"
    assert decode_bytes("hé".encode("utf-16")) == "hé"
    assert decode_bytes(b"caf\xe9 cr\xe8me") == "café crème"  # cp1252 / latin-1
    assert decode_bytes("Привет, мир, это тест".encode("cp1251")) == "Привет, мир, это тест"
    # Mostly UTF-8 with one damaged byte keeps the UTF-8 reading.
    assert decode_bytes("éé ok \xff".encode() + b"\xff") == "éé ok ÿ\ufffd"


@pytest.mark.parametrize(
    "data", [b"abc\x00def", bytes(range(1, 32)) * 20, b"\x01\x02\x03\x04\x05\x06 text"]
)
def test_decode_bytes_refuses_binary(data: bytes) -> None:
    with pytest.raises(BadInput, match="looks binary"):
        decode_bytes(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["a.txt", "a.md", "a.html", "a.pdf", "noext"]))
def test_any_bytes_give_a_document_or_bad_input(data: bytes, name: str) -> None:
    try:
        doc = document_from_bytes(data, name)
    except BadInput as err:
        assert str(err).endswith(".")  # a sentence to show, nothing else escapes
    else:
        assert doc.text == clean_text(doc.text) and doc.text
        assert doc.title


def test_looks_like_text() -> None:
    assert looks_like_text("An ordinary sentence.\n\tIndented.")
    assert looks_like_text("A bell\x07 in a note.")
    assert not looks_like_text("\x01\x02\x03\x04\x05abc")


# --- document_from_text -------------------------------------------------------------------------


def test_text_document_defaults_title_to_first_line() -> None:
    long_first = "word " * 40
    doc = document_from_text(long_first + "\nsecond line")
    assert len(doc.title) <= 80
    assert doc.title.endswith("…")
    assert document_from_text("\n\n  Hello there  \nrest").title == "Hello there"


def test_text_document_explicit_fields() -> None:
    doc = document_from_text(
        "Body", "  A   title ", url="https://example.com/a", published="2024-01-02T10:00:00Z"
    )
    assert (doc.title, doc.url, doc.published, doc.text) == (
        "A title",
        "https://example.com/a",
        "2024-01-02",
        "Body",
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t\r\n", "\x00\x01"])
def test_empty_text_refused(text: str) -> None:
    with pytest.raises(BadInput, match="empty"):
        document_from_text(text, "T")


def test_bad_published_date_refused() -> None:
    with pytest.raises(BadInput, match="YYYY-MM-DD"):
        document_from_text("Body", "T", published="last Tuesday")


def test_control_characters_removed_from_text() -> None:
    doc = document_from_text("Bell\x07 and NUL\x00 and escape\x1b[0m here", "T")
    assert doc.text == "Bell and NUL and escape[0m here"


# --- document_from_bytes ------------------------------------------------------------------------


def test_txt_file() -> None:
    doc = document_from_bytes(b"First line\r\nSecond line\r\n", "notes.txt")
    assert doc.text == "First line\nSecond line"
    assert doc.title == "First line"


def test_markdown_title_from_heading() -> None:
    data = b"Some preface\n\n# The Real Title #\n\nBody text.\n"
    doc = document_from_bytes(data, "post.md")
    assert doc.title == "The Real Title"
    assert "# The Real Title #" in doc.text  # markdown is stored as text
    assert document_from_bytes(data, "post.md", title="Given").title == "Given"


def test_html_file_extracts_main_text_and_metadata() -> None:
    doc = document_from_bytes(ARTICLE_HTML.encode(), "page.html", url="https://x.test/a")
    assert doc.title == "Library extends opening hours"
    assert doc.published == "2023-11-02"
    assert doc.source == "Valley Gazette"
    assert "thirty thousand pounds" in doc.text
    assert "Contact us" not in doc.text
    assert doc.url == "https://x.test/a"


def test_html_is_deterministic() -> None:
    first = document_from_bytes(ARTICLE_HTML.encode(), "page.htm")
    assert document_from_bytes(ARTICLE_HTML.encode(), "page.htm") == first


def test_html_saved_as_txt_is_extracted_as_html() -> None:
    doc = document_from_bytes(ARTICLE_HTML.encode(), "saved.txt")
    assert "<p>" not in doc.text
    assert doc.title == "Library extends opening hours"


def test_html_in_declared_charset() -> None:
    html = ARTICLE_HTML.replace("thirty", "thirty café").encode("latin-1")
    doc = document_from_bytes(html, "", content_type="text/html; charset=ISO-8859-1")
    assert "thirty café" in doc.text


def test_html_without_main_text_refused() -> None:
    html = (
        b"<!DOCTYPE html><html><head><title>Empty</title></head><body>"
        b"<script>var x = 1;</script></body></html>"
    )
    with pytest.raises(BadInput, match="No article text"):
        document_from_bytes(html, "empty.html")


def test_pdf_text_title_and_date() -> None:
    pdf = make_pdf(
        ["Council budget approved.", "Spending rises (slightly)."], "Budget 2024", "20240305120000Z"
    )
    doc = document_from_bytes(pdf, "budget.pdf")
    assert doc.text == "Council budget approved.\nSpending rises (slightly)."
    assert doc.title == "Budget 2024"
    assert doc.published == "2024-03-05"
    assert document_from_bytes(pdf, "budget.pdf", title="Mine").title == "Mine"


def test_pdf_without_metadata_title_uses_first_line() -> None:
    doc = document_from_bytes(make_pdf(["Opening line", "More"]), "x.pdf")
    assert doc.title == "Opening line"


def test_pdf_without_text_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(BadInput, match=r"no extractable text \(is it a scan\?\)"):
        document_from_bytes(buffer.getvalue(), "scan.pdf")


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\ngarbage that is not a pdf", make_pdf(["ok"])[:60], b"%PDF-1.7\n" + bytes(200)],
)
def test_broken_pdf_refused(data: bytes) -> None:
    with pytest.raises(BadInput) as err:
        document_from_bytes(data, "broken.pdf")
    assert str(err.value) == "That PDF could not be read."


def test_encrypted_pdf_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(BadInput, match="That PDF could not be read."):
        document_from_bytes(buffer.getvalue(), "locked.pdf")


def test_pdf_named_txt_refused() -> None:
    with pytest.raises(BadInput, match=r"PDF but is named \.txt"):
        document_from_bytes(make_pdf(["x"]), "report.txt")


def test_not_a_pdf_named_pdf_refused() -> None:
    with pytest.raises(BadInput, match="not a PDF"):
        document_from_bytes(b"plain words", "fake.pdf")


def test_png_named_txt_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50)
    with pytest.raises(BadInput, match="PNG image"):
        document_from_bytes(png, "photo.txt")


def test_binary_bytes_in_txt_refused() -> None:
    with pytest.raises(BadInput, match="looks binary"):
        document_from_bytes(bytes(range(256)) * 10, "data.txt")


@pytest.mark.parametrize("name", ["report.docx", "archive.zip", "photo.PNG"])
def test_unsupported_extension_refused(name: str) -> None:
    ext = Path(name).suffix.lower()
    with pytest.raises(BadInput) as err:
        document_from_bytes(b"hello", name)
    assert str(err.value) == f"Unsupported file type '{ext}': use .txt, .md, .html or .pdf."


def test_empty_file_refused() -> None:
    with pytest.raises(BadInput, match="empty"):
        document_from_bytes(b"", "empty.txt")
    with pytest.raises(BadInput, match="no text"):
        document_from_bytes(b"  \r\n\t ", "blank.txt")


def test_invalid_utf8_is_decoded_not_crashed() -> None:
    doc = document_from_bytes(b"Caf\xe9 au lait \x93quoted\x94\n", "menu.txt")
    assert doc.text == "Café au lait “quoted”"


def test_control_characters_removed_from_file() -> None:
    doc = document_from_bytes(b"Alpha\x07 beta\x1b gamma\r\n", "a.txt")
    assert doc.text == "Alpha beta gamma"


def test_large_single_line_accepted_quickly() -> None:
    data = b"lorem ipsum dolor sit amet " * 190_000  # about 5 MB, no newline
    start = time.monotonic()
    doc = document_from_bytes(data, "big.txt")
    assert time.monotonic() - start < 3.0
    assert len(doc.text) == len(data) - 1  # only the final space is stripped
    assert len(doc.title) <= 80


def test_over_cap_refused() -> None:
    with pytest.raises(BadInput, match="too big"):
        document_from_bytes(b"a" * 1001, "big.txt", max_bytes=1000)


def test_no_extension_is_sniffed() -> None:
    assert document_from_bytes(b"just text", "-").text == "just text"
    assert "Council" in document_from_bytes(make_pdf(["Council"]), "download").text


# --- load_source with local files ---------------------------------------------------------------


def test_load_source_local_file(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text("# Heading\n\nStory body.\n", encoding="utf-8")
    doc = load_source(str(path), None, FetchPolicy())
    assert (doc.title, doc.url) == ("Heading", None)


def test_load_source_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(BadInput) as err:
        load_source(str(missing), None, FetchPolicy())
    assert str(err.value) == f"No such file: {missing}."


def test_load_source_directory_and_cap(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="folder"):
        load_source(str(tmp_path), None, FetchPolicy())
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2000)
    with pytest.raises(BadInput, match="too big"):
        load_source(str(big), None, FetchPolicy(max_bytes=1000))
