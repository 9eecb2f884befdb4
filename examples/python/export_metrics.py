#!/usr/bin/env python3
"""Exports a day (or --since) of every selected customer's metrics to CSV or Parquet, one row
per sample, through pandas (Parquet also needs pyarrow).

    python examples/python/export_metrics.py metrics.csv
    python examples/python/export_metrics.py metrics.parquet --since 7d --selector tier=prod
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

import voicefleet
from _connect import add_console_arguments, open_console

try:
    import pandas as pd
except ImportError:
    sys.exit("export_metrics.py needs pandas: pip install pandas (and pyarrow for Parquet)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_console_arguments(parser)
    parser.add_argument("output", help="a .csv or .parquet file")
    parser.add_argument("--since", default="1d", help="how far back: 1h, 1d, 7d... (default 1d)")
    parser.add_argument("--selector", default="all")
    args = parser.parse_args(argv)
    if not args.output.endswith((".csv", ".parquet")):
        parser.error("the output is a .csv or a .parquet file")
    try:
        console = open_console(args.console, args.token, args.data)
        customers = console.customers.list(args.selector)
        frames = [console.metrics(c.id, since=args.since).to_pandas() for c in customers]
    except voicefleet.VoicefleetError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 2
    metrics = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if args.output.endswith(".parquet"):
        try:
            metrics.to_parquet(args.output, index=False)
        except ImportError as error:
            print(f"error: Parquet needs pyarrow: pip install pyarrow ({error})", file=sys.stderr)
            return 2
    else:
        metrics.to_csv(args.output, index=False)
    print(f"{len(metrics)} samples of {len(customers)} customers since {args.since} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
