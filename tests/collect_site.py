"""A mock government website on loopback, for the collector's tests and benchmark.

``Site`` maps paths to resources (a body with its Content-Type, ETag and Last-Modified,
a redirect, a 500 that recovers, a response slower than the client's timeout);
``serve(site, host)`` runs it in a thread of this process on a free port, speaking
HTTP/1.1 with keep-alive and answering conditional requests with 304. Every request
is logged with its start and end, so tests and benchmarks measure what the collector
did from the server's side: what was fetched, how many at once, how far apart.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None          # for 301/302
    fail_first: int = 0                  # answer 500 to the first N requests
    slow_first: int = 0                  # sleep ``slow`` seconds before answering the first N requests
    slow: float = 0.0
    validators: bool = True              # ETag and Last-Modified, and 304 on a conditional request
    disposition: str | None = None       # Content-Disposition
    hits: int = 0
    modified: float = field(default_factory=lambda: time.time() - 86400)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Hit:
    host: str
    path: str
    status: int
    start: float
    end: float
    user_agent: str
    conditional: bool


class Site:
    def __init__(self, name: str = "site"):
        self.name = name
        self.resources: dict[str, Resource] = {}
        self.log: list[Hit] = []       # requests answered (or given up by the client), as they end
        self.started: list[str] = []   # paths requested, as they start
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def add(self, path: str, body: bytes | str = b"", **kw) -> Resource:
        if isinstance(body, str):
            body = body.encode("utf-8")
        res = self.resources[path] = Resource(body=body, **kw)
        return res

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.resources[path] = Resource(status=status, location=to)

    def paths(self, status: int | None = None) -> list[str]:
        return [h.path for h in self.log if status is None or h.status == status]

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being answered (a handler logs after the client has its answer)."""
        end = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < end:
            time.sleep(0.01)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.started.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site = None  # set per server

    def log_message(self, *args):  # the test's log is self.site.log
        pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # a client that closed its kept-alive connection, or gave up waiting

    def do_GET(self):
        site = self.site
        start = time.monotonic()
        with site._lock:
            site.started.append(self.path)
            site.in_flight += 1
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        status = 0
        try:
            status = self._answer(site)
        except (BrokenPipeError, ConnectionResetError):
            status = status or 599  # the client went away (gave up waiting)
        finally:
            with site._lock:
                site.in_flight -= 1
                site.log.append(Hit(self.headers.get("Host", ""), self.path, status, start, time.monotonic(),
                                    self.headers.get("User-Agent", ""),
                                    bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))))

    def _answer(self, site: Site) -> int:
        res = site.resources.get(self.path.split("#")[0])
        if res is None:
            return self._send(404, b"<html><body>404 Not Found</body></html>", "text/html; charset=utf-8")
        with site._lock:
            res.hits += 1
            hit = res.hits
        if hit <= res.slow_first:
            time.sleep(res.slow)
        if hit <= res.fail_first:
            self.close_connection = True
            return self._send(500, b"<html><body>500 Internal Server Error</body></html>", "text/html")
        if res.location is not None:
            return self._send(res.status, b"", "text/html", {"Location": res.location})
        if res.status != 200:
            return self._send(res.status, res.body, res.content_type)
        headers = {}
        if res.validators:
            headers["ETag"] = res.etag
            headers["Last-Modified"] = formatdate(res.modified, usegmt=True)
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm is not None:
                if res.etag in [t.strip() for t in inm.split(",")]:
                    return self._send(304, b"", None, headers)
            elif ims:
                try:
                    if parsedate_to_datetime(ims).timestamp() >= int(res.modified):
                        return self._send(304, b"", None, headers)
                except (TypeError, ValueError):
                    pass
        if res.disposition:
            headers["Content-Disposition"] = res.disposition
        return self._send(200, res.body, res.content_type, headers)

    def _send(self, status: int, body: bytes, ctype: str | None, headers: dict | None = None) -> int:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)
        return status


class Server:
    """``site`` served on ``host`` (a loopback address) and a free port, in a thread of this process."""

    def __init__(self, site: Site, host: str = "127.0.0.1"):
        handler = type("Handler", (_Handler,), {"site": site})
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.site = site
        self.host = host
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"mock-site-{host}", daemon=True)

    def __enter__(self) -> "Server":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def max_overlap(hits: list[Hit]) -> int:
    """The most requests the server was answering at one moment."""
    events = sorted([(h.start, 1) for h in hits] + [(h.end, -1) for h in hits], key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def min_gap(hits: list[Hit]) -> float | None:
    """The shortest time between the starts of two requests."""
    starts = sorted(h.start for h in hits)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    return min(gaps) if gaps else None


def mean_gap(hits: list[Hit]) -> float | None:
    """The mean time between the starts of two requests (first to last start, over the gaps)."""
    starts = sorted(h.start for h in hits)
    return (starts[-1] - starts[0]) / (len(starts) - 1) if len(starts) > 1 else None


# ---------------------------------------------------------------------- pages of a 年报 column

def column_page(title: str, entries: list[tuple[str, str, str]], pager: str = "", charset: str = "utf-8") -> bytes:
    """A listing as government sites print it: navigation, the entries (link, title, date), the pager."""
    meta = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if charset != "utf-8"
            else '<meta charset="utf-8">')
    items = "\n".join(f'<li><a href="{href}" title="{t}" target="_blank">{_short(t)}</a><span>{d}</span></li>'
                      for href, t, d in entries)
    html = (f"<!DOCTYPE html><html><head>{meta}<title>{title}_政务公开</title></head><body>"
            f'<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
            f'<a href="./index.html">政府信息公开年报</a></div>'
            f'<div class="list"><ul>{items}</ul></div><div class="pager">{pager}</div>'
            f'<div class="footer">主办单位：某某市人民政府办公室 <a href="/wzdt.html">网站地图</a></div></body></html>')
    return html.encode("gbk" if charset != "utf-8" else "utf-8")


def _short(title: str) -> str:
    return title if len(title) <= 24 else title[:22] + "..."


def report_page(title: str, attachments: list[tuple[str, str]], body: str = "", charset: str = "utf-8") -> bytes:
    """A report's page: its title, a line of prose, and its attachments (link, name)."""
    meta = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if charset != "utf-8"
            else '<meta charset="utf-8">')
    links = "".join(f'<p>附件：<a href="{href}">{name}</a></p>' for href, name in attachments)
    html = (f"<!DOCTYPE html><html><head>{meta}<title>{title}_某某市人民政府</title>"
            f'<meta name="ArticleTitle" content="{title}"></head><body>'
            f'<div class="nav"><a href="/">首页</a> &gt; <a href="../index.html">政府信息公开年报</a></div>'
            f"<h1>{title}</h1><div class='info'>发布时间：2024-01-15 来源：某某市人民政府办公室</div>"
            f"<div class='content'><p>{body or '现将本机关政府信息公开工作年度报告全文公布如下，详见附件。'}</p>{links}</div>"
            f'<div class="footer"><a href="/">首页</a></div></body></html>')
    return html.encode("gbk" if charset != "utf-8" else "utf-8")


def pager(pages: list[str], current: int) -> str:
    """Page numbers and 下一页 / 尾页, relative links as TRS sites print them."""
    out = []
    for i, href in enumerate(pages):
        out.append(f"<span>{i + 1}</span>" if i == current else f'<a href="{href}">{i + 1}</a>')
    if current + 1 < len(pages):
        out.append(f'<a href="{pages[current + 1]}">下一页</a> <a href="{pages[-1]}">尾页</a>')
    return " ".join(out)
