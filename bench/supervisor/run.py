#!/usr/bin/env python3
"""Supervisor benchmark: voicefleet side by side with supervisord and PM2, in one run.

Every tool runs with its stock defaults: voicefleet with `voicefleet config template default`
(only `runtime.command` replaced, dummy values for the secrets it names), supervisord and PM2
with a program section / app entry that sets nothing but the command and the log files.
Measures:
  - memory: the supervising processes' RSS with 1 and with 10 children (voicefleet: one host
    agent per child, as deployed, and its shims counted in);
  - crash -> new process after `kill -9`, at one cadence for every tool: each kill comes 1.2 s
    after the child started (past every tool's 1 s "healthy" threshold), with no API call in
    between (the child's PID comes from its own record); at least 50 kills; median, p95
    (interpolated, never the max) and max, from the killing moment to the new child's own start
    timestamp (CLOCK_MONOTONIC, written by the child);
  - the log path with two kinds of writer: a C child writing through stdio's buffer (100 lines
    per write) and one that writes each line with its own write() (as an unbuffered Python agent
    does), at 10,000 and 100,000 lines/s for 5 s: lines lost and the supervising processes' CPU;
  - idle CPU: 1 and 10 supervised children doing nothing, over 30 s, from the threads'
    schedstat (nanoseconds) and, as a cross-check, utime+stime of /proc/PID/stat (10 ms ticks);
  - the policy rows (each tool's own defaults, not a speed): stopping a child that ignores
    SIGTERM.

supervisord is installed with pip into a temporary venv and PM2 with npm into a temporary prefix
when the registries are reachable; a tool that cannot be installed is reported as skipped.
Every loop is bounded in count and time. Prints a Markdown table.

Usage: python3 bench/supervisor/run.py [--kills 50] [--skip-peers] [--only logs|idle|memory|crash]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Seconds from a child's start to its kill, the same for every tool. 3.1 s: at most 20 kills a
# minute, under voicefleet's hot-loop guard (more than 20 immediate restarts in 60 s back off).
# 1.2 s: just past every tool's 1 s "healthy" threshold, the fastest the peers allow; there the
# guard is a policy difference and gets its own rows.
KILL_CADENCE = 3.1
FAST_KILL_CADENCE = 1.2
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from procs import (CLK_TCK, log, rss_kib, cpu_ticks, cpu_ns, alive, wait_until, records, free_port, percentile, last_record)  # noqa: E402


class Voicefleet:
    name = "voicefleet"

    def __init__(self, work, child, template):
        self.work = work
        self.child = child
        self.template = template
        self.agent = os.path.join(ROOT, "target", "release", "voicefleet-agent")
        self.daemons = []  # (process, port, state_dir, record)

    def start(self, count, mode, extra=(), log_flags=()):
        for index in range(count):
            state = os.path.join(self.work, f"vf-{index}")
            os.makedirs(state, exist_ok=True)
            record = os.path.join(self.work, f"vf-{index}.starts")
            # The stock template; only the command is the benchmark's.
            config = json.loads(json.dumps(self.template))
            config["runtime"]["command"] = [self.child, mode, record, *extra]
            config_path = os.path.join(self.work, f"vf-{index}.json")
            with open(config_path, "w") as handle:
                json.dump(config, handle)
            secrets_path = os.path.join(self.work, f"vf-{index}.secrets.json")
            with open(secrets_path, "w") as handle:
                json.dump({name: "benchmark" for name in secret_names(self.template)}, handle)
            port = free_port()
            process = subprocess.Popen(
                [self.agent, "--customer-id", f"bench-{index}", "--state-dir", os.path.join(state, "state"),
                 "--listen", f"127.0.0.1:{port}", "--config", config_path, "--secrets-file", secrets_path,
                 *log_flags],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "VOICEFLEET_LOG": "warn"})
            token_path = os.path.join(state, "state", "admin.token")
            wait_until("the admin token", lambda: os.path.exists(token_path), 10, 0.01)
            self.daemons.append((process, port, os.path.join(state, "state"), record))
        for index in range(count):
            wait_until("a running child", lambda i=index: self.child_pid(i), 15, 0.01)

    def api(self, index, method, path, body=None, timeout=60):
        _, port, state, _ = self.daemons[index]
        with open(os.path.join(state, "admin.token")) as handle:
            token = handle.read().strip()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except (urllib.error.URLError, ConnectionError):
            return None

    def record_file(self, index):
        return self.daemons[index][3]

    def child_pid(self, index):
        status = self.api(index, "GET", "/v1/status", timeout=2)
        return status and status.get("state") == "running" and status.get("pid")

    def daemon_pids(self):
        return [process.pid for process, *_ in self.daemons]

    def helper_pids(self):
        """The shims: per-agent processes that own the pipes."""
        pids = []
        for _, _, state, _ in self.daemons:
            try:
                with open(os.path.join(state, "run", "child.json")) as handle:
                    pids.append(json.load(handle)["shim_pid"])
            except (OSError, ValueError, KeyError):
                pass
        return pids

    def stop_child(self, index):
        self.api(index, "POST", "/v1/agent/stop")

    def log_lines(self, index):
        logs = os.path.join(self.daemons[index][2], "logs")
        lines = []
        for name in sorted(os.listdir(logs)):
            with open(os.path.join(logs, name), errors="replace") as handle:
                for line in handle:
                    parts = line.rstrip("\n").split(" ", 3)
                    if len(parts) == 4 and parts[2] == "o":
                        lines.append(parts[3])
        return lines

    def shutdown(self):
        for index in range(len(self.daemons)):
            self.api(index, "POST", "/v1/agent/stop", {"drain_timeout_seconds": 0})
        for process, *_ in self.daemons:
            process.terminate()
            process.wait(timeout=10)
        self.daemons = []


class Supervisord:
    name = "supervisord"

    def __init__(self, work, child, venv):
        self.work = work
        self.child = child
        self.venv = venv
        self.process = None
        self.count = 0

    def start(self, count, mode, extra=(), log_flags=()):
        self.count = count
        self.conf = os.path.join(self.work, "supervisord.conf")
        sock = os.path.join(self.work, "supervisor.sock")
        sections = [
            f"[unix_http_server]\nfile={sock}\n",
            f"[supervisord]\nlogfile={self.work}/supervisord.log\npidfile={self.work}/supervisord.pid\n",
            "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
            f"[supervisorctl]\nserverurl=unix://{sock}\n",
        ]
        for index in range(count):
            record = os.path.join(self.work, f"sd-{index}.starts")
            command = " ".join([self.child, mode, record, *extra])
            sections.append(
                f"[program:child{index}]\ncommand={command}\nautorestart=true\n"
                f"stdout_logfile={self.work}/child{index}.log\nstdout_logfile_maxbytes=10MB\nstdout_logfile_backups=5\n")
        with open(self.conf, "w") as handle:
            handle.write("\n".join(sections))
        self.process = subprocess.Popen([os.path.join(self.venv, "bin", "supervisord"), "-n", "-c", self.conf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for index in range(count):
            wait_until("a running child", lambda i=index: self.child_pid(i), 30, 0.05)

    def ctl(self, *args):
        result = subprocess.run([os.path.join(self.venv, "bin", "supervisorctl"), "-c", self.conf, *args],
                                capture_output=True, text=True, timeout=60)
        return result.stdout.strip()

    def record_file(self, index):
        return os.path.join(self.work, f"sd-{index}.starts")

    def child_pid(self, index):
        out = self.ctl("pid", f"child{index}")
        return int(out) if out.isdigit() and int(out) > 0 else None

    def daemon_pids(self):
        return [self.process.pid]

    def helper_pids(self):
        return []

    def stop_child(self, index):
        self.ctl("stop", f"child{index}")

    def log_lines(self, index):
        lines = []
        for suffix in ["", ".1", ".2", ".3", ".4", ".5"]:
            path = os.path.join(self.work, f"child{index}.log{suffix}")
            if os.path.exists(path):
                with open(path, errors="replace") as handle:
                    lines.extend(line.rstrip("\n") for line in handle)
        return lines

    def shutdown(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


class Pm2:
    name = "pm2"

    def __init__(self, work, child, prefix):
        self.work = work
        self.child = child
        self.prefix = prefix
        self.home = os.path.join(work, "pm2-home")
        self.env = {**os.environ, "PM2_HOME": self.home}

    def pm2(self, *args):
        return subprocess.run([os.path.join(self.prefix, "node_modules", ".bin", "pm2"), *args],
                              capture_output=True, text=True, env=self.env, timeout=120).stdout

    def start(self, count, mode, extra=(), log_flags=()):
        self.count = count
        apps = []
        for index in range(count):
            record = os.path.join(self.work, f"pm-{index}.starts")
            apps.append({"name": f"child{index}", "script": self.child, "args": [mode, record, *extra],
                         "interpreter": "none", "autorestart": True,
                         "out_file": os.path.join(self.work, f"pm-child{index}.out"),
                         "error_file": os.path.join(self.work, f"pm-child{index}.err")})
        path = os.path.join(self.work, "ecosystem.config.json")
        with open(path, "w") as handle:
            json.dump({"apps": apps}, handle)
        self.pm2("start", path)
        for index in range(count):
            wait_until("a running child", lambda i=index: self.child_pid(i), 30, 0.05)

    def record_file(self, index):
        return os.path.join(self.work, f"pm-{index}.starts")

    def processes(self):
        try:
            return json.loads(self.pm2("jlist") or "[]")
        except ValueError:
            return []

    def child_pid(self, index):
        for process in self.processes():
            if process.get("name") == f"child{index}" and process.get("pm2_env", {}).get("status") == "online":
                return process.get("pid") or None
        return None

    def daemon_pids(self):
        with open(os.path.join(self.home, "pm2.pid")) as handle:
            return [int(handle.read().strip())]

    def helper_pids(self):
        return []

    def stop_child(self, index):
        self.pm2("stop", f"child{index}")

    def log_lines(self, index):
        path = os.path.join(self.work, f"pm-child{index}.out")
        with open(path, errors="replace") as handle:
            return [line.rstrip("\n") for line in handle]

    def shutdown(self):
        self.pm2("kill")


def measure_rss(tool, count):
    tool.start(count, "sleep")
    time.sleep(2)
    daemon = sum(rss_kib(pid) for pid in tool.daemon_pids())
    helpers = sum(rss_kib(pid) for pid in tool.helper_pids())
    tool.shutdown()
    return daemon, helpers


def measure_crash(tool, kills, cadence):
    """One cadence for every tool: kill each child `cadence` seconds after it started (past
    supervisord's startsecs and PM2's min_uptime, 1 s each, and voicefleet's start_seconds, 1 s
    in the template), no API call in between; the child's PID comes from its own record."""
    tool.start(1, "sleep")
    record = tool.record_file(0)
    latencies = []
    for _ in range(kills):
        pid, started_ns = wait_until("the child's start record", lambda: last_record(record), 30, 0.01)
        wait = started_ns / 1e9 + cadence - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        before = len(records(record))
        killed = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        new = wait_until("a new child", lambda: len(records(record)) > before and records(record)[-1], 60, 0.0005)
        latencies.append((new[1] - killed) / 1e6)
    tool.shutdown()
    return latencies


def measure_flood(tool, mode, rate, seconds, log_flags=()):
    """Lines lost, and the supervising processes' CPU (% of one core) while the child floods."""
    tool.start(1, mode, (str(rate), str(seconds)), log_flags)
    pids = tool.daemon_pids() + tool.helper_pids()
    ticks = {pid: cpu_ticks(pid) for pid in pids}
    began = time.monotonic()
    # The child floods for `seconds` from its own start (a tool may report it running up to a
    # second later): measure from now to just before the flood ends.
    _, child_started_ns = wait_until("the child's start record", lambda: last_record(tool.record_file(0)), 30, 0.01)
    time.sleep(max(1.0, child_started_ns / 1e9 + seconds - 0.2 - began))
    window = time.monotonic() - began
    cpu = sum(cpu_ticks(pid) - ticks[pid] for pid in pids) / CLK_TCK / window * 100
    helper_cpu = sum(cpu_ticks(pid) - ticks[pid] for pid in tool.helper_pids() if pid in ticks) / CLK_TCK / window * 100
    expected = rate * seconds
    deadline = time.monotonic() + 60
    found = set()
    while time.monotonic() < deadline:
        found = {line for line in tool.log_lines(0) if line.isdigit()}
        if len(found) >= expected:
            break
        time.sleep(0.5)
    tool.shutdown()
    return expected - len(found), cpu, helper_cpu


def measure_idle(tool, count, seconds=30):
    """CPU (% of one core) of the supervising processes while `count` children sleep."""
    tool.start(count, "sleep")
    time.sleep(3)  # past the start: figures of a settled supervisor
    pids = tool.daemon_pids() + tool.helper_pids()
    ticks = {pid: cpu_ticks(pid) for pid in pids}
    nanos = {pid: cpu_ns(pid) for pid in pids}
    began = time.monotonic()
    time.sleep(seconds)
    window = time.monotonic() - began
    used_ticks = sum(cpu_ticks(pid) - ticks[pid] for pid in pids)
    used_ns = sum(cpu_ns(pid) - nanos[pid] for pid in pids)
    tool.shutdown()
    return used_ns / 1e9 / window * 100, used_ticks / CLK_TCK / window * 100


def measure_stop(tool):
    tool.start(1, "ignore-term")
    pid = tool.child_pid(0)
    started = time.monotonic()
    tool.stop_child(0)
    wait_until("the child to be gone", lambda: not alive(pid), 60, 0.005)
    took = time.monotonic() - started
    tool.shutdown()
    return took


def install_supervisord(work):
    venv = os.path.join(work, "supervisor-venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True, timeout=120)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "supervisor"], check=True,
                       capture_output=True, timeout=300)
        version = subprocess.run([os.path.join(venv, "bin", "supervisord"), "--version"], capture_output=True, text=True).stdout.strip()
        return venv, version
    except (subprocess.SubprocessError, OSError) as error:
        log(f"supervisord skipped: cannot install it ({error})")
        return None, None


def install_pm2(work):
    prefix = os.path.join(work, "pm2-prefix")
    if not shutil.which("npm"):
        log("pm2 skipped: no npm")
        return None, None
    try:
        subprocess.run(["npm", "install", "--prefix", prefix, "--silent", "--no-audit", "--no-fund", "pm2"],
                       check=True, capture_output=True, timeout=600)
        version = subprocess.run([os.path.join(prefix, "node_modules", ".bin", "pm2"), "--version"], capture_output=True,
                                 text=True, env={**os.environ, "PM2_HOME": os.path.join(work, "pm2-version-home")}).stdout.strip().splitlines()[-1]
        subprocess.run([os.path.join(prefix, "node_modules", ".bin", "pm2"), "kill"], capture_output=True,
                       env={**os.environ, "PM2_HOME": os.path.join(work, "pm2-version-home")})
        return prefix, version
    except (subprocess.SubprocessError, OSError, IndexError) as error:
        log(f"pm2 skipped: cannot install it ({error})")
        return None, None


def secret_names(document):
    """Every `secret://NAME` a configuration document refers to."""
    names = set()
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith("secret://"):
            names.add(value[len("secret://"):])
    walk(document)
    return sorted(names)


def build(voicefleet=True):
    """Builds every binary the benchmark runs: the host agent (release), the CLI that prints the
    stock template, and the C child (only the child when voicefleet is not measured)."""
    template = None
    if voicefleet:
        log("building voicefleet-agent (release) and voicefleet (the CLI, for the template)")
        # The daemon and the dedicated shim beside it, as the agent package installs them.
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "voicefleet-agent", "-p", "voicefleet-core",
                        "--bin", "voicefleet-agent", "--bin", "voicefleet-shim"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "-q", "-p", "voicefleet-cli"], cwd=ROOT, check=True)
        cli = os.path.join(ROOT, "target", "debug", "voicefleet")
        template = json.loads(subprocess.run([cli, "config", "template", "default"], check=True,
                                             capture_output=True, text=True).stdout)
    work = tempfile.mkdtemp(prefix="voicefleet-bench-")
    child = os.path.join(work, "child")
    subprocess.run(["gcc", "-O2", "-o", child, os.path.join(ROOT, "bench", "supervisor", "child.c")], check=True)
    return work, child, template


WRITERS = [("flood", "stdio-buffered writer"), ("flood-lines", "one write() per line")]
RATES = [10_000, 100_000]


def measure_tool(label, make, args, work):
    def run(measure, *extra):
        tool = make(tempfile.mkdtemp(prefix="tool-", dir=work))
        try:
            return measure(tool, *extra)
        except BaseException:
            try:
                tool.shutdown()
            finally:
                raise
    vf = label == "voicefleet"
    # voicefleet rotates at 1 MiB in the log rows, so lines are counted across rotations.
    log_flags = ("--log-max-file-bytes", str(1024 * 1024), "--log-keep-files", "50") if vf else ()
    row = {}
    if args.only in (None, "logs"):
        for mode, _ in WRITERS:
            for rate in RATES:
                row[f"flood-{mode}-{rate}"] = run(measure_flood, mode, rate, 5, log_flags)
                log(f"  {mode} at {rate}/s: lost, cpu %, helper cpu % = {row[f'flood-{mode}-{rate}']}")
    if args.only in (None, "idle"):
        for count in (1, 10):
            row[f"idle{count}"] = run(measure_idle, count, args.idle_seconds)
            log(f"  idle with {count}: {row[f'idle{count}']}")
    if args.only in (None, "memory"):
        row["rss1"] = run(measure_rss, 1)
        row["rss10"] = run(measure_rss, 10)
    if args.only in (None, "crash"):
        for key, cadence in (("crash", KILL_CADENCE), ("crash-fast", FAST_KILL_CADENCE)):
            latencies = run(measure_crash, args.kills, cadence)
            row[key] = (statistics.median(latencies), percentile(latencies, 95), max(latencies), len(latencies))
            log(f"  kill every {cadence} s: {row[key]}")
    if args.only is None:
        row["stop"] = run(measure_stop)
    log(json.dumps(row))
    return row


def print_table(results):
    print(f"\nSupervisor benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, "
          f"{os.uname().release}, load before: {LOAD_BEFORE}, after: {open('/proc/loadavg').read().strip()}\n")
    print("| | " + " | ".join(results) + " |")
    print("|---" * (len(results) + 1) + "|")

    def row(name, render):
        cells = []
        for result in results.values():
            try:
                cells.append(render(result))
            except KeyError:
                cells.append("not measured")
        print(f"| {name} | " + " | ".join(cells) + " |")

    def memory(key):
        def render(r):
            daemon, helpers = r[key]
            if helpers:
                return f"{(daemon + helpers) / 1024:.1f} MiB (daemon {daemon / 1024:.1f} + shim {helpers / 1024:.1f})"
            return f"{daemon / 1024:.1f} MiB"
        return render
    row("memory, 1 child (every supervising process)", memory("rss1"))
    row("memory, 10 children", memory("rss10"))
    def crash(key, index):
        return lambda r: f"{r[key][index]:.2f} ms" + (f" ({r[key][3]} kills)" if index == 2 else "")
    for name, index in (("median", 0), ("p95", 1), ("max", 2)):
        row(f"kill -9 every {KILL_CADENCE} s → new process: {name}", crash("crash", index))
    for name, index in (("median", 0), ("p95", 1), ("max", 2)):
        row(f"policy: kill -9 every {FAST_KILL_CADENCE} s → new process: {name}", crash("crash-fast", index))
    for mode, name in WRITERS:
        for rate in RATES:
            key = f"flood-{mode}-{rate}"
            row(f"{name}, {rate:,} lines/s for 5 s: lines lost", lambda r, k=key: str(r[k][0]))
            row(f"{name}, {rate:,} lines/s: CPU (% of a core)", lambda r, k=key: (
                f"{r[k][1]:.1f} %" + (f" (of which shim {r[k][2]:.1f} %)" if r[k][2] else "")))
    for count in (1, 10):
        row(f"idle CPU, {count} child{'ren' if count > 1 else ''} (% of a core)",
            lambda r, c=count: f"{r[f'idle{c}'][0]:.3f} % (utime+stime: {r[f'idle{c}'][1]:.3f} %)")
    row("policy: stop a child that ignores SIGTERM (each tool's default)", lambda r: f"{r['stop']:.2f} s")


LOAD_BEFORE = open("/proc/loadavg").read().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=50, help="kill -9 runs per tool (default 50, at least 50)")
    parser.add_argument("--idle-seconds", type=int, default=30, help="idle CPU window (default 30 s)")
    parser.add_argument("--skip-peers", action="store_true", help="measure voicefleet only")
    parser.add_argument("--peers-only", action="store_true", help="measure supervisord and PM2 only")
    parser.add_argument("--only", choices=["logs", "idle", "memory", "crash"],
                        help="measure only the log path, idle CPU, memory or crash → new process")
    args = parser.parse_args()
    if args.kills < 50:
        parser.error("--kills must be at least 50: a p95 of fewer runs is the max or next to it")

    work, child, template = build(voicefleet=not args.peers_only)
    tools = [] if args.peers_only else [("voicefleet", lambda w: Voicefleet(w, child, template))]
    if not args.skip_peers:
        venv, version = install_supervisord(work)
        if venv:
            tools.append((f"supervisord {version}", lambda w, v=venv: Supervisord(w, child, v)))
        prefix, version = install_pm2(work)
        if prefix:
            tools.append((f"PM2 {version}", lambda w, p=prefix: Pm2(w, child, p)))

    results = {}
    for label, make in tools:
        log(f"== {label}")
        results[label] = measure_tool(label, make, args, work)
    print_table(results)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
