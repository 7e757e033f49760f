// Building the page: elements from plain data (text is always text, never parsed as HTML),
// dialogs, toasts and the clipboard.

/**
 * `h("a", { href, class: "x", onclick }, child, …)`: an element. Children may be strings,
 * numbers, nodes, arrays of them, or null/false (skipped). Attributes whose value is null,
 * undefined or false are left out; `on…` attributes add listeners.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Shows a short message for a few seconds; `kind` is "ok" or "error". */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * Asks to confirm an action in the page's dialog. `body` is a node or text. Resolves to true
 * when confirmed.
 */
export function confirmAction({ title, body, action }) {
  const dialog = document.getElementById("confirm");
  fill(document.getElementById("confirm-title"), title);
  fill(document.getElementById("confirm-body"), body);
  fill(document.getElementById("confirm-ok"), action);
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/** Copies `text`; falls back to a selected textarea where the Clipboard API is missing. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", { class: "offscreen", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast("Copied to the clipboard");
}

/** A read-only command with a copy button. */
export function command(text, label = "Copy") {
  return h(
    "div",
    { class: "command" },
    h("code", {}, text),
    h("button", { type: "button", class: "small", onclick: () => copy(text), "aria-label": `${label}: ${text}` }, label),
  );
}

/** A labelled value for a facts list. */
export function fact(label, ...value) {
  return h("div", { class: "fact" }, h("dt", {}, label), h("dd", {}, ...value));
}

/** A box saying what went wrong, with a way to sign in when that would help. */
export function failure(error, signIn) {
  const signInButton =
    error?.needsSignIn && signIn
      ? h("button", { type: "button", class: "primary", onclick: signIn }, "Sign in")
      : null;
  return h(
    "div",
    { class: "notice error", role: "alert" },
    h("p", {}, headline(error)),
    h("p", { class: "muted" }, error?.message ?? String(error)),
    signInButton,
  );
}

function headline(error) {
  if (error?.needsSignIn) return "You need to sign in to see this.";
  if (error?.status === 403) return "Your account may not see this.";
  if (error?.status === 404) return "Not found.";
  return "Something went wrong.";
}
