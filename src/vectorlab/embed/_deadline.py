"""An overall deadline for the ``openai`` SDK's requests, and a say in which answers it retries.

The SDK retries 408/409/429/5xx, timeouts and lost connections with backoff and jitter, and honours
``Retry-After``; what it lacks is a limit on the whole call: its timeout applies per socket read, so
a server trickling one byte every half second holds a call forever, and retries multiply a silent
server's timeout. :class:`DeadlineTransport` wraps the HTTP transport the SDK sends through:

* before each attempt it caps every socket timeout to the time left, and refuses to start once the
  deadline has passed;
* while the answer streams in it checks the clock after every chunk: past the attempt's ``timeout``
  it raises ``httpx2.ReadTimeout`` (the SDK retries it, like any timeout), past the deadline
  :class:`DeadlineExceeded`;
* an answer whose ``Retry-After`` asks for longer than we wait (``max_retry_after``, or the time
  left) gets ``x-should-retry: false``, the SDK's own header, so the SDK raises it at once instead
  of sleeping.

Running out of time raises :class:`DeadlineExceeded`, an ``openai.APITimeoutError``: the SDK passes
its own errors through without retrying them.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

import httpx2
import openai

logger = logging.getLogger("vectorlab.embed.client")

__all__ = ["DeadlineTransport", "DeadlineExceeded", "retry_after_seconds", "RETRYABLE"]

RETRYABLE = frozenset({408, 409, 429}) | frozenset(range(500, 600))
"""Statuses the SDK retries (see ``openai._base_client._should_retry``)."""


class DeadlineExceeded(openai.APITimeoutError):
    """The whole request (all attempts and waits) took longer than its deadline."""

    def __init__(self, request: httpx2.Request, seconds: float) -> None:
        super().__init__(request=request)
        self.seconds = seconds


def retry_after_seconds(headers: httpx2.Headers) -> float | None:
    """Seconds a ``retry-after-ms`` or ``Retry-After`` header (seconds or an HTTP date) asks to wait."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) else math.inf
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None


class _DeadlineStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, check: Callable[[], None]) -> None:
        self._inner = inner
        self._check = check

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._check()
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx2.BaseTransport):
    """Enforces the deadline set with :meth:`start` on every request this thread sends."""

    def __init__(self, inner: httpx2.BaseTransport | None = None, *, max_retry_after: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_retries: int = 0, label: str = "") -> None:
        self._inner = inner or httpx2.HTTPTransport()
        self.max_retry_after = max_retry_after
        self.max_retries = max_retries
        self.label = label
        self.clock = clock
        self._local = threading.local()

    def start(self, timeout: float, deadline: float) -> None:
        """Begin a call: each attempt may take ``timeout`` seconds, all attempts and waits ``deadline``."""
        self._local.timeout = timeout
        self._local.deadline = (self.clock() + deadline, deadline)

    def remaining(self) -> float:
        """Seconds left before the deadline of this thread's call (infinite when none was started)."""
        deadline = getattr(self._local, "deadline", None)
        return math.inf if deadline is None else deadline[0] - self.clock()

    def _check(self, request: httpx2.Request) -> float:
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(request, self._local.deadline[1])
        return left

    def _check_attempt(self, request: httpx2.Request, attempt_end: float) -> None:
        self._check(request)
        if self.clock() > attempt_end:
            raise httpx2.ReadTimeout("the answer took longer than the timeout to arrive", request=request)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        left = min(self._check(request), getattr(self._local, "timeout", math.inf))
        attempt_end = self.clock() + left
        timeouts = request.extensions.get("timeout")
        if isinstance(timeouts, dict) and math.isfinite(left):
            request.extensions["timeout"] = {
                name: left if value is None else min(value, left) for name, value in timeouts.items()}
        try:
            response = self._inner.handle_request(request)
        except (httpx2.TimeoutException, httpx2.TransportError) as error:
            self._log_retry(request, f"{type(error).__name__}")
            raise
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineStream(response.stream, lambda: self._check_attempt(request, attempt_end))
        if response.status_code in RETRYABLE:
            wait = retry_after_seconds(response.headers)
            if wait is not None and wait > min(self.max_retry_after, self.remaining()):
                response.headers["x-should-retry"] = "false"
            elif response.headers.get("x-should-retry") != "false":
                self._log_retry(request, f"{response.status_code} {response.reason_phrase}")
        return response

    def _log_retry(self, request: httpx2.Request, failure: str) -> None:
        attempt = int(request.headers.get("x-stainless-retry-count", "0") or 0) + 1
        if attempt <= self.max_retries:
            logger.warning("%s: %s; the openai SDK is retrying (attempt %d of %d)", self.label, failure,
                           attempt + 1, self.max_retries + 1)

    def close(self) -> None:
        self._inner.close()
