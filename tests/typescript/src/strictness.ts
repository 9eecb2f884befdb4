// The generated types are not vacuous: each line under `@ts-expect-error` is a mistake a web
// developer could make, and tsc must refuse it. If the document loosened a type (a body typed
// `Record<string, unknown>`, a response typed `unknown`, an enum typed `string`), the mistake would
// compile, the directive would be unused, and tsc would fail on that instead.

import createClient from "openapi-fetch";
import type { paths } from "./console";
import type { Schemas } from "./client";

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:9000" });

export async function mistakes(): Promise<void> {
  // @ts-expect-error a path that does not exist
  await api.GET("/v1/customer");

  // @ts-expect-error login takes `name`, not `username`
  await api.POST("/v1/auth/login", { body: { username: "admin", password: "x" } });

  // @ts-expect-error the path parameter is required
  await api.POST("/v1/customers/{id}/deploy", { body: { revision: 3 } });

  // @ts-expect-error `limit` is a number
  await api.GET("/v1/customers", { params: { query: { limit: "10" } } });

  await api.POST("/v1/customers/{id}/revisions", {
    // @ts-expect-error If-Match is the ETag string (`"r12"`), not a revision number
    params: { path: { id: "acme" }, header: { "If-Match": 12 } },
    body: { kind: "patch", operations: [] },
  });

  const { data } = await api.GET("/v1/bulk/{id}", { params: { path: { id: "run-1" } } });
  // @ts-expect-error a run has an `outcome`, not a `status`
  console.log(data?.status);
}

// @ts-expect-error a full revision needs its document
export const fullWithoutDocument: Schemas["NewRevision"] = { kind: "full" };

// @ts-expect-error a patch carries `operations`, not a document
export const patchWithDocument: Schemas["NewRevision"] = { kind: "patch", document: {} };

// @ts-expect-error `set` needs a value
export const setWithoutValue: Schemas["Operation"] = { op: "set", path: "agent_settings.llm.model" };

// @ts-expect-error `kind` is one of full and patch
export const unknownKind: Schemas["NewRevision"] = { kind: "merge", operations: [] };

// @ts-expect-error a bulk spec needs `max_errors`
export const bulkWithoutMaxErrors: Schemas["BulkSpecInput"] = {
  action: { kind: "restart" },
  selector: { kind: "all" },
  max_concurrency: { count: 1 },
};

// @ts-expect-error an `ids` selector lists its ids
export const idsWithoutIds: Schemas["SelectorInput"] = { kind: "ids" };

// @ts-expect-error LLM providers are an enum
export const unknownProvider: Schemas["LlmProvider"] = "mistral";

// @ts-expect-error a runtime needs its command
export const runtimeWithoutCommand: Schemas["Runtime"] = { reload: "signal" };

export function targetLabel(state: Schemas["TargetState"]): string {
  switch (state) {
    case "pending":
    case "running":
      return "in progress";
    case "succeeded":
      return "done";
    case "failed":
    case "rolled_back":
      return "failed";
    case "skipped":
      return "skipped";
    case "interrupted":
      return "interrupted";
    default: {
      // A state added to the document fails here until the UI handles it.
      const unhandled: never = state;
      return unhandled;
    }
  }
}

export function bulkEventRunId(event: Schemas["BulkEvent"]): string {
  switch (event.type) {
    case "target":
      return `${event.run_id}/${event.result.customer_id}`;
    case "finished":
      return event.run_id;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
