#!/usr/bin/env python3
"""Supervisor benchmark: voicefleet side by side with supervisord and PM2, in one run.

Measures, for each tool with its default settings:
  - the supervising daemon's RSS with 1 and with 10 children;
  - crash-to-new-process latency after `kill -9` (20 runs: median, p95, max), from the killing
    moment to the new child's own start timestamp (CLOCK_MONOTONIC, written by the child);
  - log lines lost when the child writes 10,000 lines/s for 5 s (and, for voicefleet, 100,000
    lines/s across rotations), with the supervising processes' CPU while it happens;
  - time to stop a child that ignores SIGTERM.

supervisord is installed with pip into a temporary venv and PM2 with npm into a temporary prefix
when the registries are reachable; a tool that cannot be installed is reported as skipped.
Every loop is bounded in count and time. Prints a Markdown table.

Usage: python3 bench/supervisor/run.py [--runs 20] [--skip-peers]
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


class Voicefleet:
    name = "voicefleet"

    def __init__(self, work, child):
        self.work = work
        self.child = child
        self.agent = os.path.join(ROOT, "target", "release", "voicefleet-agent")
        self.daemons = []  # (process, port, state_dir, token)

    def start(self, count, mode, extra=(), log_flags=()):
        for index in range(count):
            state = os.path.join(self.work, f"vf-{index}")
            os.makedirs(state, exist_ok=True)
            record = os.path.join(self.work, f"vf-{index}.starts")
            config = {
                "version": 1,
                "runtime": {"command": [self.child, mode, record, *extra], "start_seconds": 0,
                            "drain_timeout_seconds": 600},
                "agent_settings": {"llm": {"provider": "openai", "model": "gpt-4.1"},
                                   "stt": {"provider": "deepgram"},
                                   "tts": {"provider": "cartesia", "voice_id": "v"}},
            }
            config_path = os.path.join(self.work, f"vf-{index}.json")
            with open(config_path, "w") as handle:
                json.dump(config, handle)
            port = free_port()
            process = subprocess.Popen(
                [self.agent, "--customer-id", f"bench-{index}", "--state-dir", os.path.join(state, "state"),
                 "--listen", f"127.0.0.1:{port}", "--config", config_path, *log_flags],
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

    def after_crash(self, index):
        # A requested restart resets the backoff, so each run measures a first restart.
        self.api(index, "POST", "/v1/agent/restart", {"drain_timeout_seconds": 0})
        wait_until("running again", lambda: self.child_pid(index), 15, 0.01)

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

    def after_crash(self, index):
        # Past startsecs (1 s by default), so the next kill is a crash, not a failed start.
        time.sleep(1.2)

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

    def after_crash(self, index):
        # Past min_uptime (1 s by default): otherwise PM2 counts an unstable restart and stops
        # the app after 15 of them.
        time.sleep(1.2)

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


def measure_crash(tool, runs):
    tool.start(1, "sleep")
    latencies = []
    for _ in range(runs):
        old_pid = tool.child_pid(0)
        before = len(records(tool.record_file(0)))
        started = time.monotonic_ns()
        os.kill(old_pid, signal.SIGKILL)
        new = wait_until("a new child", lambda: len(records(tool.record_file(0))) > before and records(tool.record_file(0))[-1], 30, 0.0005)
        latencies.append((new[1] - started) / 1e6)
        wait_until("the new child to be reported", lambda: tool.child_pid(0) not in (None, old_pid), 30, 0.01)
        tool.after_crash(0)
    tool.shutdown()
    return latencies


def measure_flood(tool, rate, seconds, log_flags=()):
    tool.start(1, "flood", (str(rate), str(seconds)), log_flags)
    pids = tool.daemon_pids() + tool.helper_pids()
    ticks = {pid: cpu_ticks(pid) for pid in pids}
    began = time.monotonic()
    expected = rate * seconds
    deadline = time.monotonic() + seconds + 30
    found = set()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if time.monotonic() - began < seconds:
            continue
        found = {line for line in tool.log_lines(0) if line.isdigit()}
        if len(found) >= expected:
            break
    elapsed = time.monotonic() - began
    daemon_cpu = sum(cpu_ticks(pid) - ticks[pid] for pid in tool.daemon_pids()) / CLK_TCK / min(elapsed, seconds + 1) * 100
    helper_cpu = sum(cpu_ticks(pid) - ticks.get(pid, 0) for pid in tool.helper_pids()) / CLK_TCK / min(elapsed, seconds + 1) * 100
    tool.shutdown()
    return expected - len(found), daemon_cpu, helper_cpu


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="kill -9 runs per tool (default 20)")
    parser.add_argument("--skip-peers", action="store_true", help="measure voicefleet only")
    args = parser.parse_args()

    log("building voicefleet-agent (release)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "voicefleet-agent"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="voicefleet-bench-")
    child = os.path.join(work, "child")
    subprocess.run(["gcc", "-O2", "-o", child, os.path.join(ROOT, "bench", "supervisor", "child.c")], check=True)

    tools = [("voicefleet", lambda w: Voicefleet(w, child), "0.1.0")]
    if not args.skip_peers:
        venv, version = install_supervisord(work)
        if venv:
            tools.append((f"supervisord {version}", lambda w, v=venv: Supervisord(w, child, v), version))
        prefix, version = install_pm2(work)
        if prefix:
            tools.append((f"PM2 {version}", lambda w, p=prefix: Pm2(w, child, p), version))

    results = {}
    for label, make, _ in tools:
        log(f"== {label}")
        def fresh():
            directory = tempfile.mkdtemp(prefix="tool-", dir=work)
            return make(directory)
        row = {}
        def run(measure, *extra):
            tool = fresh()
            try:
                return measure(tool, *extra)
            except BaseException:
                try:
                    tool.shutdown()
                finally:
                    raise
        row["rss1"], row["helper1"] = run(measure_rss, 1)
        row["rss10"], row["helper10"] = run(measure_rss, 10)
        latencies = run(measure_crash, args.runs)
        row["crash"] = (statistics.median(latencies), percentile(latencies, 95), max(latencies))
        row["lost10k"], row["cpu10k"], row["helpercpu10k"] = run(measure_flood, 10_000, 5)
        if label == "voicefleet":
            row["lost100k"], row["cpu100k"], row["helpercpu100k"] = run(
                measure_flood, 100_000, 5, ("--log-max-file-bytes", str(1024 * 1024), "--log-keep-files", "50"))
        row["stop"] = run(measure_stop)
        results[label] = row
        log(json.dumps(row))

    print(f"\nSupervisor benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {os.uname().release}\n")
    print("| | " + " | ".join(results) + " |")
    print("|---" * (len(results) + 1) + "|")
    def row(name, render):
        print(f"| {name} | " + " | ".join(render(r) for r in results.values()) + " |")
    row("daemon RSS, 1 child", lambda r: f"{r['rss1'] / 1024:.1f} MiB" + (f" (+ shim {r['helper1'] / 1024:.1f} MiB)" if r['helper1'] else ""))
    row("daemon RSS, 10 children", lambda r: f"{r['rss10'] / 1024:.1f} MiB" + (f" (+ shims {r['helper10'] / 1024:.1f} MiB)" if r['helper10'] else ""))
    row("kill -9 → new process: median", lambda r: f"{r['crash'][0]:.2f} ms")
    row("kill -9 → new process: p95", lambda r: f"{r['crash'][1]:.2f} ms")
    row("kill -9 → new process: max", lambda r: f"{r['crash'][2]:.2f} ms")
    row("lines lost at 10,000/s for 5 s", lambda r: str(r["lost10k"]))
    row("daemon CPU at 10,000 lines/s", lambda r: f"{r['cpu10k']:.1f} %" + (f" (+ shim {r['helpercpu10k']:.1f} %)" if r.get('helpercpu10k') else ""))
    row("lines lost at 100,000/s for 5 s, 1 MiB rotation", lambda r: str(r["lost100k"]) if "lost100k" in r else "not measured")
    row("stop a child that ignores SIGTERM", lambda r: f"{r['stop']:.2f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
