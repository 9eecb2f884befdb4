import { describe, expect, it } from "vitest";
import { createSseParser, type SseMessage } from "@/lib/sse";
import { decodeEvent } from "@/features/events/api/stream-events";
import { applyBulkEvent, applyCustomerStatus, applyStatusChanged, visibleRows, type BulkRun, type CustomerStatus } from "./reconcile";

function row(id: string, state: CustomerStatus["state"] = "running", extra: Partial<CustomerStatus> = {}): CustomerStatus {
  return { customer_id: id, name: id.toUpperCase(), tags: { tier: "prod" }, state, reachable: true, drift: false, ...extra };
}

describe("status_changed events", () => {
  const rows = [row("a"), row("b"), row("c")];

  it("replace only the changed row", () => {
    const next = applyStatusChanged(rows, { type: "status_changed", customer_id: "b", from: "running", to: "crash_loop", at_ms: 1 });
    expect(next?.map((r) => r.state)).toEqual(["running", "crash_loop", "running"]);
    expect(next?.[0]).toBe(rows[0]);
    expect(next?.[2]).toBe(rows[2]);
    expect(next?.[1]).not.toBe(rows[1]);
  });

  it("mark an unreachable host", () => {
    const next = applyStatusChanged(rows, { type: "status_changed", customer_id: "a", from: "running", to: "unreachable", at_ms: 1 });
    expect(next?.[0]?.reachable).toBe(false);
  });

  it("leave the list alone for an unknown customer, a state it already shows, or no list yet", () => {
    expect(applyStatusChanged(rows, { type: "status_changed", customer_id: "zz", from: "running", to: "stopped", at_ms: 1 })).toBe(rows);
    expect(applyStatusChanged(rows, { type: "status_changed", customer_id: "a", from: "starting", to: "running", at_ms: 1 })).toBe(rows);
    expect(applyStatusChanged(undefined, { type: "status_changed", customer_id: "a", from: "running", to: "stopped", at_ms: 1 })).toBeUndefined();
  });
});

describe("a customer's fresh status", () => {
  it("replaces its row, and keeps the list when nothing changed", () => {
    const rows = [row("a"), row("b")];
    const fresh = row("b", "running", { last_seen_ms: 5 });
    const next = applyCustomerStatus(rows, fresh);
    expect(next?.[1]).toBe(fresh);
    expect(next?.[0]).toBe(rows[0]);
    expect(applyCustomerStatus(rows, row("a"))).toBe(rows);
  });
});

describe("bulk events", () => {
  const run = {
    id: "run-1",
    outcome: "running",
    targets: [
      { customer_id: "a", state: "pending", canary: false },
      { customer_id: "b", state: "pending", canary: false },
    ],
  } as unknown as BulkRun;

  it("update one target, then the outcome", () => {
    const next = applyBulkEvent(run, { type: "target", run_id: "run-1", result: { customer_id: "b", state: "succeeded", canary: false } });
    expect(next?.targets.map((t) => t.state)).toEqual(["pending", "succeeded"]);
    const done = applyBulkEvent(next, { type: "finished", run_id: "run-1", outcome: "succeeded" });
    expect(done?.outcome).toBe("succeeded");
  });

  it("ignore another run's events", () => {
    expect(applyBulkEvent(run, { type: "finished", run_id: "other", outcome: "cancelled" })).toBe(run);
  });
});

describe("the event stream parser", () => {
  it("splits events across chunks, joins data lines, keeps ids and skips comments", () => {
    const messages: SseMessage[] = [];
    const push = createSseParser((message) => messages.push(message));
    push(": keep-alive\n\nid: 7\nevent: fle");
    push('et\ndata: {"type":"status_changed","customer_id":"a","from":"running",\r\ndata: "to":"backoff","at_ms":3}\n');
    expect(messages).toEqual([]);
    push("\nevent: lagged\ndata: 12\n\n");
    expect(messages.map((m) => [m.event, m.id])).toEqual([["fleet", "7"], ["lagged", "7"]]);
    const fleet = decodeEvent(messages[0]?.event ?? "", messages[0]?.data ?? "");
    expect(fleet).toEqual({ name: "fleet", payload: { type: "status_changed", customer_id: "a", from: "running", to: "backoff", at_ms: 3 } });
    expect(decodeEvent("lagged", "12")).toEqual({ name: "lagged", payload: 12 });
    expect(decodeEvent("fleet", "not json")).toBeNull();
  });
});

describe("the fleet view", () => {
  it("filters by search, state and tag, and sorts the worst state first", () => {
    const rows = [row("acme"), row("globex", "crash_loop"), row("hooli", "running", { tags: { tier: "staging" } })];
    expect(visibleRows(rows, { search: "glo", state: "", tag: "", sort: "name" }).map((r) => r.customer_id)).toEqual(["globex"]);
    expect(visibleRows(rows, { search: "", state: "", tag: "tier=staging", sort: "name" }).map((r) => r.customer_id)).toEqual(["hooli"]);
    expect(visibleRows(rows, { search: "", state: "running", tag: "", sort: "name" })).toHaveLength(2);
    expect(visibleRows(rows, { search: "", state: "", tag: "", sort: "state" })[0]?.customer_id).toBe("globex");
  });
});
