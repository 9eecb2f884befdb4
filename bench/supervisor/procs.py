"""Process measurements shared by the supervisor benchmark (`run.py`): RSS and CPU from /proc,
waiting with a deadline, the child's start records, free ports and interpolated percentiles."""

import os
import socket
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(message, file=sys.stderr, flush=True)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def cpu_ns(pid):
    """CPU time of every live thread of `pid` in nanoseconds (/proc/PID/task/*/schedstat): finer
    than the clock ticks of /proc/PID/stat for a process that barely runs."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                    total += int(handle.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(what, condition, timeout=30.0, interval=0.001):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def records(path):
    try:
        with open(path) as handle:
            return [tuple(int(x) for x in line.split()) for line in handle if line.strip()]
    except OSError:
        return []


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, p):
    """The p-th percentile, interpolated between the two nearest ranks (numpy's "linear"):
    with 50 values the p95 lies between the 47th and 48th smallest, never at the max."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def last_record(path):
    found = records(path)
    return found[-1] if found else None
