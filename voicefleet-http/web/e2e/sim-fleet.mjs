// A real console (the debug `voicefleet console serve`) over the host-fleet simulator
// (`examples/host_sim.rs`: N simulated host APIs in one process, real tokens and SSE), with every
// simulated host registered as a customer through the console API. Used by the 1,000-customer
// budget; every wait is bounded.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { binary, freePort, until } from "./demo-fleet.mjs";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const hostSimBinary = process.env.HOST_SIM_BIN ?? join(root, "target/debug/examples/host_sim");
const PASSWORD = "simulated fleet password";

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((done) => child.on("exit", done));
  child.kill("SIGTERM");
  return Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]).then(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
}

/** Starts the console and `count` simulated hosts, registers them; `stop()` ends both. */
export async function startSimFleet(count) {
  const data = mkdtempSync(join(tmpdir(), "voicefleet-web-sim-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let consoleLog = "";
  const console_ = spawn(binary, ["--data", data, "console", "serve", "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VOICEFLEET_LOG: "warn", VOICEFLEET_ADMIN_PASSWORD: PASSWORD },
  });
  console_.stdout.resume();
  console_.stderr.on("data", (chunk) => (consoleLog = (consoleLog + chunk).slice(-4000)));
  let sim;
  const stop = async () => {
    if (sim) {
      sim.stdin.end();
      await stopChild(sim);
    }
    await stopChild(console_);
    rmSync(data, { recursive: true, force: true });
  };
  try {
    await until("the console's health", async () => (await fetch(`${url}/v1/health`)).ok, 60_000);
    const login = await fetch(`${url}/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "admin", password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`login refused: ${login.status} ${await login.text()}`);
    const session = await login.json();

    // The simulator trusts the console's public key; it prints `ID ENDPOINT` per host, then `ready`.
    sim = spawn(hostSimBinary, [String(count), join(data, "console.pub.pem"), "customer"], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: sim.stdout });
    const waiting = [];
    const queued = [];
    lines.on("line", (line) => (waiting.length > 0 ? waiting.shift()(line) : queued.push(line)));
    const nextLine = (ms = 60_000) =>
      queued.length > 0
        ? Promise.resolve(queued.shift())
        : new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`the simulator said nothing in ${ms} ms`)), ms);
            waiting.push((line) => (clearTimeout(timer), done(line)));
          });
    const hosts = [];
    for (let index = 0; index <= count; index += 1) {
      const line = await nextLine(120_000);
      if (line === "ready") break;
      const [id, endpoint] = line.split(" ");
      hosts.push({ id, endpoint });
    }
    if (hosts.length !== count) throw new Error(`the simulator served ${hosts.length} of ${count} hosts`);

    // Registration through the API, a few requests at a time (the console is one of the two cores'
    // users): POST /v1/customers per host.
    const api = async (method, path, body) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };
    const registerStarted = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < hosts.length) {
        const index = next++;
        const { id, endpoint } = hosts[index];
        const name = `Customer ${id.slice(id.lastIndexOf("-") + 1)}`;
        const added = await api("POST", "/v1/customers", { id, name, endpoint, tags: [`tier=${index % 3 === 0 ? "prod" : "staging"}`] });
        if (added.status !== 201) throw new Error(`adding ${id}: ${added.status} ${JSON.stringify(added.body)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const registerMs = Date.now() - registerStarted;

    const command = async (text) => {
      sim.stdin.write(`${text}\n`);
      return nextLine(30_000);
    };
    return { url, session, hosts, api, command, registerMs, log: () => consoleLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
