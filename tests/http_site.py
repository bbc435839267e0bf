"""A real HTTP server on 127.0.0.1 for tests that fetch pages: routes in, requests recorded.

Shared by the fetcher's tests (hostile servers: lying lengths, bombs, drips, redirect loops) and
the preview/add tests (a plain article page), so both talk to the same kind of server.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Site:
    """A running server: its port and the requests it received (path, headers), in order."""

    port: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    @property
    def hits(self) -> list[str]:
        return [path for path, _ in self.requests]


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, **headers: str) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        h.send_header(name.replace("_", "-"), value)
    h.end_headers()
    h.wfile.write(body)


@contextlib.contextmanager
def serve(route_for: Callable[[str], Route | None]) -> Iterator[Site]:
    """Serve in a thread on a free port; ``route_for(path)`` picks the handler (None: 404)."""
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
            site.requests.append((self.path, dict(self.headers.items())))
            route = route_for(self.path.split("?", 1)[0])
            try:
                if route is None:
                    send(self, 404, b"not found", "text/plain")
                else:
                    route(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up on purpose

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Keep test output quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.block_on_close = False  # do not wait for handlers that sleep past the test
    site.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
