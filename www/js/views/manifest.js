// A manifest: its digest and type, the pull commands, its config and layers (an image) or its
// platforms (an index), its referrers (signatures, SBOMs…), and deleting it with its tags.

import { getJSON, pathOf, send } from "../api.js";
import { command, confirmAction, fact, failure, fill, h, toast } from "../dom.js";
import { ago, bytes, iso, manifestKind, shortDigest, shortType } from "../format.js";

export async function render(main, route, context) {
  const { name, reference } = route;
  const byTag = !reference.includes(":");
  const title = byTag ? `${name}:${reference}` : `${name}@${shortDigest(reference)}`;

  let detail;
  try {
    detail = await getJSON(`/api/repositories/${pathOf(name)}/_manifests/${encodeURIComponent(reference)}`, {
      signal: context.signal,
    });
  } catch (error) {
    if (context.signal.aborted) return;
    fill(main, h("section", { class: "stack" }, crumbs(name, title), h("h1", { class: "name" }, title), failure(error, context.signIn)));
    return;
  }

  const kind = manifestKind(detail.media_type, detail.artifact_type);
  const digestLink = (digest) => h("a", { href: `#/r/${name}@${digest}`, class: "digest", title: digest }, shortDigest(digest));
  const image = detail.image;
  const platform = image?.os && image?.architecture ? [image.os, image.architecture, image.variant].filter(Boolean).join("/") : null;

  fill(
    main,
    h(
      "section",
      { class: "stack" },
      crumbs(name, title),
      h("h1", { class: "name" }, title, " ", h("span", { class: `kind ${kind.toLowerCase()}` }, kind)),
      h(
        "dl",
        { class: "facts" },
        fact("Digest", h("code", { class: "wrap" }, detail.digest)),
        fact("Media type", h("code", { class: "wrap" }, detail.media_type)),
        detail.artifact_type ? fact("Artifact type", h("code", { class: "wrap" }, detail.artifact_type)) : null,
        fact("Size", bytes(detail.total_size), h("span", { class: "muted" }, ` (manifest ${bytes(detail.size)})`)),
        fact("Pushed", h("time", { datetime: iso(detail.pushed_ms), title: iso(detail.pushed_ms) }, ago(detail.pushed_ms))),
        platform ? fact("Platform", platform) : null,
        image?.created ? fact("Created", h("time", { datetime: image.created, title: image.created }, ago(Date.parse(image.created)))) : null,
        detail.subject ? fact("Refers to", digestLink(detail.subject)) : null,
        fact(
          "Tags",
          detail.tags.length
            ? detail.tags.map((tag) => h("a", { class: "chip", href: `#/r/${name}:${tag}` }, tag))
            : h("span", { class: "muted" }, "untagged"),
        ),
      ),
      h("h2", {}, "Pull"),
      byTag ? command(`docker pull ${location.host}/${name}:${reference}`, "Copy pull by tag") : null,
      command(`docker pull ${location.host}/${name}@${detail.digest}`, "Copy pull by digest"),
      detail.manifests.length ? platforms(detail.manifests, digestLink) : null,
      detail.config ? blobs(detail) : null,
      labels(image?.labels),
      referrers(detail.referrers, detail.referrers_more, digestLink),
      annotations(detail.annotations),
      context.info.actions?.delete ? actions(name, reference, byTag, detail, context) : null,
    ),
  );
}

function crumbs(name, title) {
  return h(
    "nav",
    { class: "crumbs", "aria-label": "Breadcrumb" },
    h("a", { href: "#/" }, "Repositories"),
    " / ",
    h("a", { href: `#/r/${name}` }, name),
    " / ",
    title.slice(name.length + 1),
  );
}

function table(label, headings, rows) {
  return h(
    "table",
    { class: "table cards", "aria-label": label },
    h("thead", {}, h("tr", {}, headings.map(([text, cls]) => h("th", { class: cls }, text)))),
    h("tbody", {}, rows),
  );
}

function platforms(children, digestLink) {
  return [
    h("h2", {}, "Platforms"),
    table(
      "Platforms",
      [["Platform"], ["Digest"], ["Type"], ["Size", "num"]],
      children.map((child) =>
        h(
          "tr",
          {},
          h("td", { "data-label": "Platform" }, child.platform ?? h("span", { class: "muted" }, "none")),
          h("td", { "data-label": "Digest" }, digestLink(child.digest)),
          h("td", { "data-label": "Type" }, manifestKind(child.media_type, child.artifact_type)),
          h("td", { class: "num", "data-label": "Size" }, bytes(child.total_size ?? child.size)),
        ),
      ),
    ),
  ];
}

function blobs(detail) {
  const rows = [detail.config, ...detail.layers].map((blob, i) =>
    h(
      "tr",
      {},
      h("td", { "data-label": "Part" }, i === 0 ? "config" : `layer ${i}`),
      h("td", { "data-label": "Type" }, h("code", { title: blob.media_type }, shortType(blob.media_type))),
      h("td", { "data-label": "Digest" }, h("code", { class: "digest", title: blob.digest }, shortDigest(blob.digest))),
      h("td", { class: "num", "data-label": "Size" }, blob.external ? h("span", { title: "Fetched from elsewhere" }, "external") : bytes(blob.size)),
    ),
  );
  const total = [detail.config, ...detail.layers].filter((b) => !b.external).reduce((sum, b) => sum + b.size, 0);
  return [
    h("h2", {}, "Config and layers"),
    table("Config and layers", [["Part"], ["Type"], ["Digest"], ["Size", "num"]], rows),
    h("p", { class: "muted" }, `${detail.layers.length} ${detail.layers.length === 1 ? "layer" : "layers"}, ${bytes(total)} with the config.`),
  ];
}

function labels(map) {
  const entries = Object.entries(map ?? {});
  if (!entries.length) return null;
  return [h("h2", {}, "Labels"), h("dl", { class: "pairs" }, entries.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]))];
}

function annotations(map) {
  const entries = Object.entries(map ?? {});
  if (!entries.length) return null;
  return [h("h2", {}, "Annotations"), h("dl", { class: "pairs" }, entries.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]))];
}

function referrers(list, more, digestLink) {
  const body = list.length
    ? table(
        "Referrers",
        [["Kind"], ["Artifact type"], ["Digest"], ["Size", "num"], ["Created"]],
        list.map((referrer) => {
          const created = referrer.annotations?.["org.opencontainers.image.created"];
          return h(
            "tr",
            {},
            h("td", { "data-label": "Kind" }, h("span", { class: `badge ${referrer.kind}` }, referrer.kind)),
            h("td", { "data-label": "Artifact type" }, h("code", { class: "wrap" }, referrer.artifact_type ?? "–")),
            h("td", { "data-label": "Digest" }, digestLink(referrer.digest)),
            h("td", { class: "num", "data-label": "Size" }, bytes(referrer.size)),
            h("td", { "data-label": "Created" }, created ? h("time", { datetime: created, title: created }, ago(Date.parse(created))) : "–"),
          );
        }),
      )
    : h("p", { class: "muted" }, "No signatures, SBOMs or other artifacts refer to this manifest.");
  return [
    h("h2", {}, "Referrers"),
    body,
    more ? h("p", { class: "muted" }, "More referrers exist than one page shows.") : null,
  ];
}

function actions(name, reference, byTag, detail, context) {
  const deleteManifest = async () => {
    const tags = detail.tags;
    const body = h(
      "div",
      { class: "stack" },
      h("p", {}, "The manifest ", h("code", {}, shortDigest(detail.digest)), " is deleted from ", name, "."),
      tags.length
        ? [h("p", {}, `${tags.length === 1 ? "This tag goes" : "These tags go"} with it:`), h("ul", { class: "chips", "aria-label": "Tags deleted with it" }, tags.map((t) => h("li", { class: "chip" }, t)))]
        : h("p", { class: "muted" }, "No tag points at it."),
      detail.tags_complete ? null : h("p", { class: "muted" }, "More tags than were checked may point at it."),
      h("p", { class: "muted" }, "Its layers stay until a garbage collection finds them unused."),
    );
    const confirmed = await confirmAction({ title: "Delete this manifest?", body, action: "Delete manifest" });
    if (!confirmed) return;
    try {
      await send("DELETE", `/v2/${pathOf(name)}/manifests/${detail.digest}`);
      toast(tags.length ? `Deleted ${shortDigest(detail.digest)} and ${tags.join(", ")}` : `Deleted ${shortDigest(detail.digest)}`);
      context.go(`#/r/${name}`);
    } catch (error) {
      toast(`Could not delete the manifest: ${error.message}`, "error");
    }
  };

  const deleteTag = async () => {
    const confirmed = await confirmAction({
      title: `Delete tag ${reference}?`,
      body: h("p", {}, "The tag goes; the manifest stays."),
      action: "Delete tag",
    });
    if (!confirmed) return;
    try {
      await send("DELETE", `/v2/${pathOf(name)}/manifests/${encodeURIComponent(reference)}`);
      toast(`Deleted tag ${reference}`);
      context.go(`#/r/${name}@${detail.digest}`);
    } catch (error) {
      toast(`Could not delete the tag: ${error.message}`, "error");
    }
  };

  return h(
    "div",
    { class: "danger-zone stack" },
    h("h2", {}, "Delete"),
    h(
      "div",
      { class: "buttons start" },
      byTag ? h("button", { type: "button", class: "danger", onclick: deleteTag }, `Delete tag ${reference}`) : null,
      h("button", { type: "button", class: "danger", onclick: deleteManifest }, "Delete manifest"),
    ),
  );
}
