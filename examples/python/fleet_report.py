#!/usr/bin/env python3
"""The fleet's status as a table; exits 1 when a customer is down (not running, or its host
does not answer), 2 on a usage or connection error.

    python examples/python/fleet_report.py                         # VOICEFLEET_CONSOLE + VOICEFLEET_TOKEN
    python examples/python/fleet_report.py --selector tier=prod
    python examples/python/fleet_report.py --data ~/.local/share/voicefleet
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

import voicefleet
from _connect import add_console_arguments, open_console

COLUMNS = ("CUSTOMER", "STATE", "UPTIME", "RESTARTS", "CALLS", "ERRORS", "P95", "REV", "DRIFT")


def row(status: voicefleet.CustomerStatus) -> List[str]:
    uptime = "-" if status.uptime is None else str(status.uptime).split(".")[0]
    return [
        status.customer_id,
        status.state,
        uptime,
        "-" if status.restarts is None else str(status.restarts),
        "-" if status.calls_total is None else str(status.calls_total),
        "-" if status.error_rate is None else f"{status.error_rate:.1%}",
        "-" if status.p95_ms is None else f"{status.p95_ms:.0f}ms",
        "-" if status.running_revision is None else str(status.running_revision),
        "DRIFT" if status.drift else "",
    ]


def render(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [COLUMNS, *rows])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_console_arguments(parser)
    parser.add_argument("--selector", default="all", help="tier=prod, or a,b,c (default: all)")
    args = parser.parse_args(argv)
    try:
        console = open_console(args.console, args.token, args.data)
        statuses = console.status(selector=args.selector)
    except voicefleet.VoicefleetError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 2
    print(render([row(s) for s in statuses]))
    down = [s for s in statuses if not s.is_up]
    for status in down:
        why = status.error or status.last_error or status.state
        print(f"down: {status.customer_id}: {why}", file=sys.stderr)
    return 1 if down else 0


if __name__ == "__main__":
    sys.exit(main())
