"""Fetching a URL given by an untrusted user without letting it reach the bot's own network.

A Discord user can paste any link into ``/add url:``. Without care that becomes server-side
request forgery: ``http://169.254.169.254/`` (cloud metadata), ``http://localhost:6379/``,
``http://2130706433/`` (127.0.0.1 spelled as a number) or a public name whose DNS answer
changes between our check and our connect (DNS rebinding). So this module:

* accepts only http and https;
* parses the host the way the C library does (``0177.0.0.1``, ``0x7f.1``, ``127.1``) and
  resolves names once, refusing the whole host if *any* address is not public;
* connects to exactly the address it checked (the connection classes below pin it), while the
  ``Host`` header, TLS SNI and certificate check still use the name from the URL;
* re-checks every redirect hop, and bounds time (one deadline for all hops), size (counted while
  streaming; ``Content-Length`` is not trusted) and content type.

It uses only the standard library so that every socket it opens is visible here.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from index.errors import FetchError

log = logging.getLogger(__name__)

USER_AGENT = "ArticleBot/0.1"
ALLOWED_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "application/pdf"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (family, sockaddr) pairs as returned by getaddrinfo, every one already checked.
Address = tuple[int, tuple[Any, ...]]

_CHUNK_SIZE = 65_536
_SHARED_NET = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64_NET = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
# What inet_aton might accept: digits, hex digits, "x" and dots ("0x7f.1", "2130706433").
_NUMERIC_HOST_RE = re.compile(r"[0-9a-fA-FxX.]+")
_SAFE_PATH_CHARS = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY_CHARS = _SAFE_PATH_CHARS + "?"
_MEDIA_TYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch.

    Attributes:
        allow_private: Lift the address check (and only it). For tests that serve pages on
            127.0.0.1; never set it for URLs that come from users.
        max_bytes: Largest body accepted, counted after decompression.
        timeout_s: Total time for the whole fetch, all redirects included.
        max_redirects: Redirects followed before giving up.
    """

    allow_private: bool = False
    max_bytes: int = 10_000_000
    timeout_s: float = 15.0
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A fetched body.

    Attributes:
        final_url: The URL that answered, after redirects.
        content_type: The ``Content-Type`` header as sent (parameters such as ``charset``
            included), or None when the server sent none.
        body: The decoded (decompressed) body, at most ``policy.max_bytes`` long.
    """

    final_url: str
    content_type: str | None
    body: bytes

    @property
    def media_type(self) -> str | None:
        """The lowercased media type without parameters, e.g. ``text/html``."""
        return media_type(self.content_type)


def media_type(content_type: str | None) -> str | None:
    """Return the lowercased media type of a ``Content-Type`` value, without parameters.

    Args:
        content_type: A header value such as ``"text/HTML; charset=utf-8"``, or None.

    Returns:
        ``"text/html"``, or None when the value is missing or empty.
    """
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def format_size(n_bytes: int) -> str:
    """Format a byte count for a message ("10 MB", "512 KB", "300 bytes")."""
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1_000_000:g} MB"
    if n_bytes >= 1_000:
        return f"{n_bytes / 1_000:g} KB"
    return f"{n_bytes} bytes"


def _show(text: str, limit: int = 80) -> str:
    """Shorten untrusted text (a host name, a media type) before it goes into a message."""
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- address checks -----------------------------------------------------------------------


def address_problem(ip: IPAddress) -> str | None:
    """Say why an address must not be fetched from, or return None when it is public.

    Why: the ``is_*`` properties of :mod:`ipaddress` miss addresses that embed an IPv4 address
    (IPv4-mapped, 6to4, Teredo, NAT64) in Python 3.11, and ``is_global`` alone would accept
    multicast and site-local ranges; this checks all of them and names the reason for logs.

    Args:
        ip: An IPv4 or IPv6 address.

    Returns:
        A short noun phrase ("a loopback address") or None.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in _NAT64_NET:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            problem = address_problem(inner)
            if problem is not None:
                return problem
        if ip.ipv4_mapped is not None:
            return None  # a mapped public IPv4 address is that public address
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_NET, "a shared (CGNAT) address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "a non-public address"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    return None


def check_address(ip: IPAddress | str) -> None:
    """Refuse an address that is not on the public internet.

    Args:
        ip: An address object, or a string in any spelling :func:`parse_ip` accepts.

    Raises:
        FetchError: The address is loopback, private, link-local, multicast, reserved,
            unspecified, shared, or embeds such an address; or the string is not an address.
    """
    parsed = parse_ip(ip) if isinstance(ip, str) else ip
    if parsed is None:
        raise FetchError("That is not an IP address.")
    problem = address_problem(parsed)
    if problem is not None:
        log.warning("refused fetch to %s (%s)", parsed, problem)
        raise FetchError(f"That URL points to {problem}, which the bot may not fetch from.")


def parse_ip(host: str) -> IPAddress | None:
    """Parse a URL host as an IP address the way the C library would.

    Why: ``getaddrinfo``/``inet_aton`` accept ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and
    ``127.1`` as 127.0.0.1, while :func:`ipaddress.ip_address` rejects them; a check that
    treated them as host names would let them through.

    Args:
        host: A host as found in a URL (brackets around IPv6 allowed).

    Returns:
        The address, or None when ``host`` is a name.
    """
    bare = host.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_HOST_RE.fullmatch(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _to_ascii_host(host: str) -> str:
    """Encode an internationalized host name for DNS, refusing malformed names."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchError(f"The host name {_show(host)} is not valid.") from exc


def _getaddrinfo(host: str, port: int, timeout: float) -> list[Any]:
    """Run getaddrinfo with a time limit (the C call itself has none)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="articlebot-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FetchError(f"Looking up the host {_show(host)} took too long.")
    if "error" in outcome:
        log.info("DNS lookup of %s failed: %s", host, outcome["error"])
        raise FetchError(f"Could not find the host {_show(host)}.")
    return outcome["infos"]


def resolve_checked(
    host: str, port: int, policy: FetchPolicy, timeout: float | None = None
) -> list[Address]:
    """Resolve a host once and check every address it resolves to.

    Why: the addresses returned here are the only ones the fetcher connects to, so a DNS answer
    that changes after the check (rebinding) cannot redirect the connection; and one private
    address among public ones refuses the host, since the order of answers is not ours.

    Args:
        host: Host name or IP literal from the URL (any spelling).
        port: TCP port.
        policy: ``policy.allow_private`` skips the address check.
        timeout: Seconds allowed for the DNS lookup (``policy.timeout_s`` by default).

    Returns:
        ``(family, sockaddr)`` pairs, ready for ``socket.connect``.

    Raises:
        FetchError: The host cannot be resolved or an address is not allowed.
    """
    limit = policy.timeout_s if timeout is None else timeout
    literal = parse_ip(host)
    if literal is not None:
        if not policy.allow_private:
            check_address(literal)
        infos = socket.getaddrinfo(
            str(literal), port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    else:
        infos = _getaddrinfo(_to_ascii_host(host), port, limit)
    addresses: list[Address] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if not policy.allow_private:
            check_address(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError(f"Could not find the host {_show(host)}.")
    return addresses


# --- pinned connections ---------------------------------------------------------------------


class _Deadline:
    """One time budget shared by every step of a fetch (DNS, connect, each read, each hop)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def error(self, host: str) -> FetchError:
        return FetchError(f"{_show(host)} did not answer within {self.seconds:g} seconds.")

    def remaining(self, host: str) -> float:
        """Seconds left; raises the timeout FetchError when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error(host)
        return left


def _connect_pinned(addresses: list[Address], deadline: _Deadline, host: str) -> socket.socket:
    """Open a TCP connection to the first checked address that answers."""
    last_error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining(host))
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    assert last_error is not None  # addresses is never empty
    raise last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose ``connect`` uses addresses checked beforehand, never DNS."""

    def __init__(
        self, host: str, port: int, *, addresses: list[Address], deadline: _Deadline
    ) -> None:
        super().__init__(host, port, timeout=deadline.remaining(host))
        self._addresses = addresses
        self._deadline = deadline
        self.raw_sock: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.raw_sock = _connect_pinned(self._addresses, self._deadline, self.host)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address, with SNI and certificate check on the name."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[Address],
        deadline: _Deadline,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=deadline.remaining(host), context=context)
        self._addresses = addresses
        self._deadline = deadline
        self._tls_context = context
        self.raw_sock: socket.socket | None = None

    def connect(self) -> None:
        sock = _connect_pinned(self._addresses, self._deadline, self.host)
        self.raw_sock = sock
        try:
            sock.settimeout(self._deadline.remaining(self.host))
            self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.raw_sock = self.sock


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """The default verifying TLS context, built once (loading CA certificates is slow)."""
    return ssl.create_default_context()


# --- fetching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as used for the connection, Host header and SNI (ASCII; IPs normalized)
    port: int
    path: str  # request target: path and query, percent-encoded


@dataclass(frozen=True)
class _Redirect:
    location: str


def _parse_url(url: str) -> _Target:
    """Validate a URL and split it into what a request needs."""
    if len(url) > MAX_URL_LENGTH:
        raise FetchError("That URL is too long.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError("That URL is not valid.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// URLs can be fetched.")
    host = parts.hostname
    if not host:
        raise FetchError("That URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with a user name or password are not accepted.")
    literal = parse_ip(host)
    host = str(literal) if literal is not None else _to_ascii_host(host)
    path = quote(parts.path or "/", safe=_SAFE_PATH_CHARS)
    if parts.query:
        path += "?" + quote(parts.query, safe=_SAFE_QUERY_CHARS)
    default_port = 443 if scheme == "https" else 80
    return _Target(scheme=scheme, host=host, port=port or default_port, path=path)


class _BoundedBody:
    """Collects body bytes, decompressing if needed, and stops past the size limit."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.parts: list[bytes] = []
        self._encoding = encoding
        self._decoder: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FetchError(f"The page is bigger than the {format_size(self.max_bytes)} limit.")
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._encoding == "deflate" and self._decoder is None:
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            zlib_wrapped = (
                len(chunk) >= 2
                and (chunk[0] & 0x0F) == 8
                and ((chunk[0] << 8) | chunk[1]) % 31 == 0
            )
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        if self._decoder is None:
            self._add(chunk)
            return
        pending = chunk
        try:
            while pending:
                # Bounded output per call: a small "zip bomb" cannot allocate gigabytes.
                out = self._decoder.decompress(pending, self.max_bytes - self.size + 1)
                self._add(out)
                pending = self._decoder.unconsumed_tail
        except zlib.error as exc:
            raise FetchError("The page's compressed data is damaged.") from exc

    def body(self) -> bytes:
        if self._decoder is not None:
            try:
                self._add(self._decoder.flush())
            except zlib.error as exc:
                raise FetchError("The page's compressed data is damaged.") from exc
        return b"".join(self.parts)


def _status_message(status: int, reason: str) -> str:
    """Phrase an HTTP error with the standard reason (the server's own text is untrusted)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = _show(reason.strip(), 40)
    return f"The page answered {status} {phrase}.".replace(" .", ".")


def _check_content_type(content_type: str | None) -> None:
    """Refuse types we cannot extract text from; a missing type is left to content sniffing."""
    media = media_type(content_type)
    if media is None or media in ALLOWED_TYPES:
        return
    shown = media if _MEDIA_TYPE_RE.fullmatch(media) else "an unknown type"
    raise FetchError(f"That URL serves {shown}, not a web page, plain text or a PDF.")


def _fetch_once(
    url: str, target: _Target, addresses: list[Address], policy: FetchPolicy, deadline: _Deadline
) -> Fetched | _Redirect:
    """Make one request to checked addresses; return the body or where it redirects."""
    conn: _PinnedHTTPConnection | _PinnedHTTPSConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(
            target.host, target.port, addresses=addresses, deadline=deadline, context=_tls_context()
        )
    else:
        conn = _PinnedHTTPConnection(
            target.host, target.port, addresses=addresses, deadline=deadline
        )

    def abort() -> None:
        # Per-read timeouts alone would let a server drip one byte at a time forever; at the
        # deadline the socket is shut down under the blocked read. socket.socket.shutdown is
        # called directly so an SSL socket's own shutdown (not thread-safe) is bypassed.
        sock = conn.raw_sock
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline.remaining(target.host), abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request(
            "GET",
            target.path,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8",
                "Accept-Encoding": "identity",
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        try:
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise FetchError("The page redirected without saying where to.")
                return _Redirect(location.strip())
            if not 200 <= response.status < 300:
                raise FetchError(_status_message(response.status, response.reason))
            content_type = response.getheader("Content-Type")
            _check_content_type(content_type)
            declared = response.getheader("Content-Length")
            if declared and declared.strip().isdigit() and int(declared) > policy.max_bytes:
                raise FetchError(
                    f"The page is bigger than the {format_size(policy.max_bytes)} limit."
                )
            encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
            if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                raise FetchError("The page uses a compression the bot cannot read.")
            body = _BoundedBody(encoding, policy.max_bytes)
            while True:
                sock = conn.raw_sock
                if sock is not None:
                    sock.settimeout(deadline.remaining(target.host))
                chunk = response.read1(_CHUNK_SIZE)
                if not chunk:
                    break
                body.feed(chunk)
            if deadline.expired():
                raise deadline.error(target.host)
            return Fetched(final_url=url, content_type=content_type, body=body.body())
        finally:
            response.close()
    except FetchError:
        raise
    except TimeoutError as exc:
        raise deadline.error(target.host) from exc
    except ConnectionRefusedError as exc:
        raise FetchError(f"{_show(target.host)} refused the connection.") from exc
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(f"{_show(target.host)} has an invalid TLS certificate.") from exc
    except ssl.SSLError as exc:
        if deadline.expired():
            raise deadline.error(target.host) from exc
        raise FetchError(f"Could not make a secure connection to {_show(target.host)}.") from exc
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired():
            raise deadline.error(target.host) from exc
        log.info("fetch of %s failed: %r", url, exc)
        if isinstance(exc, OSError) and conn.raw_sock is None:
            raise FetchError(f"Could not connect to {_show(target.host)}.") from exc
        raise FetchError(f"The connection to {_show(target.host)} broke off.") from exc
    finally:
        watchdog.cancel()
        conn.close()


def fetch_url(url: str, policy: FetchPolicy) -> Fetched:
    """Fetch a URL from an untrusted user safely.

    Why: see the module docstring; every hop is checked and pinned, and the whole fetch is
    bounded in time and size, so a hostile link costs at most ``policy.timeout_s`` seconds and
    ``policy.max_bytes`` bytes and never reaches a private address.

    Args:
        url: An http or https URL.
        policy: Limits; ``allow_private`` is for tests only.

    Returns:
        The final URL, its ``Content-Type`` and the body.

    Raises:
        FetchError: With a one-sentence reason: bad scheme or URL, host not found, address not
            allowed, connection refused, timeout, HTTP error status, too many redirects, body
            too big, or a content type other than HTML, XHTML, plain text or PDF.
    """
    deadline = _Deadline(policy.timeout_s)
    current = url.strip()
    redirects = 0
    while True:
        target = _parse_url(current)
        addresses = resolve_checked(
            target.host, target.port, policy, timeout=deadline.remaining(target.host)
        )
        log.debug("fetching %s via %s", current, addresses[0][1][0])
        result = _fetch_once(current, target, addresses, policy, deadline)
        if isinstance(result, Fetched):
            return result
        redirects += 1
        if redirects > policy.max_redirects:
            raise FetchError(f"The page redirected more than {policy.max_redirects} times.")
        current = urljoin(current, result.location)
        log.debug("redirected to %s", current)
