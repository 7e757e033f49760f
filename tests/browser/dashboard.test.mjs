// The dashboard in headless Chromium (Debian's, driven by playwright-core): the steps an operator
// takes, in order, against a registry that tests/e2e_dashboard.rs started and seeded. Screenshots
// of each main view at a desktop and a phone width go to test-output/screenshots/.
//
// Run through `cargo test --test e2e_dashboard` (part of `make test`), which passes:
//   REGISTRY_URL, REGISTRY_USER, REGISTRY_PASSWORD   the worker and its administrator
//   DASHBOARD_REPOSITORY                             the repository pushed with skopeo
//   DASHBOARD_V1, DASHBOARD_V2                       its images' digests (v1 is also `latest`)
//   DASHBOARD_REPOSITORIES                           how many repositories exist in all
// CHROMIUM overrides the browser binary (default /usr/bin/chromium).

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const shots = path.join(root, "test-output/screenshots");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through \`cargo test --test e2e_dashboard\``);
  return value;
};
const url = env("REGISTRY_URL");
const user = env("REGISTRY_USER");
const password = env("REGISTRY_PASSWORD");
const repository = env("DASHBOARD_REPOSITORY");
const v1 = env("DASHBOARD_V1");
const v2 = env("DASHBOARD_V2");
const repositoryCount = Number(env("DASHBOARD_REPOSITORIES"));

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking switches Chromium keeps trying to reach Google's hosts,
// which a closed network refuses.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let browser;
let desktop;
const pageErrors = [];

async function open(viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (error) => pageErrors.push(error));
  // Refused and missing resources are part of the token flow and of the 404 step; anything
  // else the page logs as an error fails the run.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      pageErrors.push(message.text());
    }
  });
  return page;
}

/** A test step on `page()` that leaves a screenshot of the page behind when it fails. */
function step(name, page, body) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      const file = path.join(shots, `failed-${name.replace(/\W+/g, "-")}.png`);
      await page()?.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`screenshot of the failure: ${file}; at ${page()?.url()}`);
      throw error;
    }
  });
}

async function shot(page, name) {
  await page.waitForSelector(".progress[hidden]", { state: "attached" });
  await page.evaluate(() => document.getElementById("toasts").replaceChildren());
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Signs in through the header's dialog. */
async function signIn(page) {
  await page.getByRole("button", { name: "Sign in" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Sign in" });
  await dialog.getByLabel("Username").fill(user);
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#account .user", { hasText: user }).waitFor();
}

/** Whether the page is no wider than its viewport (nothing to scroll sideways). */
async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

before(async () => {
  assert.ok(existsSync(executablePath), `no browser at ${executablePath}: apt-get install chromium`);
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({ executablePath, args: ARGS, headless: true });
  desktop = await open(DESKTOP);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors.map(String), [], "the page neither threw nor logged an error");
});

step("signs in with the registry account", () => desktop, async () => {
  await desktop.goto(`${url}/`);
  await signIn(desktop);

  await desktop.getByRole("button", { name: "Sign out" }).waitFor();
});

step("lists repositories a page at a time and finds the one pushed with skopeo", () => desktop, async () => {
  const rows = desktop.locator('table[aria-label="Repositories"] tbody tr:not(.skeleton)');
  await rows.first().waitFor();
  await desktop.locator("#view .sentinel").scrollIntoViewIfNeeded();
  await desktop.waitForFunction(
    (n) => document.querySelectorAll('table[aria-label="Repositories"] tbody tr:not(.skeleton)').length === n,
    repositoryCount,
  );

  await desktop.getByRole("searchbox", { name: "Filter repositories by name" }).fill("acme");
  await desktop.waitForFunction(() => location.hash === "#/?q=acme");
  await assertRows(rows, [repository]);
  const row = rows.filter({ hasText: repository });
  assert.equal(await row.locator('td[data-label="Tags"]').innerText(), "4", "v1, latest, v2, multi");
  await shot(desktop, "desktop-repositories");

  await desktop.reload();
  await assertRows(rows, [repository]);
});

async function assertRows(rows, names) {
  await rows.first().waitFor();
  await rows.page().waitForFunction(
    (n) => document.querySelectorAll('table[aria-label="Repositories"] tbody tr:not(.skeleton)').length === n,
    names.length,
  );
  const texts = await rows.locator("td:first-child").allInnerTexts();
  assert.deepEqual(texts, names);
}

step("after a reload, asks for the password again when it needs a new token", () => desktop, async () => {
  // The reload above kept the token but not the password; the repository needs a new scope.
  await desktop.getByRole("link", { name: repository }).click();
  const dialog = desktop.getByRole("dialog", { name: "Sign in" });
  await dialog.getByText("enter your password again").waitFor();
  assert.equal(await dialog.getByLabel("Username").inputValue(), user);
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Sign in" }).click();

  await desktop.waitForFunction((name) => location.hash === `#/r/${name}`, repository);
  await desktop.locator('table[aria-label="Tags"] tbody tr').first().waitFor();
});

step("opens the repository and a tag, with layers, referrers and the pull command", () => desktop, async () => {
  const tags = desktop.locator('table[aria-label="Tags"] tbody tr');
  await tags.filter({ hasText: "multi" }).waitFor();
  assert.deepEqual(await tags.locator("td:first-child").allInnerTexts(), ["latest", "multi", "v1", "v2"]);
  const multi = tags.filter({ hasText: "multi" });
  assert.match(await multi.innerText(), /Index[\s\S]*linux\/amd64[\s\S]*linux\/arm64\/v8/);
  await shot(desktop, "desktop-repository");

  await tags.getByRole("link", { name: "v1", exact: true }).click();
  await desktop.waitForFunction((name) => location.hash === `#/r/${name}:v1`, repository);
  await desktop.getByRole("heading", { name: "Config and layers" }).waitFor();
  assert.equal(await desktop.locator('table[aria-label="Config and layers"] tbody tr').count(), 2);
  const referrers = desktop.locator('table[aria-label="Referrers"] tbody tr');
  assert.deepEqual((await referrers.locator(".badge").allInnerTexts()).sort(), ["sbom", "signature"]);
  const pull = await desktop.locator(".command code").allInnerTexts();
  assert.ok(pull.includes(`docker pull ${new URL(url).host}/${repository}@${v1}`), pull.join("\n"));
  assert.ok(pull.includes(`docker pull ${new URL(url).host}/${repository}:v1`), pull.join("\n"));
  await shot(desktop, "desktop-manifest");
});

step("deletes the manifest, showing the tags that go with it, and they disappear", () => desktop, async () => {
  await desktop.getByRole("button", { name: "Delete manifest" }).click();
  const dialog = desktop.getByRole("dialog", { name: "Delete this manifest?" });
  const going = await dialog.getByRole("list", { name: "Tags deleted with it" }).locator("li").allInnerTexts();
  assert.deepEqual(going, ["latest", "v1"]);
  await dialog.getByRole("button", { name: "Delete manifest" }).click();

  await desktop.waitForFunction((name) => location.hash === `#/r/${name}`, repository);
  const tags = desktop.locator('table[aria-label="Tags"] tbody tr');
  await tags.filter({ hasText: "v2" }).waitFor();
  assert.deepEqual(await tags.locator("td:first-child").allInnerTexts(), ["multi", "v2"]);

  await desktop.goto(`${url}/#/r/${repository}@${v1}`);
  await desktop.getByText("is not known").waitFor();
});

step("runs a dry-run collection and reads its report", () => desktop, async () => {
  await desktop.getByRole("link", { name: "Storage" }).click();
  await desktop.getByText(/^Counted [\d,.\s]+ objects\.$/).waitFor();
  const manifests = desktop.locator(".card", { hasText: "Manifests" }).locator(".big");
  assert.match(await manifests.innerText(), /^\d+$/);

  await desktop.getByRole("button", { name: "Dry run" }).click();
  await desktop.getByRole("heading", { name: "Dry run report" }).waitFor();
  const report = await desktop.locator(".report").first().innerText();
  assert.match(report, /dry run/);
  assert.match(report, /Would delete: blobs/);
  await shot(desktop, "desktop-storage");
});

let phone;
step("reads well on a phone", () => phone, async () => {
  phone = await open(PHONE);
  await phone.goto(`${url}/`);
  await signIn(phone);
  await phone.locator('table[aria-label="Repositories"] tbody tr:not(.skeleton)').first().waitFor();
  assert.ok(await fitsWidth(phone), "the repository list fits the phone's width");
  await shot(phone, "phone-repositories");

  await phone.goto(`${url}/#/r/${repository}`);
  await phone.locator('table[aria-label="Tags"] tbody tr').first().waitFor();
  assert.ok(await fitsWidth(phone), "the repository fits the phone's width");
  await shot(phone, "phone-repository");

  await phone.goto(`${url}/#/r/${repository}@${v2}`);
  await phone.getByRole("heading", { name: "Config and layers" }).waitFor();
  assert.ok(await fitsWidth(phone), "the manifest fits the phone's width");
  await shot(phone, "phone-manifest");

  await phone.goto(`${url}/#/storage`);
  await phone.getByText(/^Counted [\d,.\s]+ objects\.$/).waitFor();
  assert.ok(await fitsWidth(phone), "the storage overview fits the phone's width");
  await shot(phone, "phone-storage");
  await phone.context().close();
});
