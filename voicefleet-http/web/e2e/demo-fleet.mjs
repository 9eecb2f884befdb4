// Starts `voicefleet demo --no-watch` on free ports in a temporary directory and reads its
// console URL, admin login and API token (DIR/demo.env) from what it prints.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const binary = process.env.VOICEFLEET_BIN ?? join(root, "target/debug/voicefleet");

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on("error", fail);
  });
}

export async function startDemo() {
  const data = mkdtempSync(join(tmpdir(), "voicefleet-web-e2e-"));
  const port = await freePort();
  const hostPort = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(binary, ["demo", "--data", data, "--no-watch", "--port", String(port), "--host-port", String(hostPort)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VOICEFLEET_LOG: "warn" },
  });
  let stderr = "";
  child.stdout.resume();
  const ready = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the demo did not start in 60 s:\n${stderr}`)), 60_000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const url = /console\s+(http:\/\/\S+)/.exec(stderr)?.[1];
      const login = /login\s+(\S+) \/ (\S+)/.exec(stderr);
      if (url && login && stderr.includes("Ctrl-C stops everything")) {
        clearTimeout(timer);
        done({ url, name: login[1], password: login[2] });
      }
    });
    child.on("exit", (code) => fail(new Error(`the demo exited (${code}):\n${stderr}`)));
  });
  const started = await ready;
  const token = /VOICEFLEET_TOKEN=(\S+)/.exec(readFileSync(join(data, "demo.env"), "utf8"))?.[1];
  return {
    ...started,
    token,
    data,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.on("exit", done));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A small API client with the demo's admin token, for setup the browser should not do. */
export function adminApi(demo) {
  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${demo.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${demo.token}`, "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };
}

/** Waits for `check` to return a truthy value, polling every 100 ms, failing after `ms`. */
export async function until(what, check, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
