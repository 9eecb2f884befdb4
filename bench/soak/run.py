#!/usr/bin/env python3
"""Memory over time: `voicefleet demo` (an embedded console and five host agents in one process,
five simulated voice agents taking calls) left running, its RSS sampled every minute and printed
every quarter hour, then the growth rate after the first hour (a least-squares slope over the
samples past it, in MiB per hour).

    python3 bench/soak/run.py                 # 90 minutes, the dev build the README's demo runs
    python3 bench/soak/run.py --minutes 120 --release
    python3 bench/soak/run.py --binary target/release/voicefleet --minutes 90

Bounded: the demo runs with `--duration` (it exits by itself) and the sampling loop ends at the
same deadline, whatever happens. Target: flat within 1 MiB an hour after the first hour.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_kib(pid):
    """(VmRSS, RssAnon) in KiB, or None when the process is gone. RssAnon leaves out the file
    pages of the binary itself (clean, shared, reclaimable; a debug build's 100 MB binary pages
    its code in as more paths run), so it is the figure a leak shows in."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon"):
                    fields[key] = int(value.split()[0])
    except OSError:
        return None
    if "VmRSS" not in fields:
        return None
    return fields["VmRSS"], fields.get("RssAnon", fields["VmRSS"])


def slope_per_hour(points):
    """Least-squares slope of (seconds, KiB) points, in MiB per hour."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_r = sum(r for _, r in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mean_t) * (r - mean_r) for t, r in points)
    return cov / var * 3600 / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=90.0, help="how long the demo runs (default 90)")
    parser.add_argument("--every", type=float, default=15.0, help="print every this many minutes (default 15)")
    parser.add_argument("--sample", type=float, default=60.0, help="sample RSS every this many seconds")
    parser.add_argument("--warmup", type=float, default=60.0, help="minutes before the growth rate counts")
    parser.add_argument("--binary", help="a voicefleet binary (default: build one with cargo)")
    parser.add_argument("--release", action="store_true", help="build and run the release binary")
    parser.add_argument("--port", type=int, default=9400,
                        help="the demo console's port; its host agents take the next five (default 9400)")
    args = parser.parse_args()

    binary = args.binary
    if binary is None:
        profile = ["--release"] if args.release else []
        subprocess.run(["cargo", "build", "-q", *profile, "-p", "voicefleet-cli", "--bin", "voicefleet"],
                       cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release" if args.release else "debug", "voicefleet")

    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="voicefleet-soak-") as data:
        demo = subprocess.Popen(
            [binary, "demo", "--no-watch", "--data", data, "--port", str(args.port), "--host-port", str(args.port + 1),
             "--duration", str(seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started = time.monotonic()
        deadline = started + seconds
        # Printed at minute 1 (settled), then every --every minutes.
        points, anon, marks = [], [], [60.0] + [args.every * 60 * k for k in range(1, int(args.minutes // args.every) + 1)]
        print(f"voicefleet demo (pid {demo.pid}) for {args.minutes:.0f} min, {binary}", flush=True)
        print(f"{'minute':>7}  {'RSS MiB':>8}  {'anon MiB':>8}", flush=True)
        try:
            while time.monotonic() < deadline and demo.poll() is None:
                elapsed = time.monotonic() - started
                kib = rss_kib(demo.pid)
                if kib is not None:
                    points.append((elapsed, kib[0]))
                    anon.append((elapsed, kib[1]))
                    if marks and elapsed >= marks[0]:
                        print(f"{elapsed / 60:7.1f}  {kib[0] / 1024:8.1f}  {kib[1] / 1024:8.1f}", flush=True)
                        while marks and elapsed >= marks[0]:
                            marks.pop(0)
                time.sleep(min(args.sample, max(0.0, deadline - time.monotonic())))
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGINT)
                try:
                    demo.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(demo.pid, signal.SIGKILL)
                    demo.wait()
    if not points:
        print("no samples: the demo did not run", file=sys.stderr)
        return 1
    print(f"{points[-1][0] / 60:7.1f}  {points[-1][1] / 1024:8.1f}  {anon[-1][1] / 1024:8.1f}  (last sample)")
    for name, series in (("RSS", points), ("anonymous RSS", anon)):
        after = [(t, r) for t, r in series if t >= args.warmup * 60]
        rate = slope_per_hour(after)
        if rate is None:
            print(f"{name} growth after the first {args.warmup:.0f} min: not enough samples (run longer)")
        else:
            print(f"{name} growth after the first {args.warmup:.0f} min: {rate:+.2f} MiB/h over {len(after)} "
                  f"samples (target: within ±1 MiB/h)")
    print(f"peak RSS {max(r for _, r in points) / 1024:.1f} MiB over {len(points)} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
