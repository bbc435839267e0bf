"""Normalizing text before it is stored, and turning uploaded bytes into text.

Everything downstream (chunk offsets, quoted passages, the content hash that detects duplicates)
works on the exact string this module produces, so :func:`clean_text` must be deterministic and
idempotent: cleaning already-clean text changes nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata

from index.errors import BadInput

log = logging.getLogger(__name__)

BINARY_MESSAGE = "That file looks binary, not text."

# How much of a text is inspected when deciding whether it is text at all: enough to be
# representative, small enough that a 10 MB upload is judged in milliseconds.
_SAMPLE_CHARS = 65_536
# Share of control / undecodable characters above which a "text" is really binary data, and a
# small allowance so that a short note with a stray escape character is not called binary.
_MAX_BAD_RATIO = 0.10
_BAD_ALLOWANCE = 4

# Line breaks other than \n that must not glue words together when they are removed.
_LINE_BREAKS = str.maketrans(
    {
        "\r": "\n",
        "\x0b": "\n",  # vertical tab
        "\x0c": "\n",  # form feed (page breaks in text pulled from PDFs)
        "\x85": "\n",  # NEL
        "\u2028": "\n",  # LINE SEPARATOR
        "\u2029": "\n",  # PARAGRAPH SEPARATOR
        "\t": " ",
    }
)
# C0 and C1 controls (except \n, already the only line break left), DEL, byte-order marks.
_CONTROL_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
# Lone surrogates cannot be encoded as UTF-8 and would break storage.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Characters that count against a text in :func:`looks_like_text` (\t \n \r \f are normal).
_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
# Tie-breaking order among equally plausible legacy encodings (most widespread first).
_PREFERRED_ENCODINGS = ("cp1252", "cp1250", "cp1251", "latin_1", "iso8859_15")


def clean_text(raw: str) -> str:
    """Normalize text to the exact form that is stored and quoted.

    Why: passages are quoted verbatim from the stored text and duplicates are found by hashing
    it, so two copies of one article that differ only in line endings, stray control
    characters or Unicode composition must come out identical.

    Args:
        raw: Text from any source (extracted HTML/PDF text, a text file, a Discord message).

    Returns:
        NFC text with ``\\n`` line ends, no control characters other than ``\\n`` (tabs become
        spaces), no trailing spaces on any line, at most one blank line in a row, and no
        leading or trailing whitespace. The function is idempotent.
    """
    text = raw.replace("\r\n", "\n").translate(_LINE_BREAKS)
    # Remove controls before composing: removing them afterwards could leave a base letter next
    # to a combining mark, which a second pass would compose (breaking idempotence).
    text = _CONTROL_RE.sub("", text)
    text = _SURROGATE_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _MANY_BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


def content_hash(text: str) -> str:
    """Return the SHA-256 hex digest of the cleaned text.

    Why: the store reports an article added twice by comparing this hash, so it is computed on
    :func:`clean_text` output and is the same whether or not the caller cleaned first.

    Args:
        text: Raw or cleaned text.

    Returns:
        64 lowercase hex characters.
    """
    return hashlib.sha256(clean_text(text).encode("utf-8")).hexdigest()


def looks_like_text(text: str) -> bool:
    """Tell whether a decoded string is plausibly human text rather than decoded binary.

    Why: a binary file decoded with a permissive codec turns into a string full of control
    and replacement characters; storing that would fill the index with noise.

    Args:
        text: A decoded string (only its first 64 KiB characters are inspected).

    Returns:
        True unless control and replacement characters are more than 10 % of the sample
        (and more than 4 of them).
    """
    sample = text[:_SAMPLE_CHARS]
    bad = len(_BAD_CHARS_RE.findall(sample))
    return bad <= max(_BAD_ALLOWANCE, _MAX_BAD_RATIO * len(sample))


def _detect_encoding(data: bytes) -> str | None:
    """Guess the encoding of non-UTF-8 bytes with charset_normalizer when it is installed."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset_normalizer ships with trafilatura
        return None
    sample = (
        data if len(data) <= 2 * _SAMPLE_CHARS else data[:_SAMPLE_CHARS] + data[-_SAMPLE_CHARS:]
    )
    matches = [
        match
        for match in from_bytes(sample)
        # Without a BOM and without NULs (refused earlier) a UTF-16/32 guess is wrong.
        if not match.encoding.replace("-", "_").startswith(("utf_16", "utf_32"))
    ]
    if not matches:
        return None
    best = matches[0]
    # On short samples many single-byte code pages tie; the most common ones in practice are
    # preferred among the equally good guesses so "caf\xe9" reads as "café", not Arabic.
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    for preferred in _PREFERRED_ENCODINGS:
        if preferred in tied:
            return preferred
    return best.encoding


def _mostly_utf8(data: bytes) -> str | None:
    """Decode UTF-8 with a few damaged bytes (a truncated download, one stray byte).

    Why: a legacy-encoding guess would garble every accented letter of an otherwise valid UTF-8
    file; when valid multi-byte sequences outnumber the broken ones, UTF-8 is the right reading.
    """
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    valid_multibyte = non_ascii - broken
    return text if valid_multibyte > broken else None


def decode_bytes(data: bytes) -> str:
    """Decode uploaded or downloaded bytes to text, refusing binary data.

    Why: users upload files of unknown origin; UTF-8 is tried first (with or without a BOM),
    then a detected legacy encoding, then cp1252, so a file saved by an old editor still
    reads, while an image or archive renamed to ``.txt`` is refused with a clear message
    instead of being stored as garbage.

    Args:
        data: The raw bytes.

    Returns:
        The decoded string (not yet cleaned).

    Raises:
        BadInput: The bytes contain NULs (without a UTF-16/32 BOM) or decode to mostly
            control or undecodable characters.
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            if not looks_like_text(text):
                raise BadInput(BINARY_MESSAGE)
            return text
    if b"\x00" in data:
        raise BadInput(BINARY_MESSAGE)
    text: str | None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _mostly_utf8(data)
    if text is None:
        encoding = _detect_encoding(data) or "cp1252"
        log.debug("bytes are not UTF-8; decoding as %s", encoding)
        try:
            text = data.decode(encoding, errors="replace")
        except LookupError:  # pragma: no cover - a detector name Python does not know
            text = data.decode("cp1252", errors="replace")
    if not looks_like_text(text):
        raise BadInput(BINARY_MESSAGE)
    return text
