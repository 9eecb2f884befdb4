// The hash of the web console's sources, recorded in dist.sha256 when dist/ is built; the Rust
// test in voicefleet-http/src/console/assets.rs computes the same and fails when they differ
// (the committed bundle is stale). For every file, sorted by its path relative to web/:
// `path NUL sha256(contents) LF`, hashed with sha256. Test files (`*.test.*`) do not count.
//   node scripts/source-hash.mjs          print it
//   node scripts/source-hash.mjs --write  write dist.sha256
//   node scripts/source-hash.mjs --check  exit 1 when dist.sha256 differs
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("..", import.meta.url));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
for (const root of ["src", "public"]) if (existsSync(join(web, root))) walk(join(web, root));
for (const single of ["index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "openapi.json"]) {
  files.push(join(web, single));
}
const entries = files
  .map((path) => [relative(web, path).split(sep).join("/"), path])
  .filter(([name]) => !name.includes(".test."))
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const all = createHash("sha256");
for (const [name, path] of entries) {
  all.update(`${name}\0${createHash("sha256").update(readFileSync(path)).digest("hex")}\n`);
}
const hash = all.digest("hex");
const recordPath = join(web, "dist.sha256");
if (process.argv.includes("--write")) {
  writeFileSync(recordPath, `${hash}\n`);
  console.log(`dist.sha256: ${hash}`);
} else if (process.argv.includes("--check")) {
  const recorded = existsSync(recordPath) ? readFileSync(recordPath, "utf8").trim() : "(none)";
  if (recorded !== hash) {
    console.error(`dist/ is stale: sources hash to ${hash}, dist.sha256 says ${recorded}; run \`npm run build\``);
    process.exit(1);
  }
  console.log(`dist/ is current (${hash})`);
} else {
  console.log(hash);
}
