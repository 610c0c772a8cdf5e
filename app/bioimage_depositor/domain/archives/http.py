"""One HTTP session per archive: timeouts, retries with backoff, and errors without secrets.

The archives throttle (EMPIAR answers HTTP 429 after about ten rapid calls) and
have bad minutes (502/503/504 from the EBI load balancers), so every call goes
through :meth:`ApiSession.request`, which

* sets a connect and a read timeout on every request (a hung server never hangs
  the program);
* retries HTTP 429 after the server's ``Retry-After`` (seconds or an HTTP date),
  and 5xx and dropped connections with exponential backoff and jitter, up to
  :attr:`RetryPolicy.attempts` tries;
* retries a request that *changes* something on the server (``idempotent=False``:
  create an entry, submit a study) only when the server certainly did not act on
  it: 429, 503 with ``Retry-After``, or a connection that could not be opened. A
  500/502/504 or a read timeout on such a request raises
  ``server.uncertain`` instead, and the submission machine first asks the server
  whether the request took effect before sending it again (no duplicate entries);
* never logs headers, bodies or query values, and removes the secrets it knows
  (token, session id, password) from any server text it quotes.

Final answers that are not retried (2xx, 4xx other than 429, and 5xx the caller
declares to be application errors) are returned to the client module, which
turns them into an :class:`~.errors.ArchiveError` with the archive's own wording.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from .errors import ArchiveError, redact

log = logging.getLogger(__name__)

#: ``(connect, read)`` seconds.
Timeout = tuple[float, float]

DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
USER_AGENT = "bioimage-depositor"

#: Statuses retried for every request: the server refused it without acting.
_REFUSED = frozenset({429})
#: Statuses retried only for requests that may safely be repeated.
_SERVER_TROUBLE = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes
    ----------
    attempts
        Total tries of one call, the first included.
    base_delay
        Backoff before the second try, in seconds; doubled for every further try.
    max_delay
        Upper bound of one backoff pause.
    max_retry_after
        Longest ``Retry-After`` honoured by waiting; a longer one ends the call
        with ``server.busy``, naming the wait, so a run never sleeps for hours.
    jitter
        Fraction of each pause that is randomised, so many clients do not return in step.
    """

    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 600.0
    jitter: float = 0.5

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Pause before retry number ``retry`` (1 for the first retry)."""
        pause = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return pause * (1 - self.jitter) + rng.uniform(0, pause * self.jitter)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or ``None`` when absent or unreadable.

    Parameters
    ----------
    value
        The header: delta-seconds (``"120"``) or an HTTP date.
    now
        The current time, for tests.
    """
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


def _connection_never_opened(error: requests.RequestException) -> bool:
    """Whether the request certainly never reached the server (safe to repeat anything)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError) and not isinstance(error, requests.ReadTimeout):
        text = repr(error)
        return any(
            marker in text
            for marker in ("NewConnectionError", "Failed to establish", "Connection refused", "NameResolution")
        )
    return False


class ApiSession:
    """A ``requests.Session`` bound to one archive's API root, with the retry rules above.

    Parameters
    ----------
    base_url
        The API root, e.g. ``https://www.ebi.ac.uk/empiar/deposition/api/``.
    archive
        ``"BIA"`` or ``"EMPIAR"``, for messages.
    timeout
        Default ``(connect, read)`` timeout in seconds.
    retry
        The retry policy.
    session
        A session to use (tests); a new one otherwise.
    sleep
        Called to pause between tries (tests record instead of sleeping).
    rng
        Source of jitter.
    """

    def __init__(
        self,
        base_url: str,
        *,
        archive: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.archive = archive
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._secrets: set[str] = set()

    # ------------------------------------------------------------ secrets

    def add_secret(self, value: str) -> None:
        """Remember a value that must never appear in a message (token, password, secret folder)."""
        if value:
            self._secrets.add(value)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret removed."""
        return redact(text, self._secrets)

    def close(self) -> None:
        """Close the underlying connections."""
        self.session.close()

    # ------------------------------------------------------------ requests

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` under the API root."""
        return self.base_url + path.lstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        what: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        app_error: Callable[[requests.Response], bool] | None = None,
        rewind: Iterable[Any] = (),
    ) -> requests.Response:
        """Send one API call, retrying as described in the module docstring.

        Parameters
        ----------
        method, path
            HTTP method and path under the API root.
        idempotent
            Whether repeating the call cannot do harm (GET, PUT of a full document,
            validation). ``False`` for calls that create something.
        what
            The action in words, for messages ("create the EMPIAR entry").
        params, json, data, files, headers
            As for :meth:`requests.Session.request`.
        timeout
            ``(connect, read)`` seconds for this call.
        app_error
            Says whether a 5xx response is the application's final answer (BioStudies
            reports validation failures as 500 with a log), which is then returned, not retried.
        rewind
            Open files in ``files``/``data`` to seek back to 0 before a retry.

        Returns
        -------
        requests.Response
            A final answer: 2xx, a 4xx other than 429, or an application-error 5xx.

        Raises
        ------
        ArchiveError
            ``server.busy`` (still throttled after all tries, or asked to wait too long),
            ``server.error`` (5xx after all tries), ``server.uncertain`` (a non-idempotent
            call may or may not have been applied), ``connection.lost``, ``timeout``.
        """
        url = self.url(path)
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            for stream in rewind:
                stream.seek(0)
            last = attempt == attempts
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers=dict(headers or {}),
                    timeout=timeout or self.timeout,
                )
            except requests.RequestException as error:
                safe = idempotent or _connection_never_opened(error)
                log.info("%s %s: %s (try %d of %d)", method, path, type(error).__name__, attempt, attempts)
                if not safe:
                    raise ArchiveError(
                        "server.uncertain",
                        f"The connection to {self.archive} broke while trying to {what}; it is not known "
                        "whether the request arrived. The program checks this before trying again.",
                        archive=self.archive,
                    ) from None
                if last:
                    raise self._connection_error(error, what) from None
                self._sleep(self.retry.backoff(attempt, self._rng))
                continue
            status = response.status_code
            if status < 400 or (status < 500 and status not in _REFUSED):
                return response
            if status >= 500 and app_error is not None and app_error(response):
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"))
            log.info(
                "%s %s: HTTP %d%s (try %d of %d)",
                method,
                path,
                status,
                f", Retry-After {wait:.0f} s" if wait is not None else "",
                attempt,
                attempts,
            )
            refused = status in _REFUSED or (status == 503 and wait is not None)
            if status in _SERVER_TROUBLE and not refused and not idempotent:
                raise ArchiveError(
                    "server.uncertain",
                    f"{self.archive} answered HTTP {status} while the program tried to {what}; it is not known "
                    "whether the request took effect. The program checks this before trying again.",
                    status=status,
                    archive=self.archive,
                )
            if not refused and status not in _SERVER_TROUBLE:
                return response  # other 5xx (501, 505...): a final answer for the client to explain
            if wait is not None and wait > self.retry.max_retry_after:
                raise ArchiveError(
                    "server.busy",
                    f"{self.archive} asks to wait {wait / 60:.0f} minutes before the next request (to {what}). "
                    "Nothing was lost; run the submission again later to continue.",
                    status=status,
                    archive=self.archive,
                )
            if last:
                if status in _REFUSED:
                    raise ArchiveError(
                        "server.busy",
                        f"{self.archive} is limiting the request rate and still refused to {what} after "
                        f"{attempts} tries. Nothing was lost; wait a few minutes and run the submission again.",
                        status=status,
                        archive=self.archive,
                    )
                raise ArchiveError(
                    "server.error",
                    f"{self.archive} had a server problem (HTTP {status}) and could not {what} after {attempts} "
                    "tries. Nothing was lost; try again later, or check the archive's service status page.",
                    status=status,
                    archive=self.archive,
                )
            pause = self.retry.backoff(attempt, self._rng)
            if wait is not None:
                # Honour the server's wait, never come back earlier; a little jitter on top.
                pause = wait + self._rng.uniform(0, min(1.0, wait * 0.1))
            self._sleep(pause)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _connection_error(self, error: requests.RequestException, what: str) -> ArchiveError:
        if isinstance(error, requests.Timeout):
            return ArchiveError(
                "timeout",
                f"{self.archive} did not answer in time when the program tried to {what}. Check the network "
                "connection and run the submission again; it continues where it stopped.",
                archive=self.archive,
            )
        return ArchiveError(
            "connection.lost",
            f"Could not reach {self.archive} to {what}. Check the network connection (and any proxy or "
            "firewall) and run the submission again; it continues where it stopped.",
            archive=self.archive,
        )


def response_text(response: requests.Response, session: ApiSession, limit: int = 500) -> str:
    """The start of a response body for a message, with secrets removed."""
    try:
        text = response.text
    except (UnicodeDecodeError, requests.RequestException):
        return ""
    text = " ".join(text.split())
    return session.scrub(text[:limit])


def response_json(response: requests.Response, session: ApiSession, what: str) -> Any:
    """The JSON body of a successful response; ``response.invalid`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise ArchiveError(
            "response.invalid",
            f"{session.archive} sent an answer the program cannot read when it tried to {what} "
            f"(HTTP {response.status_code}, not JSON). The archive may be under maintenance; try again later.",
            status=response.status_code,
            archive=session.archive,
            details=[response_text(response, session)],
        ) from None
