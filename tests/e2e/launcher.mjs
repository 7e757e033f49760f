#!/usr/bin/env node
// Serves the built Worker (build/worker/shim.mjs) under Miniflare for end-to-end tests.
//
// Prints the Worker's URL (`http://127.0.0.1:PORT`) as the first line of stdout, then nothing
// else on stdout: the Worker's own logs go to stderr. Stops workerd and exits when stdin closes
// (the test that started it ended or died) or on SIGTERM/SIGINT, so workerd is never orphaned.
// The port is scripts/front.mjs in front of workerd: it refuses TLS at once, so clients that try
// HTTPS first (skopeo, podman) fall back to HTTP without a 10 s wait.
//
// Bindings and static assets come from wrangler.toml, as in `wrangler dev`; storage is in memory
// and starts empty. Environment:
//   LATENCY_MS=N      every R2 call waits N ms first (a JS Proxy around the BUCKET binding)
//   WORKER_VARS=JSON  extra string bindings, e.g. {"DELETE_ENABLED":"false"}
//   PERSIST_DIR=DIR   keep R2/KV state in DIR instead of memory
//   SEED=FILE         before serving, write the R2 objects FILE lists (one JSON a line:
//                     {"key", "body", "customMetadata"?, "contentType"?}) straight into BUCKET,
//                     without the LATENCY_MS delay: state the API cannot write, such as a bucket
//                     copied from another registry. May also come as the key SEED of WORKER_VARS,
//                     which is then not a binding.
// The binding TEST_HOOKS="1" is always set.
//
// It does not build: run `make build` (or scripts/build.sh) first.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { front } from "../../scripts/front.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Miniflare resolves module paths from the working directory.
process.chdir(root);
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
process.env.WRANGLER_SEND_METRICS ??= "false";

const entry = path.join(root, "build/worker/shim.mjs");
if (!existsSync(entry)) {
  console.error(`launcher: ${entry} is missing; run \`make build\` first`);
  process.exit(1);
}

const { Miniflare, Log, LogLevel } = await import("miniflare");
const { unstable_getMiniflareWorkerOptions } = await import("wrangler");

const latencyMs = Number(process.env.LATENCY_MS ?? 0);
if (!Number.isFinite(latencyMs) || latencyMs < 0) {
  console.error(`launcher: LATENCY_MS must be milliseconds, not ${process.env.LATENCY_MS}`);
  process.exit(1);
}
const extraVars = JSON.parse(process.env.WORKER_VARS ?? "{}");
const seedFile = extraVars.SEED ?? process.env.SEED;
delete extraVars.SEED;

// wrangler says on stdout that it read .dev.vars (`make dev` writes one); stdout is the URL's.
const consoleLog = console.log;
console.log = console.error;
const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml"));
console.log = consoleLog;

// With latency, the entry is a module of our own that subclasses the built entrypoint and hands
// it a slowed-down BUCKET. It exists only in memory; its path places its imports.
const script = latencyMs > 0 ? latencyEntry(latencyMs) : undefined;
const scriptPath = latencyMs > 0 ? path.join(root, "build/worker/latency-entry.mjs") : entry;

const persist = process.env.PERSIST_DIR ? path.resolve(process.env.PERSIST_DIR) : false;

const mf = new Miniflare({
  ...workerOptions,
  name: "edge-registry",
  rootPath: root,
  modules: true,
  // worker-build emits ES modules with a .js extension, which Miniflare would read as CommonJS.
  modulesRules: [
    { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
    ...workerOptions.modulesRules,
  ],
  script,
  scriptPath,
  bindings: { ...workerOptions.bindings, ...extraVars, TEST_HOOKS: "1" },
  host: "127.0.0.1",
  port: 0,
  r2Persist: persist && path.join(persist, "r2"),
  kvPersist: persist && path.join(persist, "kv"),
  log: new Log(LogLevel.WARN),
  // Keep stdout for the URL line alone.
  handleRuntimeStdio(stdout, stderr) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await mf.dispose();
  } catch (error) {
    if (code === 0) console.error("launcher: stopping workerd failed:", error);
    code = 1;
  }
  process.exit(code);
}

process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
process.stdin.on("end", () => stop(0));
process.stdin.on("close", () => stop(0));
process.stdin.on("error", () => stop(0));
process.stdin.resume();

try {
  const url = await mf.ready;
  if (seedFile) await seed(await mf.getR2Bucket("BUCKET"), seedFile);
  const server = await front(url);
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
} catch (error) {
  // A failure while already stopping (stdin closed during start-up) is no failure.
  if (!stopping) {
    console.error("launcher: the Worker did not start:", error);
    await stop(1);
  }
}

/** Writes the objects listed in `file` (see SEED above) into `bucket`, 64 at a time. */
async function seed(bucket, file) {
  const objects = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  for (let i = 0; i < objects.length; i += 64) {
    const batch = objects.slice(i, i + 64).map((o) =>
      bucket.put(o.key, o.body ?? "", {
        customMetadata: o.customMetadata ?? {},
        httpMetadata: o.contentType ? { contentType: o.contentType } : undefined,
      }),
    );
    await Promise.all(batch);
  }
}

/** The source of an entry module that delays every R2 call by `ms`. */
function latencyEntry(ms) {
  return `
import Entrypoint from "./shim.mjs";

const sleep = () => new Promise((resolve) => setTimeout(resolve, ${ms}));

// workers-rs accepts a binding only if its constructor is named R2Bucket: pass it through.
// resumeMultipartUpload is synchronous; the upload it returns is slowed down in turn.
function slow(target) {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (prop === "constructor" || typeof value !== "function") return value;
      if (prop === "resumeMultipartUpload") return (...args) => slow(value.apply(t, args));
      return async (...args) => {
        await sleep();
        const result = await value.apply(t, args);
        return result && typeof result.uploadPart === "function" ? slow(result) : result;
      };
    },
  });
}

export default class extends Entrypoint {
  constructor(ctx, env) {
    const bucket = slow(env.BUCKET);
    super(ctx, new Proxy(env, { get: (t, p) => (p === "BUCKET" ? bucket : Reflect.get(t, p)) }));
  }
}
`;
}
