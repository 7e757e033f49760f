// Storage: the bucket's usage, counted a stretch of keys a call with visible progress, and
// garbage collection: the last run's report, a dry run, a real run.

import { getJSON, request } from "../api.js";
import { confirmAction, fact, failure, fill, h, toast } from "../dom.js";
import { ago, bytes, count, iso } from "../format.js";

export async function render(main, _route, context) {
  const cards = h("div", { class: "cards-grid" });
  const progress = h("p", { class: "muted", role: "status" }, "Counting…");
  const lastRun = h("div", {}, h("p", { class: "muted" }, "Loading the last collection…"));
  const result = h("div", { "aria-live": "polite" });
  const untagged = h("input", { type: "checkbox", name: "delete_untagged" });
  const mayCollect = context.info.actions?.collect_garbage !== false;

  const dryRunButton = h("button", { type: "button", onclick: () => collect(true) }, "Dry run");
  const runButton = h("button", { type: "button", class: "danger", onclick: () => collect(false) }, "Collect garbage");

  fill(
    main,
    h(
      "section",
      { class: "stack" },
      h("h1", {}, "Storage"),
      cards,
      progress,
      h("h2", {}, "Garbage collection"),
      h(
        "p",
        { class: "muted" },
        "A collection removes blobs no manifest references, once they are older than the grace period. A dry run reports what it would remove and removes nothing.",
      ),
      mayCollect
        ? h(
            "div",
            { class: "buttons start" },
            dryRunButton,
            runButton,
            h("label", { class: "check" }, untagged, " also delete untagged manifests no tag reaches"),
          )
        : null,
      result,
      h("h3", {}, "Last collection"),
      lastRun,
    ),
  );

  const totals = {
    total_bytes: 0,
    keys_scanned: 0,
    repositories: 0,
    blobs: 0,
    blob_bytes: 0,
    manifests: 0,
    manifest_bytes: 0,
    tags: 0,
    upload_bytes: 0,
  };

  function showTotals(done) {
    const approx = done ? "" : "≥ ";
    fill(
      cards,
      card("Stored", approx + bytes(totals.total_bytes), `${count(totals.keys_scanned)} objects`),
      card("Blobs", approx + count(totals.blobs), bytes(totals.blob_bytes)),
      card("Manifests", approx + count(totals.manifests), bytes(totals.manifest_bytes)),
      card("Repositories", approx + count(totals.repositories), `${count(totals.tags)} tags`),
      card("Uploads in progress", bytes(totals.upload_bytes), "parts not yet in a blob"),
    );
  }

  async function countUsage() {
    let cursor = null;
    let calls = 0;
    do {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      const page = await getJSON(`/api/storage${query}`, { signal: context.signal });
      for (const key of Object.keys(totals)) totals[key] += page.usage[key] ?? 0;
      if (calls === 0) showReport(lastRun, page.last_collection);
      cursor = page.cursor;
      calls += 1;
      showTotals(!cursor);
      progress.textContent = cursor ? `Counting… ${count(totals.keys_scanned)} objects so far` : `Counted ${count(totals.keys_scanned)} objects.`;
    } while (cursor && !context.signal.aborted);
  }

  async function collect(dryRun) {
    const deleteUntagged = untagged.checked;
    if (!dryRun) {
      const confirmed = await confirmAction({
        title: "Collect garbage?",
        body: h(
          "p",
          {},
          "Unreferenced blobs older than the grace period are deleted",
          deleteUntagged ? ", and untagged manifests no tag reaches" : "",
          ". This cannot be undone.",
        ),
        action: "Collect garbage",
      });
      if (!confirmed) return;
    }
    const params = new URLSearchParams();
    if (dryRun) params.set("dry_run", "true");
    if (deleteUntagged) params.set("delete_untagged", "true");
    dryRunButton.disabled = runButton.disabled = true;
    fill(result, h("p", { class: "muted", role: "status" }, dryRun ? "Dry run in progress…" : "Collecting…"));
    try {
      const response = await request(`/api/gc?${params}`, { method: "POST" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
      fill(result, h("h3", {}, dryRun ? "Dry run report" : "Collection report"));
      result.append(report(body));
      if (!dryRun) showReport(lastRun, body);
      toast(dryRun ? "Dry run finished" : "Collection step finished");
    } catch (error) {
      fill(result, failure(error, context.signIn));
    } finally {
      dryRunButton.disabled = runButton.disabled = false;
    }
  }

  showTotals(false);
  try {
    await countUsage();
  } catch (error) {
    if (context.signal.aborted) return;
    progress.textContent = "";
    fill(cards, failure(error, context.signIn));
    fill(lastRun);
  }
}

function card(label, value, detail) {
  return h("div", { class: "card" }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value), h("div", { class: "muted" }, detail));
}

function showReport(box, last) {
  fill(box, last ? report(last) : h("p", { class: "muted" }, "No collection has run yet."));
}

/** A collection report as a facts list; "deleted" reads "would delete" for a dry run. */
function report(r) {
  const gone = r.dry_run ? "Would delete" : "Deleted";
  const state = r.finished ? "finished" : `in progress (phase ${r.phase}); run again to continue`;
  return h(
    "dl",
    { class: "facts report" },
    fact("Started", h("time", { datetime: iso(r.started_ms), title: iso(r.started_ms) }, ago(r.started_ms))),
    fact("Kind", r.dry_run ? "dry run" : "collection", r.delete_untagged ? ", with untagged manifests" : ""),
    fact("State", state),
    fact("Manifests", `${count(r.manifests_scanned)} read, ${count(r.manifests_deleted)} ${gone.toLowerCase()}`),
    fact("Blobs kept", `${count(r.blobs_kept)} (${bytes(r.bytes_kept)})`),
    fact(`${gone}: blobs`, `${count(r.blobs_deleted)} (${bytes(r.bytes_deleted)})`),
    fact(`${gone}: orphaned data`, `${count(r.orphans_deleted)} (${bytes(r.orphan_bytes_deleted)})`),
    fact(`${gone}: repository links`, count(r.layer_links_deleted)),
    fact("Upload sessions cleaned", count(r.sessions_cleaned)),
    fact("Work", `${count(r.invocations)} ${r.invocations === 1 ? "call" : "calls"}, ${count(r.storage_operations)} storage operations, ${count(r.duration_ms)} ms`),
  );
}
