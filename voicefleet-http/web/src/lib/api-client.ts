// The one API client: openapi-fetch over the types generated from the console's own
// /v1/openapi.json (api-schema.d.ts; `npm run generate`). It sends the session's token and ends
// the session on a 401, so an expired token returns the user to the login page.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api-schema";
import { currentSession, expireSession } from "./session";

export type Schemas = components["schemas"];

/** A failed request: the API's error body with the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: Schemas["ErrorDetail"]["kind"] | "unknown";
  /** A finer reason a client acts on (`otp_required`: ask for the second factor). */
  readonly code: NonNullable<Schemas["ErrorDetail"]["code"]> | null;
  readonly hint: string | null;
  readonly issues: Schemas["Issue"][];

  constructor(status: number, body: Schemas["Error"] | undefined) {
    super(body?.error.message ?? `the console answered ${status}`);
    this.status = status;
    this.kind = body?.error.kind ?? "unknown";
    this.code = body?.error.code ?? null;
    this.hint = body?.error.hint ?? null;
    this.issues = body?.error.issues ?? [];
  }
}

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? "" });

const auth: Middleware = {
  onRequest({ request }) {
    const session = currentSession();
    if (session) request.headers.set("Authorization", `Bearer ${session.token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/v1/auth/login")) {
      expireSession("your session expired or was revoked: log in again");
    }
    return response;
  },
};
api.use(auth);

interface Result<T> {
  data?: T;
  error?: Schemas["Error"];
  response: Response;
}

/** The data of a successful answer, or an `ApiError`. */
export function ok<T>(result: Result<T>): T {
  if (!result.response.ok || result.error !== undefined) {
    throw new ApiError(result.response.status, result.error);
  }
  if (result.data === undefined) throw new ApiError(result.response.status, undefined);
  return result.data;
}

/** A successful answer without a body (204), or an `ApiError`. */
export function done(result: { error?: Schemas["Error"]; response: Response }): void {
  if (!result.response.ok || result.error !== undefined) {
    throw new ApiError(result.response.status, result.error);
  }
}

/** A message for people from any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.hint ? `${error.message} (${error.hint})` : error.message;
  return error instanceof Error ? error.message : String(error);
}
