"""HTTP for the collector: one GET, politely.

Every request waits for its host's gate (at most ``per_host`` in flight, ``delay``
seconds between two starts, or the robots.txt Crawl-delay when longer), asks
robots.txt first, sends the User-Agent naming nianbao and the validators of what
is stored (ETag, Last-Modified), follows a bounded number of redirects itself (each
hop is checked against its own host's robots.txt), stops reading at the size cap,
and retries with exponential backoff on 5xx, 429, timeouts and dropped connections.
"""
from __future__ import annotations

import asyncio
import hashlib
import random
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from .. import __version__

# HTTP headers are ASCII: the name and purpose in English
USER_AGENT = f"nianbao/{__version__} (collector of government information disclosure annual reports; obeys robots.txt)"
ROBOTS_AGENT = "nianbao"        # the token robots.txt groups are matched against
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL = 2000                  # bytes; longer addresses are refused (they are indexed keys in the store)
ROBOTS_MAX_BYTES = 500 * 1024   # RFC 9309: at least 500 KiB must be parsed; more is ignored


@dataclass
class Policy:
    """How hard the collector may press on one host, and how long it waits."""
    per_host: int = 2               # requests in flight per host
    delay: float = 1.0              # seconds between the starts of two requests to one host
    timeout: float = 30.0           # connect / read timeout, seconds
    deadline: float = 600.0         # a whole response must arrive within this (slow drips end here)
    retries: int = 3                # further attempts after a retryable failure
    backoff: float = 1.0            # first wait before a retry; doubles each time
    max_wait: float = 60.0          # cap on Retry-After, backoff and Crawl-delay
    max_bytes: int = 100 * 1024 * 1024
    max_redirects: int = 5
    max_connections: int = 32       # in flight over all hosts
    user_agent: str = USER_AGENT
    robots: bool = True
    verify: bool = True             # check TLS certificates (--insecure turns it off)


@dataclass
class Fetched:
    """The answer to one GET: new content (``data``), or ``not_modified`` (304)."""
    url: str
    final_url: str
    status: int
    redirects: list[list] = field(default_factory=list)   # [[status, location], …]
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    filename: str | None = None
    data: bytes | None = None
    sha256: str | None = None
    fetched_at: datetime | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A URL that could not be fetched; ``reason`` is a short code, the message says it in words."""

    def __init__(self, url: str, reason: str, message: str, status: int | None = None):
        super().__init__(message)
        self.url, self.reason, self.status = url, reason, status


class _Retry(Exception):
    def __init__(self, reason: str, message: str, status: int | None = None, wait: float | None = None):
        super().__init__(message)
        self.reason, self.status, self.wait = reason, status, wait


def normalize(url: str) -> str:
    """An absolute http(s) URL as a key: no fragment, lower-case scheme and host, no default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def resolve(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; None for what is not an http(s) address."""
    href = (href or "").strip()
    if not href or href.startswith("#") or re.match(r"(?i)(javascript|mailto|tel|data|ftp):", href):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        parts.port  # raises on a malformed port
    except ValueError:
        return None
    url = normalize(url)
    return url if len(url.encode("utf-8")) <= MAX_URL else None


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def filename_of(headers, url: str) -> str | None:
    """The file name the server gives (Content-Disposition), else the last part of the URL's path."""
    cd = headers.get("content-disposition") or ""
    m = re.search(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", cd, re.I)
    if m:
        try:
            return _safe_name(unquote(m.group(2).strip().strip('"'), encoding=m.group(1)))
        except LookupError:
            pass
    m = re.search(r'filename\s*=\s*"([^"]+)"|filename\s*=\s*([^;]+)', cd, re.I)
    if m:
        raw = (m.group(1) or m.group(2)).strip()
        # servers send GBK or UTF-8 bytes in this header; HTTP libraries read them as latin-1
        try:
            b = raw.encode("latin-1")
        except UnicodeEncodeError:
            return _safe_name(unquote(raw))
        for enc in ("utf-8", "gb18030"):
            try:
                return _safe_name(unquote(b.decode(enc), encoding=enc))
            except UnicodeDecodeError:
                continue
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return _safe_name(name) if name else None


def _safe_name(name: str) -> str | None:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    name = re.sub(r"[\x00-\x1f]", "", name)
    return name[:200] or None


class HostGate:
    """At most ``limit`` requests in flight to one host, starts at least ``delay`` seconds apart."""

    def __init__(self, limit: int, delay: float):
        self.sem = asyncio.Semaphore(max(1, limit))
        self.delay = max(0.0, delay)
        self._lock = asyncio.Lock()
        self._next = 0.0
        self._last = None

    def slow_down(self, delay: float) -> None:
        """A longer delay from now on (robots.txt's Crawl-delay), counted from the last start."""
        if delay > self.delay:
            self.delay = delay
            if self._last is not None:
                self._next = max(self._next, self._last + delay)

    @asynccontextmanager
    async def slot(self):
        async with self.sem:
            loop = asyncio.get_running_loop()
            async with self._lock:
                wait = self._next - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last = loop.time()
                self._next = self._last + self.delay
            yield


class Fetcher:
    """GET with politeness, robots.txt, retries and caps. Use as ``async with Fetcher(policy) as f``."""

    def __init__(self, policy: Policy | None = None, *, transport=None, on_request=None):
        self.policy = policy or Policy()
        self._transport = transport
        self._client = None
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, asyncio.Future] = {}
        self._all = None
        self.on_request = on_request   # called with (host, url, status or reason) after each attempt
        self.requests: dict[str, int] = {}

    async def __aenter__(self):
        import httpx
        p = self.policy
        self._client = httpx.AsyncClient(
            headers={"User-Agent": p.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
            timeout=httpx.Timeout(p.timeout, pool=None), follow_redirects=False, transport=self._transport,
            verify=p.verify,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=max(8, p.max_connections)))
        self._all = asyncio.Semaphore(max(1, p.max_connections))
        return self

    async def __aexit__(self, *exc):
        await self._client.aclose()

    def gate(self, url: str) -> HostGate:
        host = host_of(url)
        if host not in self._gates:
            self._gates[host] = HostGate(self.policy.per_host, self.policy.delay)
        return self._gates[host]

    # ------------------------------------------------------------------ robots.txt
    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets nianbao fetch ``url`` (read once per host and run)."""
        if not self.policy.robots:
            return True
        host = host_of(url)
        fut = self._robots.get(host)
        if fut is None:
            fut = self._robots[host] = asyncio.get_running_loop().create_future()
            try:
                rules = await self._read_robots(host)
            except asyncio.CancelledError:
                del self._robots[host]  # the run is ending: the next caller asks again
                fut.cancel()
                raise
            except Exception:  # an unreadable answer is treated as no answer: the host is left alone
                rules = "unreachable"
            fut.set_result(rules)
        rules = await asyncio.shield(fut)
        if rules is None:
            return True
        if isinstance(rules, FetchError):  # the host cannot be reached the way it is served (TLS)
            raise FetchError(url, rules.reason, str(rules), rules.status)
        if rules == "unreachable":
            raise FetchError(url, "robots-unreachable",
                             f"robots.txt 无法读取，按规定不采集此站点 (robots.txt unreachable: the host is not "
                             f"collected, as RFC 9309 asks): {host}/robots.txt")
        return rules.can_fetch(url, ROBOTS_AGENT)

    async def _read_robots(self, host: str):
        """Protego rules, None (no robots.txt: all allowed), "unreachable" (5xx or no answer), or the
        FetchError of a certificate that cannot be verified (nothing on that host can be fetched)."""
        from protego import Protego
        url = host + "/robots.txt"
        try:
            res = await self._follow(url, {}, check_robots=False, max_bytes=ROBOTS_MAX_BYTES, truncate=True)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None
            if exc.reason == "tls":
                return exc
            return "unreachable"
        text = (res.data or b"").decode("utf-8", "replace")
        rules = Protego.parse(text)
        delay = rules.crawl_delay(ROBOTS_AGENT)
        if delay:
            self.gate(url).slow_down(min(float(delay), self.policy.max_wait))
        return rules

    # ------------------------------------------------------------------ GET
    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET ``url``; conditional when validators are given. Raises :class:`FetchError`."""
        if len(url.encode("utf-8")) > MAX_URL:
            raise FetchError(url, "bad-url", f"地址过长 (URL longer than {MAX_URL} bytes)")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(url, headers, check_robots=True, max_bytes=self.policy.max_bytes)

    async def _follow(self, url: str, headers: dict, *, check_robots: bool, max_bytes: int,
                      truncate: bool = False) -> Fetched:
        redirects: list[list] = []
        current = url
        seen = {url}
        while True:
            if check_robots and not await self.allowed(current):
                raise FetchError(url, "robots", f"robots.txt 不允许采集 (disallowed by robots.txt): {current}")
            res = await self._with_retries(current, headers, max_bytes, truncate)
            if res.status not in REDIRECT_STATUSES:
                res.url, res.redirects = url, redirects
                return res
            target = resolve(current, res.data.decode("latin-1") if res.data else "")
            redirects.append([res.status, target or ""])
            if target is None:
                raise FetchError(url, "bad-redirect", f"重定向地址无效 (redirect to an unusable address) "
                                                      f"from {current}", res.status)
            if len(redirects) > self.policy.max_redirects:
                raise FetchError(url, "too-many-redirects", f"重定向超过 {self.policy.max_redirects} 次 "
                                                            f"(more than {self.policy.max_redirects} redirects)")
            if target in seen:
                raise FetchError(url, "redirect-loop", f"重定向循环 (redirect loop) at {target}")
            seen.add(target)
            current = target

    async def _with_retries(self, url: str, headers: dict, max_bytes: int, truncate: bool) -> Fetched:
        p = self.policy
        last: _Retry | None = None
        for attempt in range(p.retries + 1):
            if attempt:
                wait = last.wait if last.wait is not None else p.backoff * 2 ** (attempt - 1) * random.uniform(0.75, 1.25)
                await asyncio.sleep(min(wait, p.max_wait))
            try:
                async with self._all, self.gate(url).slot():
                    return await asyncio.wait_for(self._once(url, headers, max_bytes, truncate), p.deadline)
            except _Retry as exc:
                last = exc
            except asyncio.TimeoutError:
                last = _Retry("timeout", f"超过 {p.deadline:g} 秒仍未下载完 (not complete after {p.deadline:g} s)")
                self._note(url, "timeout")
        raise FetchError(url, last.reason, f"{last} (重试 {p.retries} 次后仍失败 failed after {p.retries} retries)",
                         last.status)

    async def _once(self, url: str, headers: dict, max_bytes: int, truncate: bool) -> Fetched:
        import httpx
        try:
            req = self._client.build_request("GET", url, headers=headers)
            resp = await self._client.send(req, stream=True)
        except httpx.TimeoutException as exc:
            self._note(url, "timeout")
            raise _Retry("timeout", f"超时 (timed out after {self.policy.timeout:g} s): {type(exc).__name__}")
        except (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError,
                httpx.CloseError, httpx.ProxyError) as exc:
            self._note(url, "connection")
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
                # asking again will not mend a certificate
                raise FetchError(url, "tls", f"TLS 证书无法验证（过期、自签名或缺中间证书），可用 --insecure 跳过验证 "
                                             f"(the TLS certificate cannot be verified; --insecure skips the "
                                             f"check): {exc}") from None
            raise _Retry("connection", f"连接失败或被重置 (connection failed or reset): {type(exc).__name__}: {exc}")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
            raise FetchError(url, "bad-url", f"地址无效 (unusable URL): {exc}") from None
        status = resp.status_code
        self._note(url, status)
        try:
            if status in REDIRECT_STATUSES:
                return Fetched(url, url, status, data=(resp.headers.get("location") or "").encode("latin-1", "replace"))
            if status == 304:
                return Fetched(url, str(resp.url), 304, etag=resp.headers.get("etag"),
                               last_modified=resp.headers.get("last-modified"), fetched_at=_now())
            if status in RETRY_STATUSES:
                raise _Retry(f"http-{status}", f"服务器返回 HTTP {status} (server answered HTTP {status})", status,
                             _retry_after(resp.headers.get("retry-after")))
            if status >= 400 or status < 200:
                raise FetchError(url, f"http-{status}", f"服务器返回 HTTP {status} (server answered HTTP {status})",
                                 status)
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise FetchError(url, "too-large", _too_large(int(declared), max_bytes), status)
            chunks, n = [], 0
            try:
                async for chunk in resp.aiter_bytes():
                    n += len(chunk)
                    if n > max_bytes:
                        if truncate:
                            chunks.append(chunk[:max_bytes - (n - len(chunk))])
                            break
                        raise FetchError(url, "too-large", _too_large(n, max_bytes), status)
                    chunks.append(chunk)
            except httpx.TimeoutException:
                raise _Retry("timeout", f"读取超时 (read timed out after {self.policy.timeout:g} s)")
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.DecodingError) as exc:
                raise _Retry("connection", f"下载中断 (download cut short): {type(exc).__name__}: {exc}")
            data = b"".join(chunks)
            return Fetched(url, str(resp.url), status, content_type=resp.headers.get("content-type"),
                           etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"),
                           filename=filename_of(resp.headers, str(resp.url)), data=data,
                           sha256=hashlib.sha256(data).hexdigest(), fetched_at=_now())
        finally:
            await resp.aclose()

    def _note(self, url: str, outcome) -> None:
        host = host_of(url)
        self.requests[host] = self.requests.get(host, 0) + 1
        if self.on_request:
            self.on_request(host, url, outcome)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _too_large(n: int, cap: int) -> str:
    return f"文件过大（{n / 1e6:.1f} MB，上限 {cap / 1e6:.0f} MB）(file larger than the {cap / 1e6:.0f} MB cap)"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - _now()).total_seconds())
