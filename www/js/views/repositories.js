// The repositories: a searchable list with tag count, size and last push, loaded a page at a
// time as the list scrolls (thousands of repositories never load at once).

import { getJSON } from "../api.js";
import { failure, fill, h } from "../dom.js";
import { ago, bytes, count, iso } from "../format.js";

const PAGE = 25;
/** A search that matches nothing scans on by itself for this many calls, then asks. */
const AUTO_CONTINUE = 20;
const SEARCH_DELAY_MS = 250;

export async function render(main, route, context) {
  let query = route.q ?? "";
  let next = null;
  let loading = false;
  let generation = 0;
  let shown = 0;

  const input = h("input", {
    type: "search",
    name: "q",
    value: query,
    placeholder: "Filter by name",
    "aria-label": "Filter repositories by name",
    autocomplete: "off",
  });
  const rows = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  const more = h("button", { type: "button", hidden: true, onclick: () => load(false) }, "Load more");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const problem = h("div");

  fill(
    main,
    h(
      "section",
      { class: "stack" },
      h("div", { class: "toolbar" }, h("h1", {}, "Repositories"), input),
      problem,
      h(
        "table",
        { class: "table cards", "aria-label": "Repositories" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "Name"), h("th", { class: "num" }, "Tags"), h("th", { class: "num" }, "Size"), h("th", {}, "Last push")),
        ),
        rows,
      ),
      status,
      more,
      sentinel,
    ),
  );

  function row(repository) {
    const approx = repository.complete ? "" : "≥ ";
    const title = repository.complete ? null : "Counted up to the listing bound";
    return h(
      "tr",
      {},
      h("td", { "data-label": "Name" }, h("a", { href: `#/r/${repository.name}`, class: "name" }, repository.name)),
      h("td", { class: "num", "data-label": "Tags", title }, approx + count(repository.tag_count)),
      h("td", { class: "num", "data-label": "Size", title }, approx + bytes(repository.size)),
      h(
        "td",
        { "data-label": "Last push" },
        h("time", { datetime: iso(repository.last_push_ms), title: iso(repository.last_push_ms) }, ago(repository.last_push_ms)),
      ),
    );
  }

  function skeleton() {
    return Array.from({ length: 3 }, () =>
      h("tr", { class: "skeleton", "aria-hidden": "true" }, h("td", { colspan: 4 }, h("span", {}, " "))),
    );
  }

  async function load(reset) {
    if (loading && !reset) return;
    const mine = reset ? ++generation : generation;
    loading = true;
    if (reset) {
      next = null;
      shown = 0;
      fill(rows);
      fill(problem);
    }
    more.hidden = true;
    const placeholders = skeleton();
    rows.append(...placeholders);
    status.textContent = shown ? `${count(shown)} shown, loading more…` : "Loading…";

    try {
      let calls = 0;
      let found = 0;
      do {
        const params = new URLSearchParams({ n: String(PAGE) });
        if (query) params.set("q", query);
        if (next) params.set("last", next);
        const page = await getJSON(`/api/repositories?${params}`, { signal: context.signal });
        if (mine !== generation) return;
        rows.append(...page.repositories.map(row));
        rows.append(...placeholders);
        found += page.repositories.length;
        shown += page.repositories.length;
        next = page.next;
        calls += 1;
        if (next && found === 0) status.textContent = `Searching… (past ${next})`;
      } while (next && found === 0 && calls < AUTO_CONTINUE && !context.signal.aborted);

      placeholders.forEach((p) => p.remove());
      status.textContent = summary();
      more.hidden = !next;
    } catch (error) {
      if (mine !== generation || context.signal.aborted) return;
      placeholders.forEach((p) => p.remove());
      status.textContent = "";
      fill(problem, failure(error, context.signIn));
    } finally {
      if (mine === generation) loading = false;
    }
    // A short first page leaves the sentinel in view: keep filling the screen.
    if (next && mine === generation && inView()) load(false);
  }

  function summary() {
    if (shown === 0) return query ? `No repository name contains “${query}”.` : "No repositories yet.";
    const what = `${count(shown)} ${shown === 1 ? "repository" : "repositories"}`;
    return next ? `${what} shown; more follow.` : `${what}.`;
  }

  function inView() {
    const box = sentinel.getBoundingClientRect();
    return box.top < window.innerHeight + 200;
  }

  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = input.value.trim();
      const hash = query ? `#/?q=${encodeURIComponent(query)}` : "#/";
      history.replaceState(null, "", hash);
      load(true);
    }, SEARCH_DELAY_MS);
  });

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && next && !loading) load(false);
  });
  observer.observe(sentinel);
  context.signal.addEventListener("abort", () => observer.disconnect());

  await load(true);
}

