// A small typed client of the voicefleet console API, as the web console would write it: every
// request and response type comes from `console.d.ts`, which `openapi-typescript` generates from
// the console's own `/v1/openapi.json` (see `../check`). It only has to type-check: a renamed
// field, a missing required field or a changed enum in the document makes `tsc` fail here.

import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./console";

export type Schemas = components["schemas"];
export type CustomerView = Schemas["CustomerView"];
export type CustomerStatus = Schemas["CustomerStatus"];
export type NewRevision = Schemas["NewRevision"];
export type RevisionView = Schemas["RevisionView"];
export type BulkSpecInput = Schemas["BulkSpecInput"];
export type BulkRun = Schemas["BulkRun"];
export type BulkEvent = Schemas["BulkEvent"];
export type FleetEvent = Schemas["FleetEvent"];
export type RunOutcome = Schemas["RunOutcome"];
export type ErrorBody = Schemas["Error"];
export type Role = Schemas["Role"];

/** Every failed request: the API's error body, with the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: Schemas["ErrorDetail"]["kind"];
  readonly hint: string | null;
  readonly issues: Schemas["Issue"][];

  constructor(status: number, body: ErrorBody) {
    super(body.error.message);
    this.status = status;
    this.kind = body.error.kind;
    this.hint = body.error.hint ?? null;
    this.issues = body.error.issues ?? [];
  }
}

/** The data of a successful answer, or an `ApiError` thrown from the error body. */
function ok<T>(result: { data?: T; error?: ErrorBody; response: Response }): T {
  if (result.error !== undefined) {
    throw new ApiError(result.response.status, result.error);
  }
  if (result.data === undefined) {
    throw new Error(`${result.response.url}: ${result.response.status} without a body`);
  }
  return result.data;
}

/** A 204 answer, or an `ApiError`. */
function done(result: { error?: ErrorBody; response: Response }): void {
  if (result.error !== undefined) {
    throw new ApiError(result.response.status, result.error);
  }
}

export interface Session {
  token: string;
  name: string;
  role: Role;
  expiresAt: Date;
}

export class ConsoleClient {
  private readonly api;
  private session: Session | null = null;

  constructor(readonly baseUrl: string) {
    this.api = createClient<paths>({ baseUrl });
    const auth: Middleware = {
      onRequest: ({ request }) => {
        if (this.session !== null) {
          request.headers.set("Authorization", `Bearer ${this.session.token}`);
        }
        return request;
      },
    };
    this.api.use(auth);
  }

  // --- authentication -------------------------------------------------------------------------

  async login(name: string, password: string): Promise<Session> {
    const answer = ok(await this.api.POST("/v1/auth/login", { body: { name, password } }));
    this.session = {
      token: answer.token,
      name: answer.name,
      role: answer.role,
      expiresAt: new Date(Date.now() + answer.expires_in_seconds * 1000),
    };
    return this.session;
  }

  /** Operators and admins may control agents; only admins change configuration. */
  canDeploy(): boolean {
    return this.session?.role === "admin";
  }

  async whoami(): Promise<Schemas["WhoAmI"]> {
    return ok(await this.api.GET("/v1/auth/whoami"));
  }

  // --- customers ------------------------------------------------------------------------------

  /** One page of customers; pass the page's `next_cursor` back for the next one. */
  async customersPage(selector?: string, cursor?: string, limit = 100): Promise<Schemas["CustomerViewPage"]> {
    return ok(
      await this.api.GET("/v1/customers", {
        params: { query: { selector: selector ?? null, cursor: cursor ?? null, limit } },
      }),
    );
  }

  /** Every customer the selector matches, following `next_cursor` to the last page. */
  async allCustomers(selector?: string): Promise<CustomerView[]> {
    const customers: CustomerView[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.customersPage(selector, cursor);
      customers.push(...page.items);
      if (page.next_cursor === undefined || page.next_cursor === null) {
        return customers;
      }
      cursor = page.next_cursor;
    }
  }

  async addCustomer(id: string, endpoint: string, tags: Record<string, string>): Promise<CustomerView> {
    const body: Schemas["NewCustomer"] = {
      id,
      endpoint,
      name: id,
      tags: Object.entries(tags).map(([key, value]) => `${key}=${value}`),
    };
    return ok(await this.api.POST("/v1/customers", { body }));
  }

  // --- status ---------------------------------------------------------------------------------

  /** The fleet's status, every page; `fresh` polls the hosts now. */
  async fleetStatus(selector: string, fresh = false): Promise<CustomerStatus[]> {
    const statuses: CustomerStatus[] = [];
    let cursor: string | null = null;
    do {
      const page: Schemas["CustomerStatusPage"] = ok(
        await this.api.GET("/v1/status", { params: { query: { selector, fresh, cursor, limit: 500 } } }),
      );
      statuses.push(...page.items);
      cursor = page.next_cursor ?? null;
    } while (cursor !== null);
    return statuses;
  }

  async customerStatus(id: string): Promise<CustomerStatus> {
    return ok(await this.api.GET("/v1/customers/{id}/status", { params: { path: { id } } }));
  }

  // --- configuration --------------------------------------------------------------------------

  async latestRevision(id: string): Promise<RevisionView | undefined> {
    const page = ok(
      await this.api.GET("/v1/customers/{id}/revisions", { params: { path: { id }, query: { limit: 1 } } }),
    );
    return page.items[0];
  }

  /**
   * A new revision from a whole document or a patch; it is not deployed yet. With `ifMatch` (the
   * `ETag` of the revision it was edited from), a 412 `ApiError` when someone saved in between.
   */
  async createRevision(id: string, revision: NewRevision, ifMatch?: string): Promise<{ revision: RevisionView; etag: string | null }> {
    const result = await this.api.POST("/v1/customers/{id}/revisions", {
      params: { path: { id }, header: ifMatch === undefined ? {} : { "If-Match": ifMatch } },
      body: revision,
    });
    return { revision: ok(result), etag: result.response.headers.get("ETag") };
  }

  /** Pushes a revision (the latest when absent) and its secrets to the customer's host. */
  async deploy(id: string, revision?: number): Promise<RevisionView> {
    return ok(
      await this.api.POST("/v1/customers/{id}/deploy", {
        params: { path: { id } },
        body: { revision: revision ?? null },
      }),
    );
  }

  async setSecret(id: string, name: string, value: string): Promise<void> {
    done(
      await this.api.PUT("/v1/customers/{id}/secrets/{name}", {
        params: { path: { id, name } },
        body: { value },
      }),
    );
  }

  // --- bulk runs ------------------------------------------------------------------------------

  /** Starts a bulk run; the same `idempotencyKey` again (a double click) answers the same run. */
  async startBulk(spec: BulkSpecInput, idempotencyKey: string = crypto.randomUUID()): Promise<BulkRun> {
    return ok(await this.api.POST("/v1/bulk", { params: { header: { "Idempotency-Key": idempotencyKey } }, body: spec }));
  }

  async bulkRun(id: string): Promise<BulkRun> {
    return ok(await this.api.GET("/v1/bulk/{id}", { params: { path: { id } } }));
  }

  // --- live events (SSE) ----------------------------------------------------------------------

  /**
   * `GET /v1/events` as typed events. `EventSource` cannot send an `Authorization` header, so the
   * stream is read with `fetch` and parsed here.
   */
  async *events(signal?: AbortSignal): AsyncGenerator<ConsoleEvent> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.session !== null) {
      headers["Authorization"] = `Bearer ${this.session.token}`;
    }
    const init: RequestInit = signal === undefined ? { headers } : { headers, signal };
    const response = await fetch(new URL("/v1/events", this.baseUrl), init);
    if (!response.ok || response.body === null) {
      const body = (await response.json()) as ErrorBody;
      throw new ApiError(response.status, body);
    }
    for await (const frame of sseFrames(response.body)) {
      const event = decodeEvent(frame);
      if (event !== null) {
        yield event;
      }
    }
  }

  /** Follows a bulk run's progress on the event stream until it finishes. */
  async followBulkRun(
    runId: string,
    onTarget: (result: Schemas["TargetResult"]) => void,
    signal?: AbortSignal,
  ): Promise<RunOutcome> {
    for await (const event of this.events(signal)) {
      if (event.name === "lagged") {
        // Events were dropped: the run's stored state is the truth.
        const run = await this.bulkRun(runId);
        if (run.outcome !== "running") {
          return run.outcome;
        }
        continue;
      }
      if (event.name !== "bulk" || event.data.run_id !== runId) {
        continue;
      }
      switch (event.data.type) {
        case "target":
          onTarget(event.data.result);
          break;
        case "finished":
          return event.data.outcome;
      }
    }
    throw new Error(`the event stream ended before bulk run ${runId} finished`);
  }
}

// --- SSE parsing ----------------------------------------------------------------------------

/** The payload of each event name `GET /v1/events` sends (its `x-events` in the document). */
export interface ConsoleEventPayloads {
  bulk: BulkEvent;
  fleet: FleetEvent;
  /** How many events this stream missed because it read too slowly. */
  lagged: number;
}

export type ConsoleEvent = {
  [Name in keyof ConsoleEventPayloads]: { name: Name; data: ConsoleEventPayloads[Name]; id: string | null };
}[keyof ConsoleEventPayloads];

interface SseFrame {
  event: string;
  data: string;
  id: string | null;
}

/** Splits a `text/event-stream` body into frames (`event:`, `data:`, `id:` lines, blank-line ended). */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let frame: SseFrame = { event: "message", data: "", id: null };
  let hasData = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let newline = buffer.search(/\r\n|\r|\n/);
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === "\r" && buffer[newline + 1] === "\n" ? newline + 2 : newline + 1);
      newline = buffer.search(/\r\n|\r|\n/);
      if (line === "") {
        if (hasData) {
          yield frame;
        }
        frame = { event: "message", data: "", id: null };
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) {
        continue; // a keep-alive comment
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      switch (field) {
        case "event":
          frame.event = value;
          break;
        case "data":
          frame.data = hasData ? `${frame.data}\n${value}` : value;
          hasData = true;
          break;
        case "id":
          frame.id = value;
          break;
      }
    }
  }
}

function isEventName(name: string): name is keyof ConsoleEventPayloads {
  return name === "bulk" || name === "fleet" || name === "lagged";
}

/** A frame as a typed event; `null` for an event name this client does not know. */
export function decodeEvent(frame: SseFrame): ConsoleEvent | null {
  if (!isEventName(frame.event)) {
    return null;
  }
  const data: unknown = JSON.parse(frame.data);
  switch (frame.event) {
    case "bulk":
      return { name: "bulk", data: data as BulkEvent, id: frame.id };
    case "fleet":
      return { name: "fleet", data: data as FleetEvent, id: frame.id };
    case "lagged":
      return { name: "lagged", data: data as number, id: frame.id };
  }
}

// --- what the web console does with it ------------------------------------------------------

/** A row of the fleet table. */
export interface FleetRow {
  id: string;
  name: string;
  tier: string | undefined;
  state: string;
  reachable: boolean;
  pid: number | null;
  activeCalls: number;
  p95Ms: number | null;
  deployed: number | null;
  drift: boolean;
}

export function fleetRow(status: CustomerStatus): FleetRow {
  const host = status.status ?? null;
  return {
    id: status.customer_id,
    name: status.name,
    tier: status.tags["tier"],
    state: status.state,
    reachable: status.reachable,
    pid: host?.pid ?? null,
    activeCalls: host?.calls.active_calls ?? 0,
    p95Ms: host?.calls.latency_5m.e2e_ms?.p95 ?? null,
    deployed: status.deployed_revision ?? null,
    drift: status.drift,
  };
}

/** The text of one fleet event, for the activity feed. */
export function describeFleetEvent(event: FleetEvent): string {
  switch (event.type) {
    case "status_changed":
      return `${event.customer_id}: ${event.from} → ${event.to} at ${new Date(event.at_ms).toISOString()}`;
    case "alert": {
      const alert = event.alert;
      return `${alert.customer_id}: ${alert.rule} ${alert.firing ? "firing" : "resolved"}: ${alert.message}`;
    }
  }
}

/** A whole configuration document for a new customer. */
export function starterDocument(company: string): Schemas["VoiceAgentConfig"] {
  return {
    version: 1,
    runtime: {
      command: ["python3", "agent.py"],
      working_dir: "/opt/voice-agent",
      secret_env: { OPENAI_API_KEY: "secret://openai_api_key" },
      restart: { policy: "on-failure", max_backoff_seconds: 30 },
      reload: "signal",
      max_concurrent_calls: 20,
    },
    agent_settings: {
      llm: {
        provider: "openai",
        model: "gpt-4.1-mini",
        temperature: 0.4,
        system_prompt: `You answer the phone for ${company}.`,
        api_key: "secret://openai_api_key",
      },
      stt: { provider: "deepgram", model: "nova-3", language: "en-US", api_key: "secret://deepgram_api_key" },
      tts: { provider: "cartesia", voice_id: "a0e99841-438c-4a64-b679-ae501e7d6091", speed: 1.1 },
      turn: { detection: "vad", max_endpointing_seconds: 2.5 },
      call: { first_message: `Hello, this is ${company}.`, end_call_phrases: ["goodbye"] },
    },
    telephony: { provider: "twilio", numbers: ["+15551234567"], auth_token: "secret://twilio_auth_token" },
  };
}

/**
 * The console's "onboard and roll out" flow: log in, find the production customers, give a new
 * customer its first document, patch everyone's temperature through a canaried bulk run and
 * follow it on the event stream.
 */
export async function onboardAndRollOut(baseUrl: string, password: string): Promise<string[]> {
  const client = new ConsoleClient(baseUrl);
  const session = await client.login("admin", password);
  const log: string[] = [`logged in as ${session.name} (${session.role}) until ${session.expiresAt.toISOString()}`];
  if (!client.canDeploy()) {
    return log;
  }

  const prod = await client.allCustomers("tier=prod");
  log.push(`${prod.length} production customers: ${prod.map((c) => c.id).join(", ")}`);

  const table = (await client.fleetStatus("tier=prod", true)).map(fleetRow);
  for (const row of table.filter((r) => !r.reachable || r.drift)) {
    log.push(`${row.id} needs attention: ${row.state}${row.drift ? " (drift)" : ""}`);
  }

  // A new customer: its secrets, its first whole document, deployed.
  const customer = await client.addCustomer("initech", "http://10.0.1.30:8000", { tier: "staging" });
  await client.setSecret(customer.id, "openai_api_key", "sk-…");
  await client.setSecret(customer.id, "deepgram_api_key", "dg-…");
  await client.setSecret(customer.id, "twilio_auth_token", "tw-…");
  const { revision: first, etag } = await client.createRevision(customer.id, {
    kind: "full",
    document: starterDocument("Initech"),
    message: "first configuration",
  });
  const deployed = await client.deploy(customer.id, first.number);
  log.push(`${customer.id}: revision ${deployed.number} (${deployed.hash}) deployed=${deployed.deployed}`);
  const status = await client.customerStatus(customer.id);
  log.push(`${customer.id} is ${status.state}, running revision ${status.running_revision ?? "none"}`);

  // A patch on one customer's latest revision, then deployed.
  // If-Match: refused (412) if someone saved another revision since the first.
  const latest = await client.latestRevision(customer.id);
  if (latest !== undefined) {
    const { revision: patched } = await client.createRevision(
      customer.id,
      {
        kind: "patch",
        operations: [
          { op: "set", path: "agent_settings.llm.temperature", value: 0.3 },
          { op: "unset", path: "agent_settings.call.end_call_phrases" },
        ],
        message: `lower temperature (was revision ${latest.number})`,
      },
      etag ?? `"r${latest.number}"`,
    );
    await client.deploy(customer.id, patched.number);
  }

  // The same patch across production: one canary, then 25% at a time, stop after 2 failures,
  // roll back whatever fails.
  const run = await client.startBulk({
    action: {
      kind: "patch",
      operations: [{ op: "set", path: "agent_settings.llm.temperature", value: 0.3 }],
      message: "lower temperature fleet-wide",
    },
    selector: { kind: "tags", tags: { tier: "prod" } },
    max_concurrency: { percent: 25 },
    max_errors: { count: 2 },
    canary: 1,
    health_gate: { min_healthy_seconds: 30, max_error_rate: 0.05, max_p95_ms: 1200 },
    auto_rollback: true,
  });
  log.push(`bulk run ${run.id} by ${run.actor}: ${run.targets.length} targets, ${run.outcome}`);
  const outcome = await client.followBulkRun(run.id, (target) => {
    log.push(`  ${target.customer_id}${target.canary ? " (canary)" : ""}: ${target.state} ${target.reason ?? ""}`);
  });
  log.push(`bulk run ${run.id}: ${outcome}`);

  // The activity feed: fleet events until the caller aborts.
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 5_000);
  try {
    for await (const event of client.events(stop.signal)) {
      if (event.name === "fleet") {
        log.push(describeFleetEvent(event.data));
      } else if (event.name === "lagged") {
        log.push(`missed ${event.data} events`);
      }
    }
  } catch (error) {
    if (!stop.signal.aborted) {
      throw error;
    }
  }
  return log;
}
