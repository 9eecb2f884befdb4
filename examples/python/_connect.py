"""The console the examples use: ``--data DIR`` (the embedded console) or ``--console URL``
(else ``VOICEFLEET_CONSOLE`` / ``VOICEFLEET_TOKEN``, else the CLI's saved login)."""

from __future__ import annotations

import argparse
from typing import Optional

import voicefleet


def add_console_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--console", metavar="URL", help="a console server (default: VOICEFLEET_CONSOLE)")
    parser.add_argument("--token", help="an API or login token (default: VOICEFLEET_TOKEN)")
    parser.add_argument("--data", metavar="DIR", help="use the embedded console in DIR instead")


def open_console(console: Optional[str], token: Optional[str], data: Optional[str]) -> voicefleet.Console:
    if data is not None:
        return voicefleet.Console.open(data)
    return voicefleet.Console.connect(console, token=token)
