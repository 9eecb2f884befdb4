import { useMutation } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";
import { startSession } from "@/lib/session";

export type LoginInput = Schemas["Login"];

export async function login(input: LoginInput): Promise<Schemas["LoginResponse"]> {
  const answer = ok(await api.POST("/v1/auth/login", { body: input }));
  startSession({
    token: answer.token,
    name: answer.name,
    role: answer.role,
    expiresAtMs: Date.now() + answer.expires_in_seconds * 1000,
  });
  return answer;
}

export function useLogin() {
  return useMutation({ mutationFn: login });
}
