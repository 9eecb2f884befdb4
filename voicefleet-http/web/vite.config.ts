import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The bundle goes to dist/, which is committed and embedded in the console binary
// (voicefleet-http/src/console/assets.rs). No inline script: the page's CSP forbids it.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { "/v1": "http://127.0.0.1:9000", "/metrics": "http://127.0.0.1:9000" } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
