#!/usr/bin/env python3
"""Rolls one configuration change out to a group of customers: a canary first, a health gate,
automatic rollback of the targets that fail, then the report. Exits 1 unless every target
succeeded, 2 on a usage or connection error.

    python examples/python/rollout.py agent_settings.llm.temperature 0.3
    python examples/python/rollout.py agent_settings.llm.temperature 0.3 --selector tier=prod --dry-run
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional, Sequence

import voicefleet
from _connect import add_console_arguments, open_console


def parse_value(text: str) -> Any:
    """JSON when it parses (`0.3`, `true`, `["a"]`), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_console_arguments(parser)
    parser.add_argument("path", help="the dot path to set, e.g. agent_settings.llm.temperature")
    parser.add_argument("value", help="its new value (JSON, or plain text)")
    parser.add_argument("--selector", default="tier=staging")
    parser.add_argument("--message", default="", help="the new revisions' message")
    parser.add_argument("--canary", type=int, default=1, help="targets that go first, alone (default 1)")
    parser.add_argument("--healthy-for", type=float, default=5.0, help="seconds healthy to pass (default 5)")
    parser.add_argument("--max-error-rate", type=float, default=0.2)
    parser.add_argument("--max-concurrency", default="1")
    parser.add_argument("--timeout", type=float, default=600.0, help="longest wait, in seconds")
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    args = parser.parse_args(argv)
    try:
        console = open_console(args.console, args.token, args.data)
        run = console.bulk.patch(
            args.selector,
            set={args.path: parse_value(args.value)},
            message=args.message or f"set {args.path} to {args.value}",
            canary=args.canary,
            healthy_for=args.healthy_for,
            max_error_rate=args.max_error_rate,
            max_concurrency=args.max_concurrency,
            auto_rollback=True,
            dry_run=args.dry_run,
        )
        plan = run.plan
        print(f"plan: {plan.action} on {len(plan.targets)} targets ({', '.join(plan.targets)}), "
              f"{plan.max_concurrency} at a time, canary: {', '.join(plan.canary) or 'none'}")
        if run.dry_run:
            return 0
        for event in run.events(timeout=args.timeout):
            if event.kind == "target":
                print(f"  {event.customer_id}: {event.state}", flush=True)
        report = run.report
    except voicefleet.VoicefleetError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        for issue in error.issues:
            print(f"  {issue['path']}: {issue['message']}", file=sys.stderr)
        return 2
    except TimeoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(report)
    for target in report.targets:
        reason = f" ({target.reason})" if target.reason else ""
        print(f"  {target.customer_id:<20} {target.state:<12} revision {target.revision}{reason}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
