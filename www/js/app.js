// The dashboard: hash routing, the header's account box and sign-in, and the view in <main>.
//
// Every view has a URL, so any view can be shared or reloaded:
//   #/?q=web                          repositories, filtered
//   #/r/<name>                        a repository and its tags
//   #/r/<name>:<tag>                  a manifest by tag
//   #/r/<name>@<digest>               a manifest by digest
//   #/storage                         storage overview and garbage collection

import * as api from "./api.js";
import { fill, h } from "./dom.js";
import * as manifest from "./views/manifest.js";
import * as repositories from "./views/repositories.js";
import * as repository from "./views/repository.js";
import * as storage from "./views/storage.js";

const main = document.getElementById("view");
let current = null;

/** The route a hash names. Names hold no `:` or `@`; tags hold no `:`. */
export function parseRoute(hash) {
  const text = hash.replace(/^#/, "") || "/";
  const [path, query = ""] = text.split("?", 2);
  const params = new URLSearchParams(query);
  if (path === "/storage") return { view: "storage" };
  const named = /^\/r\/(.+)$/.exec(path);
  if (!named) return { view: "repositories", q: params.get("q") ?? "" };

  const rest = named[1];
  const at = rest.indexOf("@");
  if (at > 0) return { view: "manifest", name: rest.slice(0, at), reference: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(":");
  if (colon > 0) {
    return { view: "manifest", name: rest.slice(0, colon), reference: rest.slice(colon + 1) };
  }
  return { view: "repository", name: rest };
}

const VIEWS = { repositories, repository, manifest, storage };

/** The token scopes a view needs: what its calls ask for, and deleting where it offers that. */
function scopesFor(route) {
  if (route.view === "storage") return ["registry:admin:*"];
  if (route.name) return [`repository:${route.name}:pull,delete`];
  return ["registry:catalog:*"];
}

/**
 * What the caller may do, from /api/info (about `repository` when given); when it cannot be
 * read, every action is offered and the server decides alone.
 */
async function loadInfo(repository) {
  const query = repository ? `?repository=${encodeURIComponent(repository)}` : "";
  try {
    return await api.getJSON(`/api/info${query}`);
  } catch {
    return { delete_enabled: true, actions: { delete: true, collect_garbage: true } };
  }
}

async function show() {
  current?.abort();
  const controller = new AbortController();
  current = controller;

  const route = parseRoute(location.hash);
  const section = route.view === "storage" ? "storage" : "repositories";
  for (const link of document.querySelectorAll(".nav a")) {
    link.toggleAttribute("aria-current", link.dataset.section === section);
  }

  await api.ensureScopes(scopesFor(route));
  const info = await loadInfo(route.name);
  const context = {
    signal: controller.signal,
    info,
    signIn: () => openSignIn(),
    go: (hash) => {
      location.hash = hash;
    },
  };
  if (controller.signal.aborted) return;
  fill(main, h("p", { class: "muted loading" }, "Loading…"));
  try {
    await VIEWS[route.view].render(main, route, context);
  } catch (error) {
    if (!controller.signal.aborted && error.name !== "AbortError") {
      console.error(error);
    }
  }
}

function renderAccount(state) {
  document.getElementById("progress").hidden = !state.busy;
  const box = document.getElementById("account");
  if (state.user) {
    fill(
      box,
      h("span", { class: "user", title: "Signed in" }, state.user),
      h("button", { type: "button", class: "small", onclick: signOut }, "Sign out"),
    );
  } else if (state.tokenEndpoint === "present") {
    fill(box, h("button", { type: "button", class: "small primary", onclick: () => openSignIn() }, "Sign in"));
  } else if (state.tokenEndpoint === "absent") {
    fill(box, h("span", { class: "muted", title: "This registry has no accounts" }, "Open access"));
  } else {
    fill(box);
  }
}

let lastAccount = "";
api.onChange((state) => {
  const key = `${state.user}|${state.tokenEndpoint}|${state.busy}`;
  if (key !== lastAccount) {
    lastAccount = key;
    renderAccount(state);
  }
});

function signOut() {
  api.signOut();
  show();
}

/**
 * Opens the sign-in dialog; resolves once signed in or cancelled. With `again`, the signed-in
 * user is asked for the password the page lost, and the view is left to go on by itself.
 */
function openSignIn(again = null) {
  const dialog = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  const error = document.getElementById("signin-error");
  const note = document.getElementById("signin-note");
  error.hidden = true;
  form.reset();
  note.textContent = again
    ? "The page was reloaded: enter your password again to go on."
    : "With a registry account: the one docker login takes.";
  if (again) form.elements.username.value = again;
  dialog.showModal();
  if (again) form.elements.password.focus();

  return new Promise((resolve) => {
    const cancel = document.getElementById("signin-cancel");
    const onCancel = () => dialog.close();
    const onSubmit = async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        await api.signIn(String(data.get("username")), String(data.get("password")));
        dialog.close();
      } catch (failure) {
        error.textContent =
          failure.status === 401 ? "Incorrect username or password." : failure.message;
        error.hidden = false;
      }
    };
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener(
      "close",
      async () => {
        form.removeEventListener("submit", onSubmit);
        cancel.removeEventListener("click", onCancel);
        if (api.state().user && !again) show();
        resolve();
      },
      { once: true },
    );
  });
}

api.onReauthenticate((user) => openSignIn(user));
window.addEventListener("hashchange", show);
renderAccount(api.state());
api.probe().finally(show);
