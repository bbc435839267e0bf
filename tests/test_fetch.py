"""Tests of safe URL fetching against a real HTTP server on 127.0.0.1.

The server is real (``ThreadingHTTPServer`` in a thread) and so is the fetcher: nothing of ours
is mocked. Pages are served with ``allow_private=True``; the address checks are tested with the
check on, asserting that the server saw no request at all.
"""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from http_site import Route, Site, send, serve
from pdfs import make_pdf

from index.errors import BadInput, FetchError
from index.fetch import (
    FetchPolicy,
    address_problem,
    check_address,
    fetch_url,
    parse_ip,
    resolve_checked,
)
from index.sources import load_source

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head>
<title>Harbour bridge reopens | Coastal Times</title>
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta property="og:site_name" content="Coastal Times">
<meta name="author" content="Ada Byrne">
<meta property="article:published_time" content="2024-05-17T08:30:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Friday after eight months of repairs to its steel
cables, the city council said in a statement.</p>
<p>Engineers replaced forty cables and repainted the main span, at a cost of twelve million
euros, which was shared between the council and the regional government.</p>
<p>Cyclists will get a separate lane from June, according to the council's transport office.</p>
</article>
<footer>Copyright Coastal Times</footer>
</body></html>
"""

PLAIN_TEXT = "Tide tables\n\nHigh water is at 06:12 and 18:40 today.\n"


# --- the test server ----------------------------------------------------------------------------


def _redirect(h: BaseHTTPRequestHandler, location: str, status: int = 302) -> None:
    h.send_response(status)
    h.send_header("Location", location)
    h.send_header("Content-Length", "0")
    h.end_headers()


def _chain(h: BaseHTTPRequestHandler) -> None:
    # /chain/N redirects N more times, then lands on the plain text page.
    left = int(h.path.rsplit("/", 1)[1])
    _redirect(h, "/plain" if left == 0 else f"/chain/{left - 1}", 301 if left % 2 else 307)


def _close_delimited(h: BaseHTTPRequestHandler) -> None:
    # HTTP/1.0 style: no Content-Length, the body ends when the server closes.
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Connection", "close")
    h.end_headers()
    h.close_connection = True
    for _ in range(40):
        h.wfile.write(b"x" * 1000 + b"\n")


def _lying_length(h: BaseHTTPRequestHandler) -> None:
    # Declares 100 bytes, then tries to push far more than the cap down the connection.
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.close_connection = True
    h.wfile.write(b"a" * 50_000)


def _declared_too_big(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "50000000")
    h.end_headers()
    h.close_connection = True
    h.wfile.write(b"a" * 1000)


def _chunked(size: int) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        sent = 0
        while sent < size:
            part = b"word " * 200
            h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            sent += len(part)
        h.wfile.write(b"0\r\n\r\n")

    return route


def _slow(h: BaseHTTPRequestHandler) -> None:
    time.sleep(2.0)
    send(h, 200, b"too late", "text/plain")


def _drip(h: BaseHTTPRequestHandler) -> None:
    # Headers at once, then one byte every 50 ms: each read succeeds, the total never ends.
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "100")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.05)


def _gzip_route(body: bytes) -> Route:
    compressed = gzip.compress(body)

    def route(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, compressed, "text/plain; charset=utf-8", Content_Encoding="gzip")

    return route


ROUTES: dict[str, Route] = {
    "/article": lambda h: send(h, 200, ARTICLE_HTML.encode(), "text/html; charset=utf-8"),
    "/plain": lambda h: send(h, 200, PLAIN_TEXT.encode(), "text/plain; charset=utf-8"),
    "/doc": lambda h: send(
        h,
        200,
        make_pdf(["Quarterly report.", "Sales rose 4 percent."], "Q3 report"),
        "application/pdf",
    ),
    "/notype.php": lambda h: send(h, 200, ARTICLE_HTML.encode(), ""),
    "/image": lambda h: send(h, 200, b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png"),
    "/octet": lambda h: send(h, 200, b"data", "application/octet-stream"),
    "/missing": lambda h: send(h, 404, b"nope", "text/plain"),
    "/broken": lambda h: send(h, 500, b"oops", "text/plain"),
    "/to-relative": lambda h: _redirect(h, "plain"),
    "/to-ftp": lambda h: _redirect(h, "ftp://127.0.0.1/file.txt"),
    "/to-file": lambda h: _redirect(h, "file:///etc/passwd"),
    "/no-location": lambda h: send(h, 302, b"", "text/plain"),
    "/close-delimited": _close_delimited,
    "/lying-length": _lying_length,
    "/declared-too-big": _declared_too_big,
    "/chunked-small": _chunked(3_000),
    "/chunked-big": _chunked(200_000),
    "/slow": _slow,
    "/drip": _drip,
    "/gzip": _gzip_route(PLAIN_TEXT.encode()),
    "/gzip-bomb": _gzip_route(b"\0" * 20_000_000),
}


def _route(path: str) -> Route | None:
    route = ROUTES.get(path)
    return _chain if route is None and path.startswith("/chain/") else route


@pytest.fixture
def server() -> Iterator[Site]:
    """Serve ROUTES on 127.0.0.1 (a free port) in a thread; stop it after the test."""
    with serve(_route) as site:
        yield site


LOCAL = FetchPolicy(allow_private=True, timeout_s=5.0)


# --- fetching real pages ------------------------------------------------------------------------


def test_html_article_becomes_document(server: Site) -> None:
    doc = load_source(server.url("/article"), None, LOCAL)
    assert doc.title == "Harbour bridge reopens after repairs"
    assert doc.published == "2024-05-17"
    assert doc.source == "Coastal Times"
    assert doc.author == "Ada Byrne"
    assert "forty cables" in doc.text
    assert "Copyright" not in doc.text and "Sport" not in doc.text
    assert doc.url == server.url("/article")


def test_explicit_title_wins_over_page_title(server: Site) -> None:
    doc = load_source(server.url("/article"), "My title", LOCAL)
    assert doc.title == "My title"


def test_plain_text_and_request_headers(server: Site) -> None:
    fetched = fetch_url(server.url("/plain"), LOCAL)
    assert fetched.body == PLAIN_TEXT.encode()
    assert fetched.media_type == "text/plain"
    path, headers = server.requests[-1]
    assert path == "/plain"
    assert headers["User-Agent"] == "ArticleBot/0.1"
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Accept-Encoding"] == "identity"
    doc = load_source(server.url("/plain"), None, LOCAL)
    assert doc.title == "Tide tables"
    assert doc.text == PLAIN_TEXT.strip()


def test_pdf_over_http_extracts_text(server: Site) -> None:
    doc = load_source(server.url("/doc"), None, LOCAL)
    assert "Sales rose 4 percent." in doc.text
    assert doc.title == "Q3 report"


def test_missing_content_type_is_sniffed(server: Site) -> None:
    doc = load_source(server.url("/notype.php"), None, LOCAL)
    assert doc.title == "Harbour bridge reopens after repairs"


def test_gzip_body_is_decompressed(server: Site) -> None:
    assert fetch_url(server.url("/gzip"), LOCAL).body == PLAIN_TEXT.encode()


def test_gzip_bomb_stops_at_the_cap(server: Site) -> None:
    with pytest.raises(FetchError, match="bigger than the 100 KB limit"):
        fetch_url(server.url("/gzip-bomb"), FetchPolicy(allow_private=True, max_bytes=100_000))


# --- redirects ----------------------------------------------------------------------------------


def test_redirect_chain_within_limit(server: Site) -> None:
    fetched = fetch_url(server.url("/chain/4"), LOCAL)  # 5 redirects: the default limit
    assert fetched.body == PLAIN_TEXT.encode()
    assert fetched.final_url == server.url("/plain")
    assert len(server.requests) == 6


def test_redirect_chain_over_limit(server: Site) -> None:
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch_url(server.url("/chain/5"), LOCAL)  # 6 redirects
    assert len(server.requests) == 6  # the 7th hop was never requested


def test_relative_redirect(server: Site) -> None:
    assert fetch_url(server.url("/to-relative"), LOCAL).final_url == server.url("/plain")


@pytest.mark.parametrize("path", ["/to-ftp", "/to-file"])
def test_redirect_to_other_scheme_refused(server: Site, path: str) -> None:
    with pytest.raises(FetchError, match=r"Only http:// and https://"):
        fetch_url(server.url(path), LOCAL)


def test_redirect_without_location(server: Site) -> None:
    with pytest.raises(FetchError, match="without saying where"):
        fetch_url(server.url("/no-location"), LOCAL)


# --- size limits --------------------------------------------------------------------------------

SMALL = FetchPolicy(allow_private=True, max_bytes=10_000, timeout_s=5.0)


def test_declared_length_over_cap_refused_early(server: Site) -> None:
    with pytest.raises(FetchError, match="bigger than the 10 KB limit"):
        fetch_url(server.url("/declared-too-big"), SMALL)


def test_lying_content_length_reads_no_more_than_declared(server: Site) -> None:
    # The server pushes 50 KB after declaring 100 bytes: only the declared body is read.
    fetched = fetch_url(server.url("/lying-length"), SMALL)
    assert fetched.body == b"a" * 100


def test_body_without_length_over_cap(server: Site) -> None:
    with pytest.raises(FetchError, match="bigger than the 10 KB limit"):
        fetch_url(server.url("/close-delimited"), SMALL)


def test_chunked_body_over_cap(server: Site) -> None:
    with pytest.raises(FetchError, match="bigger than the 10 KB limit"):
        fetch_url(server.url("/chunked-big"), SMALL)


def test_chunked_body_under_cap(server: Site) -> None:
    assert len(fetch_url(server.url("/chunked-small"), SMALL).body) == 3_000


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/image", "/octet"])
def test_wrong_content_type_refused(server: Site, path: str) -> None:
    expected = "image/png" if path == "/image" else "application/octet-stream"
    with pytest.raises(FetchError, match=f"serves {expected}, not a web page"):
        fetch_url(server.url(path), LOCAL)


def test_http_errors(server: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch_url(server.url("/missing"), LOCAL)
    assert str(err.value) == "The page answered 404 Not Found."
    with pytest.raises(FetchError, match="answered 500 Internal Server Error"):
        fetch_url(server.url("/broken"), LOCAL)


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="127.0.0.1 refused the connection"):
        fetch_url(f"http://127.0.0.1:{port}/", LOCAL)


def test_timeout_waiting_for_answer(server: Site) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError, match="did not answer within 0.4 seconds"):
        fetch_url(server.url("/slow"), FetchPolicy(allow_private=True, timeout_s=0.4))
    assert time.monotonic() - start < 1.5


def test_total_deadline_beats_a_dripping_server(server: Site) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError, match="did not answer within 0.5 seconds"):
        fetch_url(server.url("/drip"), FetchPolicy(allow_private=True, timeout_s=0.5))
    assert time.monotonic() - start < 1.5


def test_https_to_a_plain_http_server_fails_cleanly(server: Site) -> None:
    with pytest.raises(FetchError, match="secure connection to 127.0.0.1"):
        fetch_url(f"https://127.0.0.1:{server.port}/plain", LOCAL)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/file.txt",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "127.0.0.1/plain",
    ],
)
def test_other_schemes_refused(url: str) -> None:
    with pytest.raises(FetchError, match=r"Only http:// and https://"):
        fetch_url(url, LOCAL)


def test_credentials_in_url_refused(server: Site) -> None:
    with pytest.raises(FetchError, match="user name or password"):
        fetch_url(f"http://user:secret@127.0.0.1:{server.port}/plain", LOCAL)
    assert server.requests == []


def test_load_source_url_errors_are_fetch_errors(server: Site) -> None:
    with pytest.raises(FetchError):
        load_source(server.url("/missing"), None, LOCAL)


def test_load_source_refuses_paths_when_files_not_allowed() -> None:
    with pytest.raises(BadInput, match="Only http:// and https:// links"):
        load_source("/etc/passwd", None, LOCAL, allow_files=False)


# --- address checks (the check on) --------------------------------------------------------------

BLOCKED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "10.0.0.1",
    "169.254.169.254",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "2130706433",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f.1",
    "127.1",
    "0.0.0.0",
    "0",
    "224.0.0.1",
    "100.64.0.1",
    "192.168.1.1",
    "172.16.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[2002:7f00:1::1]",
]


@pytest.mark.parametrize("host", BLOCKED_HOSTS)
def test_private_hosts_refused_without_connecting(server: Site, host: str) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError, match="which the bot may not fetch from"):
        fetch_url(f"http://{host}:{server.port}/plain", FetchPolicy(timeout_s=5.0))
    assert time.monotonic() - start < 0.5
    assert server.requests == []


def test_https_private_host_refused(server: Site) -> None:
    with pytest.raises(FetchError, match="loopback"):
        fetch_url(f"https://localhost:{server.port}/", FetchPolicy())
    assert server.requests == []


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_parse_ip_reads_odd_spellings_like_libc(spelling: str, expected: str) -> None:
    assert parse_ip(spelling) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("name", ["example.com", "deadbeef", "cafe.example", "a-b.org"])
def test_parse_ip_leaves_names_alone(name: str) -> None:
    assert parse_ip(name) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "shared"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 wrapping 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
    ],
)
def test_address_problem_names_the_reason(address: str, reason: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and reason in problem
    with pytest.raises(FetchError):
        check_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None
    check_address(address)  # no exception


def test_resolve_checked_refuses_any_private_answer() -> None:
    with pytest.raises(FetchError, match="loopback"):
        resolve_checked("localhost", 80, FetchPolicy())
    with pytest.raises(FetchError, match="loopback"):
        resolve_checked("0x7f.1", 80, FetchPolicy())


def test_resolve_checked_with_private_allowed_pins_addresses() -> None:
    addresses = resolve_checked("127.1", 8080, FetchPolicy(allow_private=True))
    assert addresses == [(socket.AF_INET, ("127.0.0.1", 8080))]


def test_invalid_host_names() -> None:
    with pytest.raises(FetchError, match="not valid"):
        fetch_url("http://a..b/", FetchPolicy())
    with pytest.raises(FetchError, match="no host name"):
        fetch_url("http:///path", FetchPolicy())
    with pytest.raises(FetchError, match="not valid"):
        fetch_url("http://127.0.0.1:99999/", FetchPolicy())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_checks_the_certificate_against_the_url_name(tmp_path: Path) -> None:
    """A TLS server with a self-signed certificate for "localhost" is refused (verification is on,
    and the pinned connection still sends the URL's name for SNI and the certificate check)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=20,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        port = httpd.server_address[1]
        with pytest.raises(FetchError, match="localhost has an invalid TLS certificate"):
            fetch_url(f"https://localhost:{port}/", LOCAL)
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- every hop checked, connections pinned (a fake public internet) ---------------------------
#
# The check is only observable with a first hop that passes it, and the test server lives on
# 127.0.0.1. So these tests stand in for the internet below our code: the resolver (stdlib
# ``socket.getaddrinfo``) answers made-up names, and a connection to the made-up public address
# is routed to the test server. The fetcher itself runs unchanged with the address check on.

PUBLIC = "93.184.216.34"  # a public address (example.com); nothing here really connects to it


def _to(target: str) -> Route:
    """A route redirecting to ``target``, with ``{port}`` replaced by the server's port."""
    return lambda h: _redirect(h, target.format(port=h.server.server_address[1]))


ROUTES.update(
    {
        "/to-loopback": _to("http://127.0.0.1:{port}/plain"),
        "/to-localhost": _to("http://localhost:{port}/plain"),
        "/to-decimal": _to("http://2130706433:{port}/plain"),
        "/to-mapped": _to("http://[::ffff:127.0.0.1]:{port}/plain"),
        "/to-metadata": _to("http://169.254.169.254/latest/meta-data/"),
        "/to-private-name": _to("http://intranet.test:{port}/plain"),
        "/to-public": _to("http://news.test:{port}/plain"),
    }
)


@dataclass
class FakeInternet:
    """What the fetcher asked the resolver and where it connected."""

    answers: dict[str, list[list[str]]]  # name -> successive answers (lists of addresses)
    lookups: list[str] = field(default_factory=list)
    connects: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def internet(monkeypatch: pytest.MonkeyPatch) -> FakeInternet:
    fake = FakeInternet(
        answers={
            "news.test": [[PUBLIC]],
            "intranet.test": [["10.1.2.3"]],
            "mixed.test": [[PUBLIC, "10.0.0.7"]],
            # DNS rebinding: public when checked, loopback on any later lookup.
            "rebind.test": [[PUBLIC], ["127.0.0.1"]],
        }
    )
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in fake.answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        fake.lookups.append(name)
        seen = fake.lookups.count(name)
        answers = fake.answers[name]
        addresses = answers[min(seen, len(answers)) - 1]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
            for address in addresses
        ]

    def connect(sock, address):
        fake.connects.append(tuple(address[:2]))
        if address[0] == PUBLIC:
            address = ("127.0.0.1", address[1])
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return fake


CHECKED = FetchPolicy(timeout_s=5.0)  # the default: private addresses refused


def test_fake_public_host_is_fetched_with_the_check_on(server: Site, internet) -> None:
    fetched = fetch_url(f"http://news.test:{server.port}/plain", CHECKED)
    assert fetched.body == PLAIN_TEXT.encode()
    assert internet.connects == [(PUBLIC, server.port)]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-loopback", "loopback"),
        ("/to-localhost", "loopback"),
        ("/to-decimal", "loopback"),
        ("/to-mapped", "loopback"),
        ("/to-metadata", "link-local"),
        ("/to-private-name", "private"),
    ],
)
def test_redirect_to_a_private_address_is_refused_at_that_hop(
    server: Site, internet, path: str, reason: str
) -> None:
    with pytest.raises(FetchError, match=f"{reason} address, which the bot may not fetch from"):
        fetch_url(f"http://news.test:{server.port}{path}", CHECKED)
    assert [p for p, _ in server.requests] == [path]  # the redirect target was never asked
    assert internet.connects == [(PUBLIC, server.port)]


def test_redirect_to_a_public_host_is_followed_and_rechecked(server: Site, internet) -> None:
    fetched = fetch_url(f"http://news.test:{server.port}/to-public", CHECKED)
    assert fetched.final_url == f"http://news.test:{server.port}/plain"
    assert internet.lookups == ["news.test", "news.test"]  # resolved and checked on each hop


def test_dns_rebinding_cannot_move_the_connection(server: Site, internet) -> None:
    fetched = fetch_url(f"http://rebind.test:{server.port}/plain", CHECKED)
    assert fetched.body == PLAIN_TEXT.encode()
    assert internet.lookups == ["rebind.test"]  # one lookup: nothing re-resolves the name
    assert internet.connects == [(PUBLIC, server.port)]  # the checked address, not 127.0.0.1


def test_a_host_with_one_private_answer_among_public_ones_is_refused(
    server: Site, internet
) -> None:
    with pytest.raises(FetchError, match="private address"):
        fetch_url(f"http://mixed.test:{server.port}/plain", CHECKED)
    assert internet.connects == [] and server.requests == []


def test_fetch_limits_and_private_switch_defaults() -> None:
    from bot.settings import Settings

    policy = FetchPolicy()
    assert (policy.max_redirects, policy.timeout_s, policy.max_bytes) == (5, 15.0, 10_000_000)
    assert policy.allow_private is False
    assert Settings.load(env={}, dotenv=False).allow_private_urls is False
    assert (
        Settings.load(env={"ARTICLEBOT_ALLOW_PRIVATE_URLS": "1"}, dotenv=False)
        .engine_config()
        .allow_private_urls
    )
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "ARTICLEBOT_ALLOW_PRIVATE_URLS" in readme and "off by default" in readme
