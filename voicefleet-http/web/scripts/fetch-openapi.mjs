// Saves a console's /v1/openapi.json with its keys sorted (the console does not promise an
// order), so the committed copy, and the types generated from it, compare byte for byte.
//   node scripts/fetch-openapi.mjs http://127.0.0.1:9000 openapi.json
import { writeFileSync } from "node:fs";

const [url, out] = process.argv.slice(2);
const sorted = (value) =>
  Array.isArray(value)
    ? value.map(sorted)
    : value && typeof value === "object"
      ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted(value[key])]))
      : value;
const deadline = Date.now() + 30_000;
for (;;) {
  try {
    if ((await fetch(`${url}/v1/health`)).ok) break;
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) throw new Error(`the console at ${url} did not answer in 30 s`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const response = await fetch(`${url}/v1/openapi.json`);
if (!response.ok) throw new Error(`GET /v1/openapi.json: ${response.status}`);
writeFileSync(out, JSON.stringify(sorted(await response.json()), null, 2) + "\n");
