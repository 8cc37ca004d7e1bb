"""Serve the Ryggvett chat widget and its demo clinic page (Python stdlib only).

    python scripts/serve_web.py --port 8000 --rasa-url http://localhost:5005 [--bind 127.0.0.1]

Routes:
    /                          web/demo/index.html with the Rasa URL (and accent, language) filled in
    /widget/ryggvett-chat.js   the widget
    /widget/socket.io.min.js   the socket.io client from web/node_modules (`make web` installs it)
    /exercises/<key>.svg       exercise illustrations from content/exercises/illustrations

For tests and demos, `/?accent=%23ffd700` overrides the accent colour, `/?lang=en` the language and
`/?reply_timeout=2000` how many milliseconds the widget waits for an answer before saying none came.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEMO_PAGE = WEB_DIR / "demo" / "index.html"
WIDGET = WEB_DIR / "widget" / "ryggvett-chat.js"
SOCKET_IO = WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
ILLUSTRATIONS = WEB_DIR.parent / "content" / "exercises" / "illustrations"
ILLUSTRATION_PATH = re.compile(r"/exercises/([a-z0-9_]{1,80}\.svg)")
# An SVG opened on its own must not run anything, whatever it contains.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

DEFAULT_ACCENT = "#0b5d4b"
DEFAULT_REPLY_TIMEOUT = "20000"
TITLES = {"nb": "Spør om ryggen", "en": "Ask about your back"}
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
INLINE_STYLE = re.compile(r"^[ \t]*<style>(.*?)</style>", re.DOTALL | re.MULTILINE)  # a <style> opening a line

JS = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"


def socket_url(rasa_url: str) -> str:
    """The WebSocket form of an http(s) URL: http -> ws, https -> wss."""
    parts = urlsplit(rasa_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(rasa_url: str, page: str) -> str:
    """A strict CSP for the demo page: the widget's script, its connections and the page's own <style> (by hash)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode() + "'"
        for style in INLINE_STYLE.findall(page)
    )
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"connect-src 'self' {origin(rasa_url)} {socket_url(rasa_url)}",
            f"style-src 'self' {hashes}".strip(),
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def render_demo(template: str, rasa_url: str, query: str) -> str:
    """The demo page with its placeholders filled in, every value HTML-escaped."""
    params = parse_qs(query)
    accent = params.get("accent", [DEFAULT_ACCENT])[0]
    if not HEX_COLOUR.fullmatch(accent):
        accent = DEFAULT_ACCENT
    lang = params.get("lang", ["nb"])[0]
    if lang not in TITLES:
        lang = "nb"
    timeout = params.get("reply_timeout", [DEFAULT_REPLY_TIMEOUT])[0]
    if not timeout.isdigit() or not 1000 <= int(timeout) <= 120_000:
        timeout = DEFAULT_REPLY_TIMEOUT
    values = {"SERVER": rasa_url, "ACCENT": accent, "LANG": lang, "TITLE": TITLES[lang], "REPLY_TIMEOUT": timeout}
    page = template
    for name, value in values.items():
        page = page.replace("{{RYGGVETT_" + name + "}}", html.escape(value, quote=True))
    return page


class Handler(BaseHTTPRequestHandler):
    """GET/HEAD for the routes above; everything else is 404."""

    rasa_url = ""
    server_version = "ryggvett-web"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._respond(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        if url.path in ("/", "/index.html"):
            page = render_demo(DEMO_PAGE.read_text(encoding="utf-8"), self.rasa_url, url.query)
            body, content_type = page.encode("utf-8"), HTML
            headers["Content-Security-Policy"] = content_security_policy(self.rasa_url, page)
        elif url.path == "/widget/ryggvett-chat.js":
            body, content_type = WIDGET.read_bytes(), JS
        elif url.path == "/widget/socket.io.min.js":
            body, content_type = SOCKET_IO.read_bytes(), JS
        elif (match := ILLUSTRATION_PATH.fullmatch(url.path)) and (ILLUSTRATIONS / match.group(1)).is_file():
            body, content_type = (ILLUSTRATIONS / match.group(1)).read_bytes(), "image/svg+xml"
            headers["Content-Security-Policy"] = SVG_POLICY
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            body, content_type = b"Not found\n", "text/plain; charset=utf-8"
            self._send(HTTPStatus.NOT_FOUND, body, content_type, headers, head)
            return
        self._send(HTTPStatus.OK, body, content_type, headers, head)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Ryggvett chat widget and its demo page.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rasa-url", default="http://localhost:5005", help="the Rasa server the widget connects to")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)

    if urlsplit(args.rasa_url).scheme not in ("http", "https") or not urlsplit(args.rasa_url).netloc:
        parser.error(f"--rasa-url must be an http(s) URL, not {args.rasa_url!r}")
    if not SOCKET_IO.is_file():
        print(f"error: {SOCKET_IO} is missing; run `make web` (npm ci in web/) first", file=sys.stderr)
        return 1
    Handler.rasa_url = args.rasa_url.rstrip("/")
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    host = "localhost" if args.bind in ("127.0.0.1", "0.0.0.0", "::") else args.bind
    print(f"Ryggvett demo page: http://{host}:{server.server_port}/ (widget talks to {Handler.rasa_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
