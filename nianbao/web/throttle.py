"""Login throttling: failed sign-ins counted per account and per address over a sliding window.

Past the limit the next attempt is refused (HTTP 429, with Retry-After) before any password is
hashed, so guessing costs the server nothing and a stream of wrong passwords cannot slow the
pages other people read. A successful sign-in clears the account's count (not the address's:
one right password among many wrong ones does not reopen an address that guesses).

The counts live in this process's memory (``nianbao serve`` is one process); they are bounded:
keys whose failures have all left the window are dropped, and past ``max_keys`` the oldest go.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class LoginThrottle:
    def __init__(self, per_account: int = 5, per_address: int = 20, window: float = 900.0,
                 max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.limits = {"account": per_account, "address": per_address}
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], deque] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> list[tuple[str, str]]:
        out = [("address", address or "?")]
        if name:
            out.append(("account", name.strip().lower()))
        return out

    def _recent(self, key, now: float) -> deque:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def retry_after(self, name: str, address: str) -> float:
        """Seconds until this (account, address) may try again; 0 when it may try now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(name, address):
                q = self._recent(key, now)
                if len(q) >= self.limits[key[0]]:
                    # the attempt that frees a place is the oldest of the last `limit` failures
                    wait = max(wait, q[-self.limits[key[0]]] + self.window - now)
        return wait

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(name, address):
                q = self._recent(key, now)
                if key not in self._failures:
                    self._failures[key] = q
                q.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("account", name.strip().lower()), None)

    def clear_account(self, name: str) -> None:
        """An administrator reset the password: the account may sign in again at once."""
        self.succeeded(name)
