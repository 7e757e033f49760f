#!/usr/bin/env node
// `make dev`: the local administrator. On first run, writes .dev.vars (wrangler's file of local
// secrets, git-ignored) with ADMIN_USERNAME=admin, a random ADMIN_PASSWORD and a random
// TOKEN_SECRET; later runs keep what is there and add only what is missing. Prints where the
// credentials are and how to log in with them.

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.join(root, ".dev.vars");
const port = process.env.PORT ?? "8787";

const text = existsSync(file) ? readFileSync(file, "utf8") : "";
const present = new Set(
  text
    .split("\n")
    .map((line) => line.split("=")[0].trim())
    .filter(Boolean),
);

const secret = (bytes) => randomBytes(bytes).toString("base64url");
const wanted = {
  ADMIN_USERNAME: "admin",
  // Hex: no shell or client option parser mistakes it for anything else.
  ADMIN_PASSWORD: randomBytes(20).toString("hex"),
  TOKEN_SECRET: secret(32),
};
const added = Object.entries(wanted).filter(([name]) => !present.has(name));

if (added.length > 0) {
  const lines = added.map(([name, value]) => `${name}=${value}\n`).join("");
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(file, text + separator + lines, { mode: 0o600 });
  console.log(`edge-registry: wrote ${added.map(([name]) => name).join(", ")} to ${file}`);
}

const user = (text + added.map(([n, v]) => `${n}=${v}`).join("\n"))
  .split("\n")
  .find((line) => line.startsWith("ADMIN_USERNAME="))
  ?.slice("ADMIN_USERNAME=".length)
  .trim();
console.log(`edge-registry: the administrator is "${user}"; its password is ADMIN_PASSWORD in ${file}`);
console.log(
  `  log in: sed -n 's/^ADMIN_PASSWORD=//p' .dev.vars | ` +
    `podman login --tls-verify=false -u ${user} --password-stdin 127.0.0.1:${port}`,
);
