// Numbers, sizes, times and digests as the dashboard shows them.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB"; null → "–". */
export function bytes(n) {
  if (n === null || n === undefined) return "–";
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

const numbers = new Intl.NumberFormat();

export function count(n) {
  return n === null || n === undefined ? "–" : numbers.format(n);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [30, "day"],
  [12, "month"],
  [Infinity, "year"],
];

/** Milliseconds since the epoch → "3 minutes ago". */
export function ago(ms) {
  if (!ms) return "–";
  let value = (ms - Date.now()) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return "–";
}

/** Milliseconds since the epoch → an ISO date and time, for titles and <time>. */
export function iso(ms) {
  return ms ? new Date(ms).toISOString() : "";
}

/** `sha256:0123456789ab…` → `0123456789ab`. */
export function shortDigest(digest) {
  const hex = String(digest ?? "").split(":")[1] ?? String(digest ?? "");
  return hex.slice(0, 12);
}

const KINDS = {
  "application/vnd.oci.image.index.v1+json": "Index",
  "application/vnd.docker.distribution.manifest.list.v2+json": "Index",
  "application/vnd.oci.image.manifest.v1+json": "Image",
  "application/vnd.docker.distribution.manifest.v2+json": "Image",
};

/** What a manifest is, in a word: "Index", "Image" or "Artifact". */
export function manifestKind(mediaType, artifactType) {
  if (artifactType) return "Artifact";
  return KINDS[mediaType] ?? "Manifest";
}

/** The last, most telling part of a media type: `…image.layer.v1.tar+gzip` → `layer.v1.tar+gzip`. */
export function shortType(mediaType) {
  const text = String(mediaType ?? "");
  const slash = text.indexOf("/");
  const rest = slash >= 0 ? text.slice(slash + 1) : text;
  return rest.replace(/^vnd\.(oci\.image\.|docker\.(distribution\.|container\.image\.)?)/, "");
}
