"""An agent's logs: the last lines, and a follow that survives restarts."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Iterator, Optional

from voicefleet._values import LogLine, Table
from voicefleet.exceptions import UnavailableError

if TYPE_CHECKING:
    from voicefleet._voicefleet import RawConsole


class Logs:
    """One customer's agent logs: ``console.logs("acme-dental")``."""

    def __init__(self, raw: "RawConsole", customer: str) -> None:
        self._raw = raw
        self.customer = customer

    def __repr__(self) -> str:
        return f"Logs({self.customer!r})"

    def tail(self, n: int = 100, stream: str = "all") -> Table[LogLine]:
        """The last ``n`` lines (1 to 10,000) of ``stream`` (``all``, ``stdout`` or ``stderr``).

        >>> for line in console.logs("acme-dental").tail(5):
        ...     print(line.seq, line.text)
        """
        lines = json.loads(self._raw.logs_tail(self.customer, n, stream))
        return Table(LogLine, [LogLine._from_json(line) for line in lines])

    def follow(
        self,
        tail: int = 10,
        stream: str = "all",
        poll_interval: float = 0.3,
        timeout: Optional[float] = None,
        reconnect_for: float = 60.0,
    ) -> Iterator[LogLine]:
        """Yields the last ``tail`` lines, then every new line as it is written, for ever (or
        ``timeout`` seconds). It resumes where it stood: an agent restart or a host agent that is
        down for a while (up to ``reconnect_for`` seconds) loses and repeats no line. Ctrl-C
        stops it.

        >>> for line in console.logs("acme-dental").follow(timeout=10):
        ...     print(line.text)
        """
        started = time.monotonic()
        wanted = {"all": None, "stdout": "stdout", "stderr": "stderr"}.get(stream, stream)
        cursor = 0
        if tail > 0:
            lines = self.tail(tail, stream)
            yield from lines
            if lines:
                cursor = lines[-1].seq
        if cursor == 0:
            # Nothing shown (or only one stream): start after the newest line of any stream.
            newest = self.tail(1, "all")
            cursor = newest[-1].seq if newest else 0
        down_since: Optional[float] = None
        while timeout is None or time.monotonic() - started < timeout:
            try:
                answer = json.loads(self._raw.logs_after(self.customer, cursor, 1000, "all"))
                down_since = None
            except UnavailableError:
                now = time.monotonic()
                down_since = down_since if down_since is not None else now
                if now - down_since > reconnect_for:
                    raise
                time.sleep(poll_interval)
                continue
            for entry in answer:
                line = LogLine._from_json(entry)
                if line.seq <= cursor:
                    continue
                cursor = line.seq
                if wanted is None or line.stream == wanted:
                    yield line
            if len(answer) < 1000:
                time.sleep(poll_interval)
