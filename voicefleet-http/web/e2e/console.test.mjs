// Browser tests of the web console: Debian's Chromium driven by playwright-core, against a live
// demo fleet started here. Screenshots of every page go to test-results/ (ignored by git); an
// axe-core pass on every page must find no critical or serious violation.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";
import { adminApi, startDemo, until } from "./demo-fleet.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const results = new URL("../test-results/", import.meta.url);
mkdirSync(results, { recursive: true });

let demo;
let api;
let browser;
let context;
let page;
const cspViolations = [];
const axeReport = {};

async function shot(name) {
  await page.screenshot({ path: new URL(`${name}.png`, results).pathname, fullPage: true });
}

/** axe-core in the page (through the debugger protocol, so the CSP stays on). */
async function accessible(name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const outcome = await axe.run(document, { resultTypes: ["violations"] });
    return outcome.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  axeReport[name] = violations;
  const bad = violations.filter((v) => v.impact === "critical" || v.impact === "serious");
  assert.deepEqual(bad, [], `${name}: accessibility violations ${JSON.stringify(bad, null, 1)}`);
}

const row = (id) => page.locator(`tr[data-customer="${id}"]`);
const pidOf = async (id) => (await row(id).getAttribute("data-pid")) ?? "";
const cell = async (id, field) => (await row(id).locator(`[data-field="${field}"]`).textContent()) ?? "";

/** The TOTP code (RFC 6238: HMAC-SHA1, 30 s, 6 digits) of an otpauth:// URI's secret at `atSeconds`. */
function totp(uri, atSeconds) {
  const secret = new URL(uri).searchParams.get("secret") ?? "";
  const bits = [...secret].map((c) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atSeconds / 30)));
  const hash = createHmac("sha1", key).update(counter).digest();
  const value = (hash.readUInt32BE(hash[19] & 0xf) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

async function login(name, password) {
  await page.goto(demo.url);
  // Keyboard only: the form works without a mouse.
  await page.getByLabel("User").focus();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Fleet" }).waitFor();
}

describe("the web console against a live demo fleet", { timeout: 300_000 }, () => {
  before(async () => {
    demo = await startDemo();
    api = adminApi(demo);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  after(async () => {
    writeFileSync(new URL("axe.json", results), JSON.stringify(axeReport, null, 2));
    await browser?.close();
    await demo?.stop();
  });

  it("serves the page with its CSP, caches hashed assets for long, and keeps the API's 404", async () => {
    const index = await fetch(`${demo.url}/customers/acme-dental`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    const csp = index.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, "the page loads a hashed script");
    const asset = await fetch(`${demo.url}${script}`);
    assert.match(asset.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(asset.headers.get("cache-control") ?? "", /max-age=31536000, immutable/);
    const missing = await fetch(`${demo.url}/v1/no-such-route`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.kind, "not_found");
    assert.equal((await fetch(`${demo.url}/metrics`)).status, 401, "/metrics is still the API's");
    assert.equal((await fetch(`${demo.url}/v1/health`)).status, 200);
  });

  it("logs in (keyboard only) and shows the five customers running, live", async () => {
    await page.goto(demo.url);
    await page.getByRole("heading", { name: "voicefleet console" }).waitFor();
    await accessible("login");
    await shot("login");
    await login(demo.name, demo.password);
    await until("five running rows", async () => (await page.locator('tr[data-customer] [data-state="running"]').count()) === 5);
    await page.locator('[data-live="live"]').waitFor();
    await accessible("fleet");
    await shot("fleet");
  });

  it("restarts a customer from the fleet page: its PID and uptime change", async () => {
    const before = await pidOf("acme-dental");
    assert.ok(before, "acme-dental has a PID");
    await page.getByRole("button", { name: "restart Acme Dental" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await accessible("fleet-confirm");
    await dialog.getByRole("button", { name: "Restart" }).click();
    await until("a new PID for acme-dental", async () => {
      const pid = await pidOf("acme-dental");
      return pid !== "" && pid !== before;
    });
    await until("acme-dental running with a fresh uptime", async () => {
      const uptime = await cell("acme-dental", "uptime");
      return (await row("acme-dental").locator('[data-state="running"]').count()) === 1 && /^\d+s$/.test(uptime);
    });
  });

  it("shows an agent killed behind its back restarting: restart count and PID change without a reload", async () => {
    const before = Number(await pidOf("globex-insurance"));
    const restarts = Number(await cell("globex-insurance", "restarts"));
    assert.ok(before > 0);
    let navigations = 0;
    page.on("framenavigated", () => (navigations += 1));
    process.kill(before, "SIGKILL");
    await until("globex-insurance restarted", async () => {
      const pid = Number(await pidOf("globex-insurance"));
      return pid > 0 && pid !== before && Number(await cell("globex-insurance", "restarts")) > restarts;
    }, 30_000);
    assert.equal(navigations, 0, "the page was not reloaded");
  });

  it("refuses an invalid temperature at its path and saves nothing", async () => {
    const revisionsBefore = (await api("GET", "/v1/customers/acme-dental/revisions")).body.items.length;
    await page.getByRole("link", { name: "Acme Dental" }).click();
    await page.getByRole("heading", { name: "Acme Dental" }).waitFor();
    await page.locator('[data-testid="status-detail"]').waitFor();
    await accessible("customer-overview");
    await shot("customer-overview");
    await page.getByRole("tab", { name: "Configuration" }).click();
    const editor = page.getByLabel("configuration document");
    await editor.waitFor();
    const document = JSON.parse(await editor.inputValue());
    document.agent_settings.llm.temperature = 7;
    await editor.fill(JSON.stringify(document, null, 2));
    await page.getByRole("button", { name: /^Save as revision/ }).click();
    const issue = page.locator('li[data-path="agent_settings.llm.temperature"]');
    await issue.waitFor();
    assert.match((await issue.textContent()) ?? "", /line \d+/);
    assert.ok((await page.locator(".issue-line").count()) >= 1, "the line is marked in the editor");
    await accessible("customer-config-issues");
    await shot("customer-config-issues");
    const revisionsAfter = (await api("GET", "/v1/customers/acme-dental/revisions")).body.items.length;
    assert.equal(revisionsAfter, revisionsBefore, "nothing was saved");
  });

  it("explains the field at the caret and completes names and values from the document's schema", async () => {
    const editor = page.getByLabel("configuration document");
    const original = await editor.inputValue();
    const help = page.getByTestId("schema-help");
    const caretAt = async (offset) => {
      await editor.evaluate((element, at) => {
        element.focus();
        element.setSelectionRange(at, at);
      }, offset);
      // A key press, as a person moving the caret would: the editor follows the caret.
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowLeft");
    };
    const pathShown = async () => (await help.getByTestId("schema-path").textContent()) ?? "";

    // Beside the field: the caret in the temperature's value shows its description and range.
    const temperature = original.indexOf('"temperature"');
    await caretAt(original.indexOf(":", temperature) + 2);
    await until("the temperature's help", async () => (await pathShown()) === "agent_settings.llm.temperature");
    assert.match((await help.textContent()) ?? "", /range: from 0 to 2/);

    // Enum values at the caret: inside the LLM provider's value.
    await caretAt(original.indexOf('"', original.indexOf(":", original.indexOf('"provider"')) + 1) + 1);
    await until("the provider's values", async () => (await pathShown()) === "agent_settings.llm.provider");
    await help.locator('button[data-completion="\\"anthropic\\""]').waitFor();
    assert.match((await help.textContent()) ?? "", /Allowed values/);
    await accessible("customer-config-schema");
    await shot("customer-config-schema");

    // Property names at the caret: type the start of a key, Ctrl+Space, Enter.
    await caretAt(original.indexOf("{", original.indexOf('"llm"')) + 1);
    await page.keyboard.type('"tem');
    await help.locator('button[data-completion="temperature"]').waitFor();
    await page.keyboard.press("Control+Space");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-completion")), "temperature");
    await page.keyboard.press("Enter");
    await until("the key completed", async () => /"llm": \{"temperature": \n/.test(await editor.inputValue()));
    await editor.fill(original);
  });

  it("saves a valid change as revision N+1 and shows its diff; a stale edit is refused", async () => {
    const latest = (await api("GET", "/v1/customers/acme-dental/revisions")).body.items.length;
    const editor = page.getByLabel("configuration document");
    const document = JSON.parse(await editor.inputValue());
    document.agent_settings.llm.temperature = 0.42;
    await editor.fill(JSON.stringify(document, null, 2));
    await page.getByLabel("Message").fill("a calmer agent");
    await page.getByRole("button", { name: `Save as revision ${latest + 1} (1 change)` }).click();
    await page.getByText(`saved revision ${latest + 1}`).waitFor();
    await page.getByRole("tab", { name: "Revisions" }).click();
    await page.locator(`tr[data-revision="${latest + 1}"]`).waitFor();
    const diff = page.getByRole("table", { name: "diff" });
    await diff.waitFor();
    assert.match((await diff.textContent()) ?? "", /agent_settings\.llm\.temperature/);
    await accessible("customer-revisions");
    await shot("customer-revisions");

    // Someone else saves in between: the editor's If-Match no longer matches.
    await page.getByRole("tab", { name: "Configuration" }).click();
    await editor.waitFor();
    await page.getByRole("button", { name: `Save as revision ${latest + 2} (0 changes)` }).waitFor();
    const other = await api("POST", "/v1/customers/acme-dental/revisions", {
      kind: "patch",
      operations: [{ op: "set", path: "agent_settings.llm.temperature", value: 0.5 }],
      message: "someone else",
    });
    assert.equal(other.status, 201);
    const mine = JSON.parse(await editor.inputValue());
    mine.agent_settings.llm.temperature = 0.2;
    await editor.fill(JSON.stringify(mine, null, 2));
    await page.getByRole("button", { name: /^Save as revision/ }).click();
    const problem = page.locator('[data-testid="save-problem"]');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? "", /someone else changed this configuration/);
  });

  it("follows the logs: new lines arrive", async () => {
    await page.getByRole("tab", { name: "Logs" }).click();
    const lines = page.locator(".logs [data-seq]");
    await until("log lines", async () => (await lines.count()) > 0);
    const last = async () => Number(await lines.last().getAttribute("data-seq"));
    const first = await last();
    await until("a new log line", async () => (await last()) > first, 20_000);
    await page.getByLabel("Search loaded lines").fill("call_started");
    await until("only matching lines", async () => {
      const texts = await lines.allTextContents();
      return texts.length > 0 && texts.every((text) => text.includes("call_started"));
    });
    await page.getByRole("button", { name: "Pause" }).click();
    await accessible("customer-logs");
    await shot("customer-logs");
  });

  it("runs a bulk dry-run, then a real restart over tier=prod with live progress", async () => {
    await page.getByRole("link", { name: "Bulk" }).click();
    await page.getByRole("heading", { name: "Bulk operations" }).waitFor();
    await page.getByLabel(/^Tags/).fill("tier=prod");
    await page.getByRole("button", { name: "Show the plan (dry run)" }).click();
    const plan = page.locator('[data-testid="plan"]');
    await plan.waitFor();
    assert.equal(await plan.locator("tr[data-target]").count(), 3);
    await accessible("bulk-plan");
    await shot("bulk-plan");
    await page.getByRole("button", { name: "Run it on 3 customers" }).click();
    const run = page.locator('[data-testid="run"]');
    await run.waitFor();
    const seen = new Set();
    await until("the run to succeed", async () => {
      for (const state of await run.locator("tr[data-target]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")))) {
        seen.add(state);
      }
      return (await run.getAttribute("data-outcome")) === "succeeded";
    }, 90_000);
    assert.equal(await run.locator('tr[data-target][data-state="succeeded"]').count(), 3);
    assert.ok(seen.size > 1 || seen.has("succeeded"), `progress was shown: ${[...seen]}`);
    await accessible("bulk-run");
    await shot("bulk-run");
  });

  it("turns a customer that cannot start red, with the reason", async () => {
    const revision = await api("POST", "/v1/customers/umbrella-clinic/revisions", {
      kind: "patch",
      operations: [{ op: "set", path: "runtime.command", value: ["/nonexistent/voice-agent"] }],
      message: "a bad command",
    });
    assert.equal(revision.status, 201);
    assert.equal((await api("POST", "/v1/customers/umbrella-clinic/deploy", { revision: revision.body.number })).status, 200);
    assert.equal((await api("POST", "/v1/customers/umbrella-clinic/agent/restart")).status, 200);
    await page.getByRole("link", { name: "Fleet" }).click();
    await until("umbrella-clinic red", async () => {
      const state = await row("umbrella-clinic").locator("[data-state]").getAttribute("data-state");
      return ["backoff", "crash_loop", "exited"].includes(state ?? "");
    }, 30_000);
    const reason = await row("umbrella-clinic").locator('[data-testid="reason"]').textContent();
    assert.match(reason ?? "", /nonexistent/);
    // The red row came from the live event; the other rows still hold the poll from before the
    // Bulk page (uptimes of 0 s, "last seen" 20 s ago). Shoot after the next fleet poll lands.
    await page.waitForResponse((response) => new URL(response.url()).pathname === "/v1/status", { timeout: 15_000 });
    await page.waitForTimeout(300);
    await shot("fleet-failed-start");
  });

  it("shows alerts, the audit log with verify, and users and tokens (a token once)", async () => {
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("heading", { name: "Alerts" }).waitFor();
    await accessible("alerts");
    await shot("alerts");
    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("button", { name: "Verify the hash chain" }).click();
    await page.getByText(/the chain holds/).waitFor();
    await accessible("audit");
    await shot("audit");
    await page.getByRole("link", { name: "Users and tokens" }).click();
    const addUser = page.getByRole("form", { name: "add a user" });
    await addUser.getByLabel("Name").fill("viewer1");
    await addUser.getByLabel("Password").fill("viewer password 1");
    await addUser.getByRole("button", { name: "Add user" }).click();
    await page.getByRole("cell", { name: "viewer1", exact: true }).waitFor();
    const addToken = page.getByRole("form", { name: "create an API token" });
    await addToken.getByLabel("Name").fill("ci-token");
    await addToken.getByLabel("Role").selectOption("operator");
    await addToken.getByRole("button", { name: "Create token" }).click();
    const secret = await page.locator('[data-testid="new-token"]').textContent();
    assert.match(secret ?? "", /^vft_/);
    await accessible("users");
    await shot("users");
    await page.getByRole("button", { name: "revoke token ci-token" }).click();
    await until("the token revoked", async () => (await page.getByRole("cell", { name: "revoked" }).count()) >= 1);
  });

  it("a viewer sees no control buttons", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await login("viewer1", "viewer password 1");
    await until("five rows", async () => (await page.locator("tr[data-customer]").count()) === 5);
    assert.equal(await page.getByRole("button", { name: /^(restart|drain) / }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Audit" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Users and tokens" }).count(), 0);
    await shot("fleet-viewer");
    await page.getByRole("link", { name: "Globex Insurance" }).click();
    await page.locator('[data-testid="status-detail"]').waitFor();
    assert.equal(await page.getByRole("button", { name: /^(Start|Stop|Restart|Drain)$/ }).count(), 0);
    assert.equal(await page.getByRole("tab", { name: "Logs" }).count(), 0);
    await page.getByRole("link", { name: "Bulk" }).click();
    await page.getByText("Viewers can follow runs").waitFor();
    assert.equal(await page.getByRole("button", { name: /dry run/ }).count(), 0);
  });

  it("an expired session returns to the login page, not a blank one", async () => {
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem("voicefleet.session") ?? "{}");
      sessionStorage.setItem("voicefleet.session", JSON.stringify({ ...session, token: "expired" }));
    });
    await page.reload();
    await page.getByText(/session expired/).waitFor();
    await page.getByRole("heading", { name: "voicefleet console" }).waitFor();
    assert.deepEqual(cspViolations, [], "no Content-Security-Policy violation");
  });

  it("asks a user with a second factor for a code, and refuses a wrong one", async () => {
    const password = "second factor password";
    assert.equal((await api("POST", "/v1/users", { name: "otp-user", role: "viewer", password })).status, 201);
    const enrollment = await api("POST", "/v1/users/otp-user/mfa");
    assert.equal(enrollment.status, 201);
    const uri = enrollment.body.otpauth_uri;
    const now = Date.now() / 1000;
    assert.equal((await api("POST", "/v1/users/otp-user/mfa/confirm", { otp: totp(uri, now) })).status, 204);

    // The session before ended (expired): the login page shows.
    await page.goto(demo.url);
    await page.getByLabel("User").fill("otp-user");
    await page.getByLabel("Password").fill(password);
    await page.keyboard.press("Enter");
    // The console answers otp_required: the code field shows, focused, with what to type.
    await page.getByText("enter the 6-digit code from your authenticator app").waitFor();
    assert.equal(await page.getByLabel("Code").evaluate((input) => input === document.activeElement), true);
    await accessible("login-second-factor");
    await shot("login-second-factor");
    await page.keyboard.type("000000");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").getByText(/wrong, expired or already used/).waitFor();
    // The code of the next step (within the accepted window; the confirming one is used up).
    await page.getByLabel("Code").fill(totp(uri, now + 30));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Fleet" }).waitFor();
  });

  // The 1,000-customer figures come from the host-fleet simulator: fleet-1000.test.mjs.
  it("budget: first load and first paint", async () => {
    // First load: the page and everything it loads before any route's chunk, gzipped.
    const html = await (await fetch(demo.url)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    let firstLoadGzip = gzipSync(html).length;
    for (const asset of assets) firstLoadGzip += gzipSync(Buffer.from(await (await fetch(`${demo.url}${asset}`)).arrayBuffer())).length;

    // First paint of a fresh tab, three times: the best is the page's own cost, the others also
    // show how busy the machine is (the budget holds the best to 1 s).
    const paints = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const paintPage = await fresh.newPage();
      await paintPage.goto(demo.url);
      await paintPage.getByRole("heading", { name: "voicefleet console" }).waitFor();
      paints.push(
        await paintPage.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1),
      );
      await fresh.close();
    }
    const firstPaintMs = Math.min(...paints);

    const budget = {
      first_load_gzip_kb: Math.round(firstLoadGzip / 102.4) / 10,
      first_paint_ms: Math.round(firstPaintMs),
      first_paint_runs_ms: paints.map(Math.round),
    };
    writeFileSync(new URL("budget.json", results), JSON.stringify(budget, null, 2));
    console.log(
      `budget: first load ${budget.first_load_gzip_kb} KB gzipped (limit 500), first paint ${budget.first_paint_ms} ms (best of ${budget.first_paint_runs_ms.join(", ")}; limit 1000)`,
    );
    assert.ok(budget.first_load_gzip_kb < 500, "first load under 500 KB gzipped");
    assert.ok(budget.first_paint_ms >= 0 && budget.first_paint_ms < 1000, "first paint under 1 s");
  });
});
