"""Turning a source (text, an uploaded file, a URL) into a :class:`~index.models.Document`.

The file's type is decided from its content as well as from its name or ``Content-Type``:
users rename files, servers mislabel them, and storing an image's bytes as "text" would fill
the index with garbage. HTML goes through trafilatura (main text and metadata, no boilerplate),
PDF through pypdf; both run offline on the bytes given, so results are deterministic.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from index.errors import BadInput
from index.fetch import FetchPolicy, fetch_url, format_size, media_type
from index.models import Document
from index.text import BINARY_MESSAGE, clean_text, decode_bytes, looks_like_text

log = logging.getLogger(__name__)

Kind = Literal["text", "markdown", "html", "pdf"]

SUPPORTED_EXTENSIONS: dict[str, Kind] = {
    ".txt": "text",
    ".md": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
_MEDIA_KINDS: dict[str, Kind] = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
}
# Signatures of common binary formats, so a renamed file gets a message saying what it is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"\x00asm", "a WebAssembly program"),
    (b"SQLite format 3\x00", "a database"),
    (b"OggS", "an audio file"),
    (b"ID3", "an MP3 file"),
    (b"fLaC", "an audio file"),
    (b"wOFF", "a font"),
    (b"wOF2", "a font"),
)
_HTML_START_RE = re.compile(
    r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>])", re.I | re.S
)
_HTML_ANYWHERE_RE = re.compile(r"<(html|head|body)[\s>]", re.I)
_MD_TITLE_RE = re.compile(r"^# +(.+?)(?: +#+)? *$", re.M)
_ISO_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:$|[T ])")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

# Extracted page text shorter than this is checked again for being only boilerplate.
_SHORT_PAGE_CHARS = 1_000
TITLE_FROM_TEXT_CHARS = 80
MAX_TITLE_CHARS = 200
PDF_UNREADABLE = "That PDF could not be read."
PDF_NO_TEXT = "That PDF has no extractable text (is it a scan?)."


@dataclass(frozen=True)
class _Extracted:
    text: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None


# --- small helpers ------------------------------------------------------------------------------


def _truncate(text: str, limit: int) -> str:
    """Cut text to ``limit`` characters, at a word boundary when one is near, adding an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _one_line(value: str | None, limit: int = MAX_TITLE_CHARS) -> str | None:
    """Clean a title-like value to one line; None when nothing is left."""
    if value is None:
        return None
    line = " ".join(clean_text(str(value)).split())
    return _truncate(line, limit) if line else None


def _first_line_title(text: str) -> str:
    """The first non-empty line of cleaned text, cut to 80 characters."""
    for line in text.split("\n"):
        title = _one_line(line.lstrip("#").strip(), TITLE_FROM_TEXT_CHARS)
        if title:
            return title
    return "Untitled"


def _iso_date(value: object) -> str | None:
    """Return ``YYYY-MM-DD`` for a date-like value, or None when it is not a real date."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    match = _ISO_DATE_RE.match(str(value).strip())
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def _build(
    extracted: _Extracted, title: str | None, url: str | None, empty_message: str
) -> Document:
    """Clean the text, apply the title precedence and make the Document."""
    text = clean_text(extracted.text)
    if not text:
        raise BadInput(empty_message)
    final_title = _one_line(title) or _one_line(extracted.title) or _first_line_title(text)
    return Document(
        text=text,
        title=final_title,
        url=url,
        published=extracted.published,
        source=_one_line(extracted.source),
        author=_one_line(extracted.author),
    )


# --- text -------------------------------------------------------------------------------------


def document_from_text(
    text: str,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    *,
    source: str | None = None,
    author: str | None = None,
) -> Document:
    """Make a Document from text typed or pasted by a user (or imported from JSONL).

    Why: every way in ends here or in :func:`document_from_bytes`, so the text stored is always
    cleaned the same way and a missing title is always filled the same way.

    Args:
        text: The article text.
        title: The title; when empty, the first line of the text (at most 80 characters).
        url: Where the article came from, if known.
        published: Publication date, ``YYYY-MM-DD`` (a full ISO timestamp is cut to its date).
        source: Outlet or site name, if known.
        author: Author, if known.

    Returns:
        The Document.

    Raises:
        BadInput: The text is empty after cleaning, or ``published`` is not a date.
    """
    published_iso = _iso_date(published) if published else None
    if published and published_iso is None:
        raise BadInput("The published date must look like YYYY-MM-DD.")
    extracted = _Extracted(text=text, published=published_iso, source=source, author=author)
    return _build(extracted, title, url, "The text is empty.")


def _markdown_title(text: str) -> str | None:
    match = _MD_TITLE_RE.search(text)
    return match.group(1) if match else None


# --- HTML ---------------------------------------------------------------------------------------


def _looks_like_html(text: str) -> bool:
    """Sniff markup: a document that starts like HTML, or has an html/head/body tag early on."""
    head = text[:4096]
    return bool(_HTML_START_RE.match(head) or _HTML_ANYWHERE_RE.search(head[:1024]))


def _extract_html(html: str, url: str | None) -> _Extracted:
    """Main text and metadata of a web page via trafilatura (offline: it is given the markup)."""
    import trafilatura

    try:
        result = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura/lxml raise many types on hostile markup
        log.warning("trafilatura failed on %s", url or "an uploaded page", exc_info=True)
        raise BadInput("That page could not be read as HTML.") from exc
    if result is None or not (result.text or "").strip():
        raise BadInput("No article text was found in that page.")
    if len(result.text) < _SHORT_PAGE_CHARS and not _has_main_text(trafilatura, html, url):
        # With nothing else on the page, trafilatura falls back to menus, cookie banners and
        # form labels; storing those as an article would only pollute the library.
        raise BadInput("No article text was found in that page.")
    return _Extracted(
        text=result.text,
        title=result.title,
        published=_iso_date(result.date),
        source=result.sitename,
        author=result.author,
    )


def _has_main_text(trafilatura, html: str, url: str | None) -> bool:
    """Whether trafilatura still finds text when it favours precision (skips boilerplate)."""
    try:
        strict = trafilatura.bare_extraction(
            html, url=url, favor_precision=True, include_comments=False, deduplicate=False
        )
    except Exception:  # the first pass succeeded; a failure here says nothing more
        log.debug("precision pass failed", exc_info=True)
        return True
    return strict is not None and bool((strict.text or "").strip())


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, if Python knows the codec."""
    if not content_type:
        return None
    match = re.search(r";\s*charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type, re.I)
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def _decode(data: bytes, content_type: str | None) -> str:
    """Decode with the declared charset when there is one, else by detection."""
    charset = _charset(content_type)
    if charset is None or charset.startswith(("utf-16", "utf-32")):
        return decode_bytes(data)
    if b"\x00" in data:
        raise BadInput(BINARY_MESSAGE)
    text = data.decode(charset, errors="replace")
    if not looks_like_text(text):
        raise BadInput(BINARY_MESSAGE)
    return text


# --- PDF ----------------------------------------------------------------------------------------


def _extract_pdf(data: bytes) -> _Extracted:
    """Text of all pages and the metadata of a PDF via pypdf."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadInput(PDF_UNREADABLE)
        pages = list(reader.pages)
    except BadInput:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        log.info("pypdf could not open a PDF: %r", exc)
        raise BadInput(PDF_UNREADABLE) from exc
    texts: list[str] = []
    failures = 0
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:
            failures += 1
            log.info("pypdf could not read page %d: %r", number, exc)
    if pages and failures == len(pages):
        raise BadInput(PDF_UNREADABLE)
    text = "\n\n".join(texts)
    if not clean_text(text):
        raise BadInput(PDF_NO_TEXT)
    title = author = published = None
    try:
        meta = reader.metadata
        if meta is not None:
            title, author = meta.title, meta.author
            published = _iso_date(meta.creation_date)
    except Exception as exc:  # malformed metadata must not lose a readable document
        log.info("ignored unreadable PDF metadata: %r", exc)
    return _Extracted(text=text, title=title, published=published, author=author)


# --- bytes --------------------------------------------------------------------------------------


def _binary_kind(data: bytes) -> str | None:
    """Name the binary format the bytes start with, if it is a known one."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    if data[4:8] == b"ftyp":
        return "a video or audio file"
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a media file"
    return None


def _declared_kind(ext: str, content_type: str | None) -> Kind | None:
    """The kind the name or Content-Type claims; None means "sniff the content"."""
    media = media_type(content_type)
    if media in _MEDIA_KINDS:
        kind = _MEDIA_KINDS[media]
        return "markdown" if kind == "text" and ext == ".md" else kind
    if not ext:
        return None
    if ext not in SUPPORTED_EXTENSIONS:
        raise BadInput(f"Unsupported file type '{ext[:20]}': use .txt, .md, .html or .pdf.")
    return SUPPORTED_EXTENSIONS[ext]


def document_from_bytes(
    data: bytes,
    filename: str,
    title: str | None = None,
    url: str | None = None,
    content_type: str | None = None,
    max_bytes: int = 10_000_000,
) -> Document:
    """Make a Document from a file's bytes (an upload, a Discord attachment, a download).

    Why: the type is decided from the content as well as the name, so a PNG renamed ``.txt``
    or a file with a wrong extension is refused with a message that says what it really is.

    Args:
        data: The raw bytes.
        filename: The file's name; its extension (.txt .md .html .htm .pdf) says the type when
            ``content_type`` does not. No extension means "sniff the content".
        title: Explicit title; beats the title in the file's metadata and its first line.
        url: Where the file came from, if it was downloaded.
        content_type: A ``Content-Type`` value. When it names HTML, XHTML, plain text, markdown
            or PDF it decides the type (a URL's name says little); other values are ignored.
        max_bytes: Largest size accepted.

    Returns:
        The Document.

    Raises:
        BadInput: Empty, too big, unsupported extension, binary, a type mismatch, an HTML page
            without main text, an unreadable PDF or one without text.
    """
    if not data:
        raise BadInput("That file is empty.")
    if len(data) > max_bytes:
        raise BadInput(
            f"That file is too big ({format_size(len(data))}); "
            f"the limit is {format_size(max_bytes)}."
        )
    ext = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    declared = _declared_kind(ext, content_type)
    is_pdf = b"%PDF-" in data[:1024]
    binary = None if is_pdf else _binary_kind(data)
    if binary is not None:
        raise BadInput(f"That file is {binary}, not text, HTML or a PDF.")

    if declared == "pdf" and not is_pdf:
        raise BadInput("That file is not a PDF, although it is named or labelled as one.")
    if is_pdf and declared not in (None, "pdf"):
        if media_type(content_type) not in _MEDIA_KINDS:
            raise BadInput(f"That file is a PDF but is named {ext}; rename it to .pdf.")
        declared = "pdf"  # servers mislabel PDFs; the content is unambiguous
    if is_pdf:
        return _build(_extract_pdf(data), title, url, PDF_NO_TEXT)

    text = _decode(data, content_type)
    kind: Kind = declared or "text"
    if kind in ("text", "markdown") and _looks_like_html(text):
        kind = "html"  # a saved web page, whatever its name says
    if kind == "html":
        return _build(
            _extract_html(text, url), title, url, "No article text was found in that page."
        )
    extracted = _Extracted(text=text, title=_markdown_title(text) if kind == "markdown" else None)
    return _build(extracted, title, url, "That file has no text.")


def load_source(
    source: str,
    title: str | None = None,
    policy: FetchPolicy | None = None,
    *,
    allow_files: bool = True,
) -> Document:
    """Load an http(s) URL or a local file as a Document.

    Why: the CLI's ``add SOURCE`` and the bot's ``/add url:`` share one path, so a URL is
    fetched under the same safety policy and decoded by the same rules as an upload.

    Args:
        source: An ``http://``/``https://`` URL or a local file path.
        title: Explicit title, or None to take it from the source.
        policy: Fetch limits (defaults to :class:`FetchPolicy` defaults); ``max_bytes`` also
            caps local files.
        allow_files: False refuses local paths: set it whenever ``source`` comes from a remote
            user (the bot), who must not read the server's files.

    Returns:
        The Document.

    Raises:
        BadInput: Missing or unreadable file, or any reason of :func:`document_from_bytes`.
        FetchError: The URL could not be fetched (see :func:`index.fetch.fetch_url`).
    """
    policy = policy or FetchPolicy()
    src = source.strip()
    if _URL_RE.match(src):
        fetched = fetch_url(src, policy)
        name = PurePosixPath(urlsplit(fetched.final_url).path).name
        if fetched.media_type not in _MEDIA_KINDS and (
            PurePosixPath(name).suffix.lower() not in SUPPORTED_EXTENSIONS
        ):
            name = ""  # no usable type from the server or the name ("/article.php"): sniff
        return document_from_bytes(
            fetched.body,
            name,
            title,
            url=fetched.final_url,
            content_type=fetched.content_type,
            max_bytes=policy.max_bytes,
        )
    if not allow_files:
        raise BadInput("Only http:// and https:// links can be added here.")
    path = Path(src).expanduser()
    if not path.exists():
        raise BadInput(f"No such file: {src}.")
    if path.is_dir():
        raise BadInput(f"That is a folder, not a file: {src}.")
    try:
        size = path.stat().st_size
        if size > policy.max_bytes:
            raise BadInput(
                f"That file is too big ({format_size(size)}); "
                f"the limit is {format_size(policy.max_bytes)}."
            )
        with path.open("rb") as handle:
            data = handle.read(policy.max_bytes + 1)
    except OSError as exc:
        log.info("could not read %s: %r", path, exc)
        raise BadInput(f"Could not read the file {src}.") from exc
    return document_from_bytes(data, path.name, title, max_bytes=policy.max_bytes)
