#!/usr/bin/env node
// `make dev`: `wrangler dev` on a private port, behind scripts/front.mjs on PORT (default 8787).
//
// The front refuses TLS at once, so skopeo, podman and docker, which try HTTPS before HTTP, fall
// back without a 10 s wait per ping. Local R2 and KV persist under .wrangler/state. Stops wrangler
// (and its workerd) on SIGINT or SIGTERM.

import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { freePort, front } from "./front.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8787);
const inner = await freePort();

const wrangler = spawn(
  path.join(root, "node_modules/.bin/wrangler"),
  ["dev", "--ip", "127.0.0.1", "--port", String(inner), "--persist-to", ".wrangler/state"],
  { cwd: root, stdio: ["inherit", "inherit", "inherit"] },
);

const server = await front(`http://127.0.0.1:${inner}`, { port });

// wrangler prints its own "Ready" line with the private port; say when ours answers.
(async () => {
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${inner}/v2/`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  console.log(
    `edge-registry: serving http://127.0.0.1:${port} ` +
      `(the registry and the dashboard; wrangler's own port :${inner} is internal)`,
  );
})();

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => wrangler.kill(signal));
}
wrangler.on("exit", (code, signal) => {
  server.close();
  process.exit(code ?? (signal ? 0 : 1));
});
