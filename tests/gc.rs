//! Garbage collection over the memory store: what it removes, what it keeps while pushes run,
//! and that a run cut off anywhere and resumed ends where one whole run does.

mod support;

use edge_registry::registry::Registry;
use edge_registry::registry::gc::{GcOptions, GcReport, Phase, fixture};
use edge_registry::storage::{ObjectStore, PutOptions, paths};
use serde_json::json;

use support::cases::{
    CFG, D1, D2, LA, LB, M1, OCI_INDEX, OCI_MANIFEST, m2, push_blob, push_image, put_manifest,
    sha256,
};
use support::client::{Client, ReqBody};
use support::memory::MemoryClient;

const DAY: u64 = 24 * 3600 * 1000;
/// Small enough that every invocation does one step, so a run stops at every phase.
const TINY_BUDGET: u64 = 6;

fn now() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// A client whose store stamps everything written from now on three days ago.
fn seeding() -> MemoryClient {
    let c = MemoryClient::new();
    c.store.set_now_ms(Some(now() - 3 * DAY));
    c
}

fn options(max_operations: u64) -> GcOptions {
    GcOptions { max_operations, ..GcOptions::default() }
}

/// One invocation of the collector.
fn collect(c: &MemoryClient, options: GcOptions) -> GcReport {
    let registry = Registry::new(c.store.clone(), c.config.clone());
    futures::executor::block_on(registry.collect_garbage(options)).expect("collection runs")
}

/// Invocations until `done` holds of the report; returns the last report.
fn collect_until(
    c: &MemoryClient,
    options: GcOptions,
    done: impl Fn(&GcReport) -> bool,
) -> GcReport {
    for _ in 0..10_000 {
        let report = collect(c, options);
        if done(&report) {
            return report;
        }
    }
    panic!("the run never got there");
}

fn collect_all(c: &MemoryClient, options: GcOptions) -> GcReport {
    collect_until(c, options, |r| r.finished)
}

fn status(c: &MemoryClient, path: &str) -> u16 {
    c.get(path).status
}

fn descriptor(media: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"mediaType": media, "digest": sha256(bytes), "size": bytes.len()})
}

/// An image manifest of `config` and `layers`, optionally a referrer of `subject`.
fn image(config: &[u8], layers: &[&[u8]], subject: Option<&str>) -> Vec<u8> {
    let layer = |bytes: &&[u8]| descriptor("application/vnd.oci.image.layer.v1.tar", bytes);
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": layers.iter().map(layer).collect::<Vec<_>>(),
    });
    if let Some(subject) = subject {
        manifest["subject"] = json!({"mediaType": OCI_MANIFEST, "digest": subject, "size": 392});
        manifest["artifactType"] = json!("application/vnd.example.signature");
    }
    manifest.to_string().into_bytes()
}

fn index(children: &[&[u8]]) -> Vec<u8> {
    let manifests: Vec<_> = children.iter().map(|c| descriptor(OCI_MANIFEST, c)).collect();
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
        .to_string()
        .into_bytes()
}

fn push(c: &MemoryClient, repo: &str, reference: &str, manifest: &[u8], media: &str) {
    let resp = put_manifest(c, repo, reference, manifest, media);
    assert_eq!(resp.status, 201, "PUT {repo}:{reference}: {}", resp.text());
}

fn delete(c: &MemoryClient, repo: &str, digest: &str) {
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{digest}")).status, 202);
}

/// Several repositories sharing blobs, deleted images, untagged manifests, orphaned data: all
/// written three days ago, with deterministic keys (no chunked uploads, whose ids are random).
fn bucket() -> MemoryClient {
    let c = seeding();
    let layers: Vec<Vec<u8>> = (0..12u8).map(|i| format!("layer-{i}").into_bytes()).collect();
    for r in 0..6usize {
        let repo = format!("t/repo{r}");
        push_blob(&c, &repo, CFG);
        let own: Vec<&[u8]> =
            (0..4).map(|i| layers[(r * 2 + i) % layers.len()].as_slice()).collect();
        let (only_dropped, only_untagged) = (format!("dropped-{r}"), format!("untagged-{r}"));
        for layer in own.iter().chain([&only_dropped.as_bytes(), &only_untagged.as_bytes()]) {
            push_blob(&c, &repo, layer);
        }
        let kept = image(CFG, &own[..2], None);
        let dropped = image(CFG, &[own[2], own[3], only_dropped.as_bytes()], None);
        push(&c, &repo, "kept", &kept, OCI_MANIFEST);
        push(&c, &repo, "dropped", &dropped, OCI_MANIFEST);
        delete(&c, &repo, &sha256(&dropped));
        let untagged = image(CFG, &[own[1], own[2], only_untagged.as_bytes()], None);
        push(&c, &repo, &sha256(&untagged), &untagged, OCI_MANIFEST);
        let signature = image(CFG, &[own[0]], Some(&sha256(&kept)));
        push(&c, &repo, &sha256(&signature), &signature, OCI_MANIFEST);
    }
    push_blob(&c, "t/stray", b"never referenced");
    let store = c.store.clone();
    futures::executor::block_on(async {
        store
            .put("data/0123456789abcdef0123456789abcdef", b"orphan".to_vec(), PutOptions::default())
            .await
            .unwrap();
        let digest = edge_registry::oci::Digest::parse(&sha256(b"lost")).unwrap();
        store
            .put(&paths::blob_data(&digest), b"lost".to_vec(), PutOptions::default())
            .await
            .unwrap();
    });
    c.store.set_now_ms(None);
    c
}

/// The figures two runs that did the same work must share.
fn outcome(r: &GcReport) -> [u64; 12] {
    [
        r.manifests_scanned,
        r.manifests_deleted,
        r.blobs_scanned,
        r.bytes_scanned,
        r.blobs_kept,
        r.bytes_kept,
        r.blobs_deleted,
        r.bytes_deleted,
        r.layer_links_deleted,
        r.orphans_deleted,
        r.orphan_bytes_deleted,
        r.sessions_cleaned,
    ]
}

#[test]
fn blobs_of_deleted_manifests_are_collected_and_shared_ones_kept() {
    let c = seeding();
    push_image(&c, "t/a", M1, &["v1"]);
    push_image(&c, "t/b", &m2(), &["v1"]);
    delete(&c, "t/a", D1);
    c.store.set_now_ms(None);

    let report = collect_all(&c, options(10_000));

    let (cfg, la, lb) = (sha256(CFG), sha256(LA), sha256(LB));
    assert_eq!(status(&c, &format!("/v2/t/b/manifests/{D2}")), 200);
    for digest in [&cfg, &lb] {
        assert_eq!(status(&c, &format!("/v2/t/b/blobs/{digest}")), 200, "{digest} is shared");
        assert_eq!(status(&c, &format!("/v2/t/a/blobs/{digest}")), 200, "{digest} stays linked");
    }
    assert_eq!(c.get(&format!("/v2/t/b/blobs/{lb}")).body, LB);
    for repo in ["t/a", "t/b"] {
        assert_eq!(status(&c, &format!("/v2/{repo}/blobs/{la}")), 404, "layer-A in {repo}");
    }
    assert!(!c.store.keys().iter().any(|k| k.contains(&la[7..])), "nothing of layer-A is left");
    assert_eq!((report.blobs_deleted, report.bytes_deleted), (1, LA.len() as u64));
    assert_eq!(report.layer_links_deleted, 2);
    assert_eq!((report.blobs_scanned, report.blobs_kept), (3, 2));
    assert_eq!(report.manifests_scanned, 1);
    assert!(report.finished && report.phase == Phase::Done);
}

#[test]
fn a_blob_within_the_grace_period_survives() {
    let c = MemoryClient::new();
    let fresh = push_blob(&c, "t/a", b"just pushed, not referenced yet");

    let report = collect_all(&c, options(10_000));

    assert_eq!(status(&c, &format!("/v2/t/a/blobs/{fresh}")), 200);
    assert_eq!((report.blobs_deleted, report.blobs_kept), (0, 1));
}

#[test]
fn a_blob_pushed_or_mounted_between_mark_and_sweep_survives() {
    let c = seeding();
    let old = push_blob(&c, "t/a", LA);
    let doomed = push_blob(&c, "t/a", b"old and never referenced");
    c.store.set_now_ms(None);

    collect_until(&c, options(TINY_BUDGET), |r| r.phase == Phase::Blobs);
    let fresh = push_blob(&c, "t/c", LB);
    let mount = format!("/v2/t/d/blobs/uploads/?mount={old}&from=t/a");
    assert_eq!(c.send("POST", &mount, &[], ReqBody::Empty).status, 201);
    let report = collect_all(&c, options(TINY_BUDGET));

    assert_eq!(c.get(&format!("/v2/t/c/blobs/{fresh}")).body, LB, "pushed during the run");
    assert_eq!(c.get(&format!("/v2/t/d/blobs/{old}")).body, LA, "mounted during the run");
    assert_eq!(status(&c, &format!("/v2/t/a/blobs/{doomed}")), 404);
    assert_eq!(report.blobs_deleted, 1);
}

#[test]
fn a_manifest_put_during_a_run_succeeds_and_the_image_stays_pullable() {
    let c = seeding();
    push_image(&c, "t/a", M1, &["v1"]);
    delete(&c, "t/a", D1);
    c.store.set_now_ms(None);

    // The mark is over: the run saw no manifest referencing the old, unreferenced blobs.
    collect_until(&c, options(TINY_BUDGET), |r| r.phase == Phase::Blobs);
    push(&c, "t/a", "v2", M1, OCI_MANIFEST);
    let report = collect_all(&c, options(TINY_BUDGET));

    let resp = c.get("/v2/t/a/manifests/v2");
    assert_eq!((resp.status, resp.body.as_slice()), (200, M1));
    for blob in [CFG, LA] {
        let resp = c.get(&format!("/v2/t/a/blobs/{}", sha256(blob)));
        assert_eq!((resp.status, resp.body.as_slice()), (200, blob));
    }
    assert_eq!(status(&c, &format!("/v2/t/a/blobs/{}", sha256(LB))), 404, "LB is unreferenced");
    assert_eq!(report.blobs_deleted, 1);
}

#[test]
fn a_run_cut_off_half_way_and_resumed_reaches_the_same_result() {
    for delete_untagged in [false, true] {
        let whole = bucket();
        let sliced = bucket();
        assert_eq!(whole.store.keys(), sliced.store.keys());

        let big = GcOptions { delete_untagged, ..options(1_000_000) };
        let one = collect(&whole, big);
        let tiny = GcOptions { delete_untagged, ..options(TINY_BUDGET) };
        let last = collect_all(&sliced, tiny);

        assert_eq!(one.invocations, 1);
        assert!(last.invocations > 20, "{} invocations", last.invocations);
        eprintln!(
            "{} invocations, {} ops vs {}",
            last.invocations, last.storage_operations, one.storage_operations
        );
        assert_eq!(whole.store.keys(), sliced.store.keys(), "delete_untagged={delete_untagged}");
        assert_eq!(outcome(&one), outcome(&last), "delete_untagged={delete_untagged}");
        let deleted = if delete_untagged { 13 } else { 7 };
        assert_eq!((one.blobs_deleted, one.orphans_deleted), (deleted, 2));
        assert_eq!(one.manifests_deleted, if delete_untagged { 6 } else { 0 });
    }
}

#[test]
fn a_run_failing_at_any_operation_and_resumed_reaches_the_same_result() {
    let reference = bucket();
    let ops_before = reference.store.operations();
    collect(&reference, options(1_000_000));
    let run_ops = reference.store.operations() - ops_before;

    for step in 1..=run_ops {
        let c = bucket();
        c.store.fail_nth_operation(Some(step));
        let registry = Registry::new(c.store.clone(), c.config.clone());
        let failed = futures::executor::block_on(registry.collect_garbage(options(1_000_000)));
        c.store.fail_nth_operation(None);
        assert!(failed.is_err(), "a failure at operation {step} is reported");
        collect_all(&c, options(1_000_000));
        assert_eq!(c.store.keys(), reference.store.keys(), "after a failure at operation {step}");
    }
}

#[test]
fn a_dry_run_changes_nothing_and_reports_what_a_run_removes() {
    let c = bucket();
    let before = c.store.keys();
    let dry = GcOptions { dry_run: true, delete_untagged: true, ..options(1_000_000) };
    let report = collect(&c, dry);
    assert_eq!(c.store.keys(), before);
    assert!(report.dry_run && report.finished);

    let cut_short = collect(&c, GcOptions { max_operations: TINY_BUDGET, ..dry });
    assert!(!cut_short.finished, "a dry run keeps no progress");
    assert_eq!(collect(&c, GcOptions { max_operations: TINY_BUDGET, ..dry }).invocations, 1);
    assert_eq!(c.store.keys(), before);

    let real = collect(&c, GcOptions { dry_run: false, ..dry });
    assert_eq!(outcome(&report), outcome(&real));
    assert!(real.blobs_deleted > 0 && real.manifests_deleted > 0);
    assert_ne!(c.store.keys(), before);
}

#[test]
fn expired_upload_sessions_are_cleaned() {
    let c = MemoryClient::new();
    let small = support::cases::start_upload(&c, "t/a");
    let resp = c.send("PATCH", &small, &[], ReqBody::Bytes(vec![7; 100]));
    assert_eq!(resp.status, 202);
    let large = support::cases::start_upload(&c, "t/a");
    let resp = c.send("PATCH", &large, &[], ReqBody::Bytes(vec![8; 9 * 1024 * 1024]));
    assert_eq!(resp.status, 202);
    assert_eq!(c.store.open_multipart_uploads(), 1);

    c.store.set_now_ms(Some(now() + 2 * DAY));
    let active = support::cases::start_upload(&c, "t/a");
    let report = collect_all(&c, options(10_000));

    let uploads: Vec<String> =
        c.store.keys().into_iter().filter(|k| k.starts_with(paths::UPLOADS)).collect();
    let active_id = active.rsplit('/').next().unwrap_or_default();
    assert_eq!(uploads, [paths::upload_state(active_id)], "only the active session is left");
    assert_eq!(c.store.open_multipart_uploads(), 0, "the multipart upload was aborted");
    assert_eq!(report.sessions_cleaned, 2);
    assert_eq!(status(&c, &small), 404);
}

#[test]
fn untagged_manifests_unreachable_from_a_tag_are_deleted_when_asked() {
    let c = seeding();
    let repo = "t/u";
    push_image(&c, repo, M1, &["v1"]);
    push(&c, repo, D2, &m2(), OCI_MANIFEST);
    for blob in [b"layer-X".as_slice(), b"sig-1", b"sig-2"] {
        push_blob(&c, repo, blob);
    }
    let child = image(CFG, &[b"layer-X"], None);
    push(&c, repo, &sha256(&child), &child, OCI_MANIFEST);
    push(&c, repo, "multi", &index(&[&child]), OCI_INDEX);
    let signed = image(CFG, &[b"sig-1"], Some(D1));
    let orphaned = image(CFG, &[b"sig-2"], Some(D2));
    for referrer in [&signed, &orphaned] {
        push(&c, repo, &sha256(referrer), referrer, OCI_MANIFEST);
    }
    c.store.set_now_ms(None);
    let young = image(CFG, &[LB], None);
    push(&c, repo, &sha256(&young), &young, OCI_MANIFEST);

    let report = collect_all(&c, GcOptions { delete_untagged: true, ..options(10_000) });

    let manifest = |m: &[u8]| status(&c, &format!("/v2/{repo}/manifests/{}", sha256(m)));
    assert_eq!(manifest(M1), 200, "tagged");
    assert_eq!(manifest(&child), 200, "listed by a tagged index");
    assert_eq!(manifest(&signed), 200, "a referrer of a tagged manifest");
    assert_eq!(manifest(&young), 200, "pushed within the grace period");
    assert_eq!(manifest(&m2()), 404, "untagged");
    assert_eq!(manifest(&orphaned), 404, "a referrer of an untagged manifest");
    let blob = |b: &[u8]| status(&c, &format!("/v2/{repo}/blobs/{}", sha256(b)));
    assert_eq!((blob(b"layer-X"), blob(b"sig-1"), blob(LB)), (200, 200, 200));
    assert_eq!(blob(b"sig-2"), 404, "only the deleted referrer used it");
    assert_eq!(report.manifests_deleted, 2);
    assert_eq!(report.blobs_deleted, 1);
}

#[test]
fn orphaned_data_is_collected_and_assembled_blobs_are_kept() {
    let c = seeding();
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let location = support::cases::start_upload(&c, "t/a");
    let resp = c.send("PATCH", &location, &[], ReqBody::Bytes(big.clone()));
    let location = resp.header("location").unwrap_or_default().to_owned();
    let close = format!("{location}?digest={}", sha256(&big));
    assert_eq!(c.send("PUT", &close, &[], ReqBody::Empty).status, 201);
    push_blob(&c, "t/a", CFG);
    push(&c, "t/a", "v1", &image(CFG, &[&big], None), OCI_MANIFEST);
    let store = c.store.clone();
    futures::executor::block_on(async {
        store
            .put("data/00000000000000000000000000000000", vec![1; 10], PutOptions::default())
            .await
            .unwrap();
        store.set_now_ms(None);
        store
            .put("data/ffffffffffffffffffffffffffffffff", vec![1; 10], PutOptions::default())
            .await
            .unwrap();
    });

    let report = collect_all(&c, options(10_000));

    let data: Vec<String> = c.store.keys().into_iter().filter(|k| k.starts_with("data/")).collect();
    assert_eq!(data.len(), 2, "the assembled blob and the young object: {data:?}");
    assert!(data.contains(&"data/ffffffffffffffffffffffffffffffff".to_owned()));
    assert_eq!(c.get(&format!("/v2/t/a/blobs/{}", sha256(&big))).body, big);
    assert_eq!((report.orphans_deleted, report.orphan_bytes_deleted), (1, 10));
}

#[test]
fn the_api_runs_collection_and_answers_the_report() {
    let c = seeding();
    push_image(&c, "t/a", M1, &["v1"]);
    c.store.set_now_ms(None);

    assert_eq!(c.get("/api/gc").status, 404, "no report before the first run");
    let resp = c.send("POST", "/api/gc?dry_run=true", &[], ReqBody::Empty);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let dry = resp.json();
    assert_eq!((dry["dry_run"].as_bool(), dry["finished"].as_bool()), (Some(true), Some(true)));
    assert_eq!(dry["blobs_deleted"], 1, "LB is referenced by nothing");
    assert_eq!(c.get("/api/gc").status, 404, "a dry run saves no report");

    let resp = c.send("POST", "/api/gc", &[], ReqBody::Empty);
    assert_eq!(resp.status, 200);
    let run = resp.json();
    assert_eq!((run["dry_run"].as_bool(), run["blobs_deleted"].as_u64()), (Some(false), Some(1)));
    assert_eq!(c.get("/api/gc").json(), run);

    let resp = c.send("POST", "/api/gc?dry_run=maybe", &[], ReqBody::Empty);
    assert_eq!((resp.status, resp.error_code().as_str()), (400, "UNSUPPORTED"));
    assert_eq!(c.send("POST", "/api/gc?max_operations=0", &[], ReqBody::Empty).status, 400);
    assert_eq!(c.delete("/api/gc").status, 405, "a method the route does not take");
}

#[test]
fn the_benchmark_bucket_is_half_garbage() {
    let c = seeding();
    let registry = Registry::new(c.store.clone(), c.config.clone());
    futures::executor::block_on(fixture::seed(&registry, 1_000, 10)).expect("seeded");
    c.store.set_now_ms(None);

    let report = collect(&c, options(u64::MAX));

    assert!(report.finished);
    assert_eq!((report.blobs_scanned, report.blobs_deleted), (1_000, 500));
    assert_eq!((report.manifests_scanned, report.layer_links_deleted), (100, 500));
}
