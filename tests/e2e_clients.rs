//! Real registry clients against the built worker under workerd: buildah, skopeo, podman and the
//! oras SDK push and pull through it, byte for byte. Every client runs through
//! tests/support/clients.rs. A test whose client is not installed says so and passes; `.ci/run`
//! installs them all. Needs the built worker (`make build`).

mod support;

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cases::{OCI_INDEX, OCI_MANIFEST, sha256};
use support::client::{Client, ReqBody};
use support::clients::{self, OrasPush, Storage, skopeo_ok};
use support::images::{self, Entry, Image, scratch_dir, unique};
use support::worker::{Options, Worker};

const MIB: usize = 1024 * 1024;

/// `127.0.0.1:PORT`, as clients name the registry.
fn host(worker: &Worker) -> String {
    worker.url().trim_start_matches("http://").to_owned()
}

/// Writes `image` as an OCI layout and copies it into the registry as `repo:tag` with skopeo,
/// keeping its digests.
fn skopeo_push(worker: &Worker, image: &Image, repo: &str, tag: &str) {
    let layout = scratch_dir("layout");
    images::write_oci_layout(&layout, tag, image);
    let src = format!("oci:{}:{tag}", layout.display());
    let dst = format!("docker://{}/{repo}:{tag}", host(worker));
    skopeo_ok(&["copy", "--preserve-digests", &src, &dst]);
    let _ = fs::remove_dir_all(layout);
}

/// Copies `repo:tag` out of the registry into an OCI layout with skopeo and reads it back.
fn skopeo_pull(worker: &Worker, repo: &str, tag: &str) -> Image {
    let layout = scratch_dir("pulled");
    let src = format!("docker://{}/{repo}:{tag}", host(worker));
    skopeo_ok(&["copy", "--preserve-digests", &src, &format!("oci:{}:{tag}", layout.display())]);
    let image = images::read_oci_layout(&layout, tag);
    let _ = fs::remove_dir_all(layout);
    image
}

fn assert_same_image(got: &Image, want: &Image, what: &str) {
    assert_eq!(got.manifest_digest(), want.manifest_digest(), "{what}: manifest digest");
    assert!(got.manifest == want.manifest, "{what}: manifest bytes");
    assert_eq!(got.config_digest(), want.config_digest(), "{what}: config digest");
    assert_eq!(got.layer_digests(), want.layer_digests(), "{what}: layer digests");
    assert!(got.layers == want.layers, "{what}: layer bytes");
}

/// The registry's log lines for `repository` (test-output/worker.log), once `enough` holds for
/// them (log lines reach the file a moment after the answer); `None` when the log goes to stderr
/// (`E2E_LOG=stderr`) and cannot be read back.
fn log_lines(repository: &str, enough: impl Fn(&[Value]) -> bool) -> Option<Vec<Value>> {
    if std::env::var("E2E_LOG").is_ok_and(|v| v == "stderr") {
        eprintln!("E2E_LOG=stderr: the worker log cannot be checked");
        return None;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/worker.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter(|l| l.contains(repository))
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|l: &Value| l["repository"] == repository)
            .collect();
        if enough(&lines) || Instant::now() > deadline {
            return Some(lines);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn count(lines: &[Value], method: &str, route: &str, status: u16) -> usize {
    let matches =
        |l: &&Value| l["method"] == method && l["route"] == route && l["status"] == status;
    lines.iter().filter(matches).count()
}

/// Issue 2: buildah builds an image `FROM scratch` holding Debian's static busybox, pushes it,
/// and what comes back unpacks to the same file.
#[test]
fn buildah_image_of_busybox_round_trips_to_the_same_files() {
    if clients::skip_without(&["buildah", "skopeo"]) {
        return;
    }
    let Ok(busybox) = fs::read("/bin/busybox") else {
        eprintln!("skipped: /bin/busybox missing (Debian's busybox-static; .ci/run installs it)");
        return;
    };
    let worker = Worker::shared();
    let repo = format!("{}/busybox", unique("buildah"));

    let storage = Storage::new("buildah");
    let container = storage.buildah_ok(&["from", "scratch"]).trim().to_owned();
    storage.buildah_ok(&["copy", &container, "/bin/busybox", "/bin/busybox"]);
    storage.buildah_ok(&[
        "config",
        "--entrypoint",
        r#"["/bin/busybox"]"#,
        "--cmd",
        "sh",
        &container,
    ]);
    storage.buildah_ok(&["commit", &container, "busybox-e2e"]);
    let digest_file = storage.dir().join("pushed-digest");
    storage.buildah_ok(&[
        "push",
        "--digestfile",
        &digest_file.to_string_lossy(),
        "busybox-e2e",
        &format!("docker://{}/{repo}:v1", host(worker)),
    ]);
    let pushed = fs::read_to_string(&digest_file).expect("buildah wrote the pushed digest");

    let head = worker.head(&format!("/v2/{repo}/manifests/v1"));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("docker-content-digest"), Some(pushed.trim()));

    let image = skopeo_pull(worker, &repo, "v1");
    assert_eq!(image.manifest_digest(), pushed.trim(), "pulled back as pushed");
    assert_eq!(image.layers.len(), 1, "one layer: /bin/busybox");
    let config: Value = serde_json::from_slice(&image.config).expect("a JSON config");
    assert_eq!(config["config"]["Entrypoint"], json!(["/bin/busybox"]));

    let root = scratch_dir("busybox-rootfs");
    images::unpack_layer(&image.layers[0], &root);
    assert_eq!(images::list_tree(&root), ["bin/", "bin/busybox"]);
    let unpacked = fs::read(root.join("bin/busybox")).expect("the unpacked busybox");
    assert!(unpacked == busybox, "the unpacked /bin/busybox differs from Debian's");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(root.join("bin/busybox")).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "busybox stays executable");
    }
    let _ = fs::remove_dir_all(root);
}

/// Issue 2: skopeo copies a multi-layer OCI image (a 12 MiB layer of random bytes) into the
/// registry and back, byte for byte.
#[test]
fn skopeo_copies_a_multi_layer_oci_image_in_and_out_byte_for_byte() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let image = images::multi_layer_image("skopeo-oci", 12, None);
    assert!(image.layers.iter().any(|l| l.len() >= 12 * MIB));
    let repo = format!("{}/app", unique("skopeo"));

    skopeo_push(worker, &image, &repo, "v1");

    let stored = worker.get(&format!("/v2/{repo}/manifests/{}", image.manifest_digest()));
    assert_eq!(stored.status, 200);
    assert!(stored.body == image.manifest, "the manifest is stored byte for byte");
    assert_eq!(stored.header("content-type"), Some(OCI_MANIFEST));
    for (digest, bytes) in image.blobs() {
        let head = worker.head(&format!("/v2/{repo}/blobs/{digest}"));
        assert_eq!(head.status, 200, "{digest}");
        assert_eq!(head.header("content-length"), Some(bytes.len().to_string().as_str()));
    }

    let back = skopeo_pull(worker, &repo, "v1");
    assert_same_image(&back, &image, "OCI round trip");
}

/// Issue 2: the same image as Docker schema 2: skopeo converts it on the way in, the registry
/// keeps the converted manifest byte for byte and the blobs unchanged.
#[test]
fn skopeo_copies_an_image_as_docker_schema_2() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let image = images::multi_layer_image("skopeo-v2s2", 12, None);
    let repo = format!("{}/app", unique("v2s2"));
    let layout = scratch_dir("v2s2-layout");
    images::write_oci_layout(&layout, "v1", &image);

    let src = format!("oci:{}:v1", layout.display());
    let dst = format!("docker://{}/{repo}:v1", host(worker));
    skopeo_ok(&["copy", "--format", "v2s2", &src, &dst]);

    let accept = [("accept", images::DOCKER_MANIFEST)];
    let stored = worker.send("GET", &format!("/v2/{repo}/manifests/v1"), &accept, ReqBody::Empty);
    assert_eq!(stored.status, 200);
    assert_eq!(stored.header("content-type"), Some(images::DOCKER_MANIFEST));
    assert_eq!(stored.header("docker-content-digest"), Some(sha256(&stored.body).as_str()));
    let manifest = stored.json();
    assert_eq!(manifest["mediaType"], images::DOCKER_MANIFEST);
    let layers = manifest["layers"].as_array().cloned().unwrap_or_default();
    let layer_types: Vec<&str> =
        layers.iter().map(|l| l["mediaType"].as_str().unwrap_or("")).collect();
    assert_eq!(layer_types, vec![images::DOCKER_LAYER_GZIP; image.layers.len()]);
    let layer_digests: Vec<&str> =
        layers.iter().map(|l| l["digest"].as_str().unwrap_or("")).collect();
    assert_eq!(layer_digests, image.layer_digests(), "the layers are the same blobs");

    let back = scratch_dir("v2s2-back");
    let src = format!("docker://{}/{repo}:v1", host(worker));
    skopeo_ok(&["copy", "--preserve-digests", &src, &format!("dir:{}", back.display())]);
    let pulled = images::read_dir_image(&back);
    assert!(pulled.manifest == stored.body, "the schema 2 manifest comes back byte for byte");
    assert!(pulled.layers == image.layers, "the layers come back byte for byte");
    let config_digest = manifest["config"]["digest"].as_str().unwrap_or_default();
    assert_eq!(pulled.config_digest(), config_digest);
    assert_eq!(config_digest, image.config_digest(), "the config blob is unchanged");
    let _ = fs::remove_dir_all(layout);
    let _ = fs::remove_dir_all(back);
}

/// Issue 2: skopeo copies an image from one repository of the registry to another, and the
/// layers cross by a mount (POST `?mount=&from=` answered 201), not by a new upload.
#[test]
fn skopeo_copies_between_repositories_by_mounting_the_layers() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let image = images::multi_layer_image("skopeo-mount", 12, None);
    let ns = unique("mount");
    let (src_repo, dst_repo) = (format!("{ns}/src"), format!("{ns}/dst"));
    skopeo_push(worker, &image, &src_repo, "v1");

    let src = format!("docker://{}/{src_repo}:v1", host(worker));
    let dst = format!("docker://{}/{dst_repo}:v1", host(worker));
    skopeo_ok(&["copy", "--preserve-digests", &src, &dst]);

    let head = worker.head(&format!("/v2/{dst_repo}/manifests/v1"));
    assert_eq!(head.header("docker-content-digest"), Some(image.manifest_digest().as_str()));
    for digest in image.blobs().keys() {
        let head = worker.head(&format!("/v2/{dst_repo}/blobs/{digest}"));
        assert_eq!(head.status, 200, "{digest} is linked into {dst_repo}");
    }
    let layers = image.layers.len();
    if let Some(lines) = log_lines(&dst_repo, |l| count(l, "POST", "upload", 201) >= layers) {
        let mounts = count(&lines, "POST", "upload", 201);
        assert!(mounts >= layers, "every layer is mounted (POST 201), saw {mounts}: {lines:#?}");
        let big = image.layers.iter().map(Vec::len).max().unwrap_or_default();
        let uploaded: Vec<&Value> = lines
            .iter()
            .filter(|l| l["method"] == "PATCH" || l["method"] == "PUT")
            .filter(|l| l["route"] == "upload")
            .collect();
        assert!(
            uploaded.len() <= 2,
            "at most the config is uploaded ({big}-byte layer mounted): {uploaded:#?}"
        );
    }
    assert_same_image(&skopeo_pull(worker, &dst_repo, "v1"), &image, "copy between repositories");
}

/// Writes files of the given sizes (random bytes) into `dir`; returns their paths and bytes.
fn random_files(dir: &Path, sizes: &[(&str, usize)]) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    sizes
        .iter()
        .map(|(name, size)| {
            let path = dir.join(name);
            let bytes = images::random_bytes(*size);
            fs::write(&path, &bytes).expect("a file to push");
            (path, bytes)
        })
        .collect()
}

fn assert_pulled(files: &[std::path::PathBuf], want: &[(std::path::PathBuf, Vec<u8>)]) {
    assert_eq!(files.len(), want.len(), "{files:?}");
    for (path, bytes) in want {
        let name = path.file_name().expect("a file name");
        let pulled = files.iter().find(|f| f.file_name() == Some(name)).expect("pulled by name");
        assert!(fs::read(pulled).expect("a pulled file") == *bytes, "{name:?} differs");
    }
}

/// Issue 2: the oras SDK pushes an artifact and pulls it back, with whole uploads (POST + PUT)
/// and with chunked ones (PATCHes of an uneven size that the registry must re-cut).
#[test]
fn oras_pushes_and_pulls_an_artifact_whole_and_in_chunks() {
    if clients::skip_without(&["oras"]) {
        return;
    }
    let worker = Worker::shared();
    let host = host(worker);
    let ns = unique("oras");

    for (label, chunk_size) in [("whole", None), ("chunked", Some(MIB + 12_345))] {
        let repo = format!("{ns}/{label}");
        let dir = scratch_dir("oras-files");
        let files = random_files(&dir, &[("readme.txt", 300), ("data.bin", 7 * MIB + 3)]);
        let push = OrasPush {
            target: &format!("{repo}:v1"),
            files: files.iter().map(|(p, _)| p.clone()).collect(),
            chunk_size,
            ..OrasPush::default()
        };
        let digest = clients::oras_push(&host, &push);
        let head = worker.head(&format!("/v2/{repo}/manifests/v1"));
        assert_eq!(head.status, 200, "{label}");
        assert_eq!(head.header("docker-content-digest"), Some(digest.as_str()), "{label}");

        if chunk_size.is_some()
            && let Some(lines) = log_lines(&repo, |l| count(l, "PATCH", "upload", 202) >= 8)
        {
            let patches = count(&lines, "PATCH", "upload", 202);
            assert!(patches >= 8, "7 MiB in chunks of 1 MiB + 12,345 bytes: {patches} PATCHes");
        }

        let out = scratch_dir("oras-pulled");
        assert_pulled(&clients::oras_pull(&host, &format!("{repo}:v1"), &out), &files);
        let _ = fs::remove_dir_all(dir);
        let _ = fs::remove_dir_all(out);
    }
}

/// Issue 4: oras attaches an artifact to an image skopeo pushed (a manifest with `subject`); the
/// referrers API lists it, filtered and not; oras pulls it back by digest.
#[test]
fn oras_attaches_an_artifact_to_a_skopeo_image_and_referrers_list_it() {
    if clients::skip_without(&["oras", "skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let host = host(worker);
    let image = images::multi_layer_image("attach", 1, None);
    let repo = format!("{}/app", unique("attach"));
    skopeo_push(worker, &image, &repo, "v1");
    let subject = image.manifest_digest();

    let sbom_type = "application/vnd.example.sbom.v1";
    let dir = scratch_dir("sbom");
    let sbom = dir.join("sbom.spdx.json");
    let sbom_bytes = br#"{"spdxVersion":"SPDX-2.3","name":"e2e"}"#;
    fs::write(&sbom, sbom_bytes).expect("an sbom file");
    let push = OrasPush {
        target: &format!("{repo}:sbom"),
        files: vec![sbom.clone()],
        config_media_type: Some(sbom_type),
        annotations: Some(json!({ "org.example.note": "attached by oras" })),
        subject: Some((OCI_MANIFEST, &subject, image.manifest.len())),
        ..OrasPush::default()
    };
    let referrer = clients::oras_push(&host, &push);
    assert!(referrer.starts_with("sha256:"), "the manifest PUT answered its digest");

    let listed = worker.get(&format!("/v2/{repo}/referrers/{subject}"));
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.header("content-type"), Some(OCI_INDEX));
    assert_eq!(listed.header("oci-filters-applied"), None);
    let index = listed.json();
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(entries[0]["digest"], referrer.as_str());
    assert_eq!(entries[0]["mediaType"], OCI_MANIFEST);
    assert_eq!(entries[0]["artifactType"], sbom_type);
    assert_eq!(entries[0]["annotations"]["org.example.note"], "attached by oras");
    let artifact = worker.get(&format!("/v2/{repo}/manifests/{referrer}"));
    assert_eq!(entries[0]["size"], artifact.body.len());
    assert_eq!(artifact.json()["subject"]["digest"], subject.as_str());

    let filtered = worker.get(&format!("/v2/{repo}/referrers/{subject}?artifactType={sbom_type}"));
    assert_eq!(filtered.header("oci-filters-applied"), Some("artifactType"));
    assert_eq!(filtered.json()["manifests"].as_array().map(Vec::len), Some(1));
    let other = worker.get(&format!("/v2/{repo}/referrers/{subject}?artifactType=x/none"));
    assert_eq!(other.json()["manifests"].as_array().map(Vec::len), Some(0));

    let out = scratch_dir("sbom-pulled");
    let pulled = clients::oras_pull(&host, &format!("{repo}@{referrer}"), &out);
    assert_pulled(&pulled, &[(sbom, sbom_bytes.to_vec())]);
    let _ = fs::remove_dir_all(dir);
    let _ = fs::remove_dir_all(out);
}

/// Issue 2: podman pulls an image from the registry and pushes it under another name; what
/// arrives holds the same layer contents (podman recompresses, so compare uncompressed).
#[test]
fn podman_pulls_an_image_and_pushes_it_under_another_name() {
    if clients::skip_without(&["podman", "skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let host = host(worker);
    let image = images::multi_layer_image("podman", 2, None);
    let ns = unique("podman");
    skopeo_push(worker, &image, &format!("{ns}/src"), "v1");

    let storage = Storage::new("podman");
    storage.podman_ok(&["pull", &format!("{host}/{ns}/src:v1")]);
    let listed = storage.podman_ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(listed.contains(&format!("{host}/{ns}/src:v1")), "{listed}");
    storage.podman_ok(&["push", &format!("{host}/{ns}/src:v1"), &format!("{host}/{ns}/dst:v1")]);

    let pushed = skopeo_pull(worker, &format!("{ns}/dst"), "v1");
    let config: Value = serde_json::from_slice(&pushed.config).expect("a JSON config");
    let original: Value = serde_json::from_slice(&image.config).expect("a JSON config");
    assert_eq!(config["rootfs"], original["rootfs"], "the same layers (diff IDs)");
    assert_eq!(config["config"]["Labels"], original["config"]["Labels"]);
    let diff_ids: Vec<String> = pushed.layers.iter().map(|l| sha256(&images::gunzip(l))).collect();
    assert_eq!(json!(diff_ids), original["rootfs"]["diff_ids"], "layer contents");
}

/// Issue 6: two images sharing a layer, pushed by skopeo; one is deleted and collected: its own
/// blobs go (HEAD 404), the other image comes back byte for byte.
#[test]
fn garbage_collection_removes_a_deleted_images_blobs_and_keeps_the_other() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    // A private worker whose grace period is short enough to wait out.
    let vars = vec![("GC_GRACE_SECONDS".to_owned(), "1".to_owned())];
    let worker = Worker::start_with(Options { vars, ..Options::default() });
    let shared = images::tar(&[Entry::File {
        path: "shared.bin",
        mode: 0o644,
        bytes: &images::random_bytes(MIB),
    }]);
    let image_a = images::multi_layer_image("gc-a", 1, Some(&shared));
    let image_b = images::multi_layer_image("gc-b", 1, Some(&shared));
    let shared_digest = sha256(&images::gzip(&shared));
    assert!(image_a.layer_digests().contains(&shared_digest));
    assert!(image_b.layer_digests().contains(&shared_digest));
    let repo = "gc/app";
    skopeo_push(&worker, &image_a, repo, "a");
    skopeo_push(&worker, &image_b, repo, "b");

    let deleted = worker.delete(&format!("/v2/{repo}/manifests/{}", image_a.manifest_digest()));
    assert_eq!(deleted.status, 202, "{}", deleted.text());
    thread::sleep(Duration::from_millis(1_500));

    let mut report = Value::Null;
    for _ in 0..50 {
        let answer = worker.send("POST", "/api/gc", &[], ReqBody::Empty);
        assert_eq!(answer.status, 200, "{}", answer.text());
        report = answer.json();
        if report["finished"] == true {
            break;
        }
    }
    assert_eq!(report["finished"], true, "{report:#}");
    let only_a: Vec<String> =
        image_a.blobs().into_keys().filter(|d| !image_b.blobs().contains_key(d)).collect();
    assert_eq!(only_a.len(), 3, "a's config and its two own layers");
    let deleted = report["blobs_deleted"].as_u64().unwrap_or_default();
    assert!(deleted >= only_a.len() as u64, "{report:#}");

    for digest in &only_a {
        let head = worker.head(&format!("/v2/{repo}/blobs/{digest}"));
        assert_eq!(head.status, 404, "{digest} of the deleted image is collected");
    }
    for digest in image_b.blobs().keys() {
        assert_eq!(worker.head(&format!("/v2/{repo}/blobs/{digest}")).status, 200, "{digest}");
    }
    assert_eq!(worker.head(&format!("/v2/{repo}/manifests/a")).status, 404);
    assert_same_image(
        &skopeo_pull(&worker, repo, "b"),
        &image_b,
        "the live image after collection",
    );
}
