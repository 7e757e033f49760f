// A repository: its summary, the pull command, and its tags with digest, type, platforms, size
// and push time; tags can be deleted from here.

import { getJSON, pathOf, send } from "../api.js";
import { command, confirmAction, fact, failure, fill, h, toast } from "../dom.js";
import { ago, bytes, count, iso, manifestKind, shortDigest } from "../format.js";

const PAGE = 50;

export async function render(main, route, context) {
  const name = route.name;
  const api = `/api/repositories/${pathOf(name)}`;
  const rows = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, "Loading tags…");
  const more = h("button", { type: "button", hidden: true, onclick: () => loadTags() }, "Load more tags");
  const facts = h("dl", { class: "facts" }, fact("Tags", "…"), fact("Size", "…"));
  const pull = h("div");
  let next = null;
  let firstTag = null;

  fill(
    main,
    h(
      "section",
      { class: "stack" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Repositories"), " / ", name),
      h("h1", { class: "name" }, name),
      facts,
      pull,
      h("h2", {}, "Tags"),
      h(
        "table",
        { class: "table cards", "aria-label": "Tags" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Tag"),
            h("th", {}, "Digest"),
            h("th", {}, "Type"),
            h("th", { class: "num" }, "Size"),
            h("th", {}, "Pushed"),
            context.info.actions?.delete ? h("th", { class: "actions" }, h("span", { class: "offscreen" }, "Actions")) : null,
          ),
        ),
        rows,
      ),
      status,
      more,
    ),
  );

  function tagRow(tag) {
    const kind = manifestKind(tag.media_type, tag.artifact_type);
    const platforms = tag.platforms.map((p) => h("span", { class: "chip" }, p));
    const deleteButton = context.info.actions?.delete
      ? h("td", { class: "actions" }, h("button", { type: "button", class: "small danger", onclick: () => deleteTag(tag, tr), "aria-label": `Delete tag ${tag.name}` }, "Delete tag"))
      : null;
    const tr = h(
      "tr",
      { dataset: { tag: tag.name } },
      h("td", { "data-label": "Tag" }, h("a", { href: `#/r/${name}:${tag.name}`, class: "name" }, tag.name)),
      h("td", { "data-label": "Digest" }, h("a", { href: `#/r/${name}@${tag.digest}`, class: "digest", title: tag.digest }, shortDigest(tag.digest))),
      h("td", { "data-label": "Type" }, h("span", { class: "types" }, h("span", { class: `kind ${kind.toLowerCase()}`, title: tag.media_type ?? "" }, kind), platforms)),
      h("td", { class: "num", "data-label": "Size", title: tag.size ? `manifest ${bytes(tag.size)}` : null }, bytes(tag.total_size)),
      h("td", { "data-label": "Pushed" }, h("time", { datetime: iso(tag.pushed_ms), title: iso(tag.pushed_ms) }, ago(tag.pushed_ms))),
      deleteButton,
    );
    return tr;
  }

  async function deleteTag(tag, tr) {
    const confirmed = await confirmAction({
      title: `Delete tag ${tag.name}?`,
      body: h("p", {}, `The tag goes; the manifest ${shortDigest(tag.digest)} stays, with any other tags that point at it.`),
      action: "Delete tag",
    });
    if (!confirmed) return;
    try {
      await send("DELETE", `/v2/${pathOf(name)}/manifests/${encodeURIComponent(tag.name)}`);
      tr.remove();
      toast(`Deleted tag ${tag.name}`);
    } catch (error) {
      toast(`Could not delete ${tag.name}: ${error.message}`, "error");
    }
  }

  async function loadTags() {
    more.hidden = true;
    status.textContent = "Loading tags…";
    const params = new URLSearchParams({ n: String(PAGE) });
    if (next) params.set("last", next);
    const page = await getJSON(`${api}/_tags?${params}`, { signal: context.signal });
    rows.append(...page.tags.map(tagRow));
    firstTag ??= page.tags.find((t) => t.name === "latest")?.name ?? page.tags[0]?.name;
    next = page.next;
    more.hidden = !next;
    const shown = rows.children.length;
    status.textContent = shown === 0 ? "No tags." : next ? `${count(shown)} tags shown; more follow.` : "";
  }

  try {
    const [summary] = await Promise.all([getJSON(api, { signal: context.signal }), loadTags()]);
    fill(
      facts,
      fact("Tags", count(summary.tag_count)),
      fact("Manifests", count(summary.manifest_count)),
      fact("Size", h("span", { title: "Blobs linked here and manifests" }, bytes(summary.size))),
      fact("Last push", h("time", { datetime: iso(summary.last_push_ms), title: iso(summary.last_push_ms) }, ago(summary.last_push_ms))),
    );
    fill(pull, command(`docker pull ${location.host}/${name}${firstTag ? `:${firstTag}` : ""}`, "Copy pull command"));
  } catch (error) {
    if (context.signal.aborted) return;
    status.textContent = "";
    fill(facts);
    fill(pull, failure(error, context.signIn));
  }
}
