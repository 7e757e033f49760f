//! The dashboard in www/, in Debian's Chromium driven by playwright-core (tests/browser/), against
//! the built worker under workerd: sign in, find a repository pushed with skopeo, open a tag,
//! delete a manifest and see its tags go, run a dry-run collection. The browser steps write
//! screenshots at a phone and a desktop width to test-output/screenshots/.
//!
//! Needs the built worker (`make build`), node with the npm packages, skopeo and chromium
//! (`.ci/run` installs both). `CHROMIUM=/path` picks another browser binary.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::cases::{self, CFG, M1, OCI_INDEX, OCI_MANIFEST, put_manifest};
use support::client::Client;
use support::clients::skopeo_ok;
use support::images::{self, Entry};
use support::worker::Worker;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The repository the browser works on, and the filler that makes the list page.
const REPOSITORY: &str = "acme/web";
const FILLERS: usize = 30;

/// Pushes `tar` as a one-layer image to `REPOSITORY` under `tags`, with skopeo from an OCI
/// layout; returns the manifest's digest and size as the registry holds it.
fn push_with_skopeo(worker: &Worker, label: &str, tar: Vec<u8>, tags: &[&str]) -> (String, u64) {
    let host = worker.url().trim_start_matches("http://");
    let image = images::oci_image(&[tar], label);
    let dir = images::scratch_dir(label);
    images::write_oci_layout(&dir, tags[0], &image);
    for tag in tags {
        let source = format!("oci:{}:{}", dir.display(), tags[0]);
        skopeo_ok(&["copy", &source, &format!("docker://{host}/{REPOSITORY}:{tag}")]);
    }

    let head = worker.head(&format!("/v2/{REPOSITORY}/manifests/{}", tags[0]));
    assert_eq!(head.status, 200, "the pushed image is there");
    let digest = head.header("docker-content-digest").expect("a digest").to_owned();
    let size = head.header("content-length").and_then(|l| l.parse().ok()).expect("a length");
    (digest, size)
}

/// What the browser finds: two images pushed with skopeo (`v1` also `latest`), an index over
/// both, a signature and an SBOM of `v1`, and enough other repositories for the list to page.
fn seed(worker: &Worker) -> (String, String) {
    let file = |text: &str| {
        let entry = Entry::File { path: "etc/release", mode: 0o644, bytes: text.as_bytes() };
        images::tar(&[Entry::Dir("etc"), entry])
    };
    let (v1, v1_size) = push_with_skopeo(worker, "v1", file("web 1.0\n"), &["v1", "latest"]);
    let (v2, v2_size) = push_with_skopeo(worker, "v2", file("web 2.0\n"), &["v2"]);

    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": v1, "size": v1_size,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": v2, "size": v2_size,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    })
    .to_string()
    .into_bytes();
    let put = put_manifest(worker, REPOSITORY, "multi", &index, OCI_INDEX);
    assert_eq!(put.status, 201, "index PUT: {}", put.text());

    cases::push_blob(worker, REPOSITORY, CFG);
    for artifact_type in
        ["application/vnd.dev.cosign.artifact.sig.v1+json", "application/spdx+json"]
    {
        let body = cases::artifact(artifact_type, &v1, artifact_type);
        let put = put_manifest(worker, REPOSITORY, &cases::sha256(&body), &body, OCI_MANIFEST);
        assert_eq!(put.status, 201, "referrer PUT: {}", put.text());
    }

    for i in 0..FILLERS {
        cases::push_image(worker, &format!("team-{i:02}/service"), M1, &["v1"]);
    }
    (v1, v2)
}

#[test]
fn dashboard_in_chromium() {
    let worker = Worker::start();
    let (v1, v2) = seed(&worker);
    let (user, password) = support::auth::admin();

    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "tests/browser/dashboard.test.mjs"])
        .current_dir(Path::new(ROOT))
        .env("REGISTRY_URL", worker.url())
        .env("REGISTRY_USER", user)
        .env("REGISTRY_PASSWORD", password)
        .env("DASHBOARD_REPOSITORY", REPOSITORY)
        .env("DASHBOARD_V1", v1)
        .env("DASHBOARD_V2", v2)
        .env("DASHBOARD_REPOSITORIES", (FILLERS + 1).to_string())
        .status()
        .expect("the browser tests need node on the PATH");

    assert!(status.success(), "tests/browser/dashboard.test.mjs failed (its output is above)");
}
