//! The dashboard's JSON endpoints under `/api/` (src/api/console), in-process over the memory
//! store: what they answer, how they page, and what they cost in storage operations.

mod support;

use edge_registry::storage::{ObjectStore, PutOptions};
use serde_json::{Value, json};
use support::auth;
use support::cases::{
    self, CFG, D1, D2, LA, LB, M1, OCI_INDEX, OCI_MANIFEST, m2, push_blob, push_image,
    put_manifest, sha256,
};
use support::client::{Client, ReqBody, Resp};
use support::memory::MemoryClient;

fn get_ok(c: &MemoryClient, path: &str) -> Value {
    let resp = c.get(path);
    assert_eq!(resp.status, 200, "GET {path}: {}", resp.text());
    assert_eq!(resp.header("cache-control"), Some("no-store"), "GET {path}");
    resp.json()
}

fn names(list: &Value) -> Vec<String> {
    let repositories = list["repositories"].as_array().expect("a repositories array");
    repositories.iter().map(|r| r["name"].as_str().unwrap_or_default().to_owned()).collect()
}

fn strings(value: &Value) -> Vec<String> {
    let items = value.as_array().expect("an array");
    items.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

/// An index of M1 (linux/amd64) and M2 (linux/arm64/v8).
fn index() -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": D1, "size": 392,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": D2, "size": 392,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    })
    .to_string()
    .into_bytes()
}

fn expect_status(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {}", resp.text());
}

#[test]
fn repository_list_shows_tag_count_size_and_last_push() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1", "latest"]);
    push_image(&c, "con/b", &m2(), &["v1"]);

    let list = get_ok(&c, "/api/repositories");

    assert_eq!(names(&list), ["con/a", "con/b"]);
    assert_eq!(list["next"], Value::Null);
    let a = &list["repositories"][0];
    assert_eq!(a["tag_count"], 2);
    assert_eq!(a["manifest_count"], 1);
    let linked = CFG.len() + LA.len() + LB.len();
    assert_eq!(a["size"], linked + M1.len());
    assert!(a["last_push_ms"].as_u64().is_some_and(|ms| ms > 0));
    assert_eq!(a["complete"], true);
}

#[test]
fn repository_list_filters_by_substring_and_pages_with_last() {
    let c = MemoryClient::new();
    for name in ["apps/web", "apps/api", "tools/web-debug", "tools/cli", "web"] {
        push_image(&c, name, M1, &["v1"]);
    }

    let first = get_ok(&c, "/api/repositories?q=WEB&n=2");
    assert_eq!(names(&first), ["apps/web", "tools/web-debug"]);
    let next = first["next"].as_str().expect("more follow");

    let second = get_ok(&c, &format!("/api/repositories?q=web&n=2&last={next}"));
    assert_eq!(names(&second), ["web"]);
    assert_eq!(second["next"], Value::Null);

    let all = get_ok(&c, "/api/repositories?n=1000");
    assert_eq!(names(&all).len(), 5, "n above the maximum is cut down, not refused");
    expect_status(&c.get("/api/repositories?n=many"), 400, "n that is no count");
}

#[test]
fn a_search_scans_a_bounded_stretch_of_names_per_call() {
    let c = MemoryClient::new();
    let store = &c.store;
    futures::executor::block_on(async {
        for i in 0..12_000 {
            let key = format!("_catalog/filler/{i:05}");
            store.put(&key, Vec::new(), PutOptions::default()).await.expect("a put");
        }
    });
    push_image(&c, "zz/needle", M1, &["v1"]);

    let (first, ops) = c.send_counted("GET", "/api/repositories?q=needle", &[], ReqBody::Empty);
    let first = first.json();
    assert!(names(&first).is_empty());
    assert!(ops <= 10, "one listing per 1,000 names, 10,000 at most: {ops}");
    let next = first["next"].as_str().expect("the scan stopped before the end");

    let second = get_ok(&c, &format!("/api/repositories?q=needle&last={next}"));
    assert_eq!(names(&second), ["zz/needle"]);
    assert_eq!(second["next"], Value::Null);
}

#[test]
fn a_repository_summary_reads_no_manifest() {
    let c = MemoryClient::new();
    let tags: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    push_image(&c, "con/many", M1, &tags);
    push_image(&c, "con/many", &m2(), &["other"]);

    let (resp, ops) = c.send_counted("GET", "/api/repositories/con/many", &[], ReqBody::Empty);

    expect_status(&resp, 200, "summary");
    let summary = resp.json();
    assert_eq!(summary["name"], "con/many");
    assert_eq!(summary["tag_count"], 41);
    assert_eq!(summary["manifest_count"], 2);
    assert_eq!(ops, 3, "three listings: tags, revisions, blob links");
}

#[test]
fn unknown_repositories_and_manifests_are_oci_errors() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1"]);

    let summary = c.get("/api/repositories/con/missing");
    expect_status(&summary, 404, "summary of an unknown repository");
    assert_eq!(summary.error_code(), "NAME_UNKNOWN");
    let tags = c.get("/api/repositories/con/missing/_tags");
    assert_eq!(tags.error_code(), "NAME_UNKNOWN");
    let manifest = c.get(&format!("/api/repositories/con/a/_manifests/{D2}"));
    assert_eq!(manifest.error_code(), "MANIFEST_UNKNOWN");
    let bad = c.get("/api/repositories/con/a/_manifests/sha256:zz");
    assert_eq!(bad.error_code(), "DIGEST_INVALID");
    assert_eq!(c.get("/api/repositories/Con").error_code(), "NAME_INVALID");
    assert_eq!(c.get("/api/elsewhere").status, 404);
}

#[test]
fn console_endpoints_only_read() {
    let c = MemoryClient::new();

    for path in ["/api/repositories", "/api/storage", "/api/info"] {
        let resp = c.send("POST", path, &[], ReqBody::Empty);
        expect_status(&resp, 405, path);
    }
}

#[test]
fn tags_carry_digest_media_type_sizes_and_push_time() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1", "latest"]);
    push_image(&c, "con/a", &m2(), &["v2"]);

    let list = get_ok(&c, "/api/repositories/con/a/_tags");

    assert_eq!(list["name"], "con/a");
    let tags = list["tags"].as_array().expect("tags");
    let tag_names: Vec<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tag_names, ["latest", "v1", "v2"]);
    let v1 = &tags[1];
    assert_eq!(v1["digest"], D1);
    assert_eq!(v1["media_type"], OCI_MANIFEST);
    assert_eq!(v1["size"], M1.len());
    assert_eq!(v1["total_size"], M1.len() + CFG.len() + LA.len());
    assert_eq!(v1["platforms"], json!([]));
    assert!(v1["pushed_ms"].as_u64().is_some_and(|ms| ms > 0));
    assert_eq!(tags[2]["digest"], D2);
    assert_eq!(list["next"], Value::Null);
}

#[test]
fn index_tags_list_their_platforms_and_count_their_children() {
    let c = MemoryClient::new();
    push_image(&c, "con/multi", M1, &["amd64"]);
    push_image(&c, "con/multi", &m2(), &["arm64"]);
    let index = index();
    expect_status(&put_manifest(&c, "con/multi", "multi", &index, OCI_INDEX), 201, "index PUT");

    let list = get_ok(&c, "/api/repositories/con/multi/_tags?last=arm64");

    let multi = &list["tags"][0];
    assert_eq!(multi["name"], "multi");
    assert_eq!(multi["media_type"], OCI_INDEX);
    assert_eq!(multi["platforms"], json!(["linux/amd64", "linux/arm64/v8"]));
    let children = 2 * M1.len() + CFG.len() + LA.len() + LB.len();
    assert_eq!(multi["total_size"], index.len() + children, "each blob counted once");
}

#[test]
fn tags_page_with_n_and_last() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["a", "b", "c", "d", "e"]);

    let first = get_ok(&c, "/api/repositories/con/a/_tags?n=2");
    assert_eq!(first["tags"].as_array().unwrap().len(), 2);
    assert_eq!(first["next"], "b");

    let rest = get_ok(&c, "/api/repositories/con/a/_tags?n=3&last=b");
    let rest: Vec<&str> =
        rest["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(rest, ["c", "d", "e"]);
}

#[test]
fn a_page_of_tags_reads_each_distinct_manifest_once() {
    let c = MemoryClient::new();
    let tags: Vec<String> = (0..30).map(|i| format!("t{i:02}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    push_image(&c, "con/a", M1, &tags[..20]);
    push_image(&c, "con/a", &m2(), &tags[20..]);

    let (resp, ops) = c.send_counted("GET", "/api/repositories/con/a/_tags", &[], ReqBody::Empty);

    expect_status(&resp, 200, "tags");
    assert_eq!(resp.json()["tags"].as_array().unwrap().len(), 30);
    assert_eq!(ops, 3, "one listing with metadata and one read per distinct manifest");
}

#[test]
fn manifest_detail_shows_config_layers_tags_and_referrers() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1", "latest"]);
    push_image(&c, "con/a", &m2(), &["v2"]);
    let signature = cases::artifact("application/vnd.dev.cosign.artifact.sig.v1+json", D1, "sig");
    let sbom = cases::artifact("application/spdx+json", D1, "sbom");
    for body in [&signature, &sbom] {
        expect_status(&put_manifest(&c, "con/a", &sha256(body), body, OCI_MANIFEST), 201, "PUT");
    }

    let detail = get_ok(&c, "/api/repositories/con/a/_manifests/v1");

    assert_eq!(detail["repository"], "con/a");
    assert_eq!(detail["digest"], D1);
    assert_eq!(detail["media_type"], OCI_MANIFEST);
    assert_eq!(detail["size"], M1.len());
    assert_eq!(detail["total_size"], M1.len() + CFG.len() + LA.len());
    assert_eq!(detail["config"]["digest"], sha256(CFG));
    assert_eq!(detail["config"]["size"], CFG.len());
    assert_eq!(detail["layers"][0]["digest"], sha256(LA));
    assert_eq!(detail["layers"][0]["size"], LA.len());
    assert_eq!(strings(&detail["tags"]), ["latest", "v1"], "the tags a delete removes");
    assert_eq!(detail["tags_complete"], true);
    let mut kinds: Vec<&str> = detail["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["sbom", "signature"]);
    assert_eq!(detail["referrers_more"], false);

    let signature_detail =
        get_ok(&c, &format!("/api/repositories/con/a/_manifests/{}", sha256(&signature)));
    assert_eq!(signature_detail["subject"], D1);
    assert_eq!(
        signature_detail["artifact_type"],
        "application/vnd.dev.cosign.artifact.sig.v1+json"
    );
    assert_eq!(signature_detail["tags"], json!([]));
}

#[test]
fn image_config_gives_platform_creation_time_and_labels() {
    let c = MemoryClient::new();
    let config = json!({
        "architecture": "arm64", "os": "linux", "variant": "v8",
        "created": "2026-01-02T03:04:05Z",
        "config": {"Labels": {"org.opencontainers.image.source": "https://example.com/app"}},
        "rootfs": {"type": "layers", "diff_ids": []},
    })
    .to_string()
    .into_bytes();
    let config_digest = push_blob(&c, "con/img", &config);
    let layer = push_blob(&c, "con/img", LA);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer, "size": LA.len()}],
    })
    .to_string()
    .into_bytes();
    expect_status(&put_manifest(&c, "con/img", "v1", &manifest, OCI_MANIFEST), 201, "PUT");

    let detail = get_ok(&c, "/api/repositories/con/img/_manifests/v1");

    let image = &detail["image"];
    assert_eq!(image["os"], "linux");
    assert_eq!(image["architecture"], "arm64");
    assert_eq!(image["variant"], "v8");
    assert_eq!(image["created"], "2026-01-02T03:04:05Z");
    assert_eq!(image["labels"]["org.opencontainers.image.source"], "https://example.com/app");
}

#[test]
fn an_index_detail_lists_its_children_with_platforms_and_sizes() {
    let c = MemoryClient::new();
    push_image(&c, "con/multi", M1, &[]);
    push_image(&c, "con/multi", &m2(), &[]);
    for body in [M1.to_vec(), m2()] {
        let resp = put_manifest(&c, "con/multi", &sha256(&body), &body, OCI_MANIFEST);
        expect_status(&resp, 201, "child PUT");
    }
    let index = index();
    expect_status(&put_manifest(&c, "con/multi", "multi", &index, OCI_INDEX), 201, "index PUT");

    let detail = get_ok(&c, "/api/repositories/con/multi/_manifests/multi");

    assert_eq!(detail["media_type"], OCI_INDEX);
    assert_eq!(detail["layers"], json!([]));
    assert_eq!(detail["config"], Value::Null);
    let children = detail["manifests"].as_array().expect("children");
    assert_eq!(children[0]["platform"], "linux/amd64");
    assert_eq!(children[1]["platform"], "linux/arm64/v8");
    assert_eq!(children[0]["total_size"], M1.len() + CFG.len() + LA.len());
}

#[test]
fn deleting_a_manifest_takes_its_tags_out_of_every_view() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1", "latest"]);
    push_image(&c, "con/a", &m2(), &["v2"]);
    let detail = get_ok(&c, &format!("/api/repositories/con/a/_manifests/{D1}"));
    assert_eq!(strings(&detail["tags"]), ["latest", "v1"]);

    expect_status(&c.delete(&format!("/v2/con/a/manifests/{D1}")), 202, "DELETE by digest");

    let tags = get_ok(&c, "/api/repositories/con/a/_tags");
    let tags: Vec<&str> =
        tags["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, ["v2"]);
    let summary = get_ok(&c, "/api/repositories/con/a");
    assert_eq!(summary["tag_count"], 1);
    assert_eq!(summary["manifest_count"], 1);
    let gone = c.get(&format!("/api/repositories/con/a/_manifests/{D1}"));
    assert_eq!(gone.error_code(), "MANIFEST_UNKNOWN");
}

#[test]
fn storage_usage_counts_blobs_manifests_bytes_and_the_last_collection() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1", "latest"]);
    push_image(&c, "con/b", &m2(), &["v1"]);

    let before = get_ok(&c, "/api/storage");

    let usage = &before["usage"];
    assert_eq!(usage["repositories"], 2);
    assert_eq!(usage["blobs"], 3, "blobs are stored once, whichever repositories link them");
    assert_eq!(usage["blob_bytes"], CFG.len() + LA.len() + LB.len());
    assert_eq!(usage["manifests"], 2);
    assert_eq!(usage["manifest_bytes"], 2 * M1.len());
    assert_eq!(usage["tags"], 3);
    assert!(usage["total_bytes"].as_u64().unwrap() >= usage["blob_bytes"].as_u64().unwrap());
    assert_eq!(before["cursor"], Value::Null);
    assert_eq!(before["last_collection"], Value::Null);

    expect_status(&c.send("POST", "/api/gc", &[], ReqBody::Empty), 200, "a collection");
    let after = get_ok(&c, "/api/storage");
    assert_eq!(after["last_collection"]["finished"], true);
    assert_eq!(after["last_collection"]["dry_run"], false);
}

#[test]
fn storage_usage_continues_with_its_cursor() {
    let c = MemoryClient::new();
    futures::executor::block_on(async {
        for i in 0..25_000 {
            let key = format!("_catalog/bulk/{i:05}");
            c.store.put(&key, Vec::new(), PutOptions::default()).await.expect("a put");
        }
    });
    push_image(&c, "zz/app", M1, &["v1"]);

    let mut calls = 0;
    let mut repositories = 0;
    let mut blobs = 0;
    let mut path = "/api/storage".to_owned();
    loop {
        let (resp, ops) = c.send_counted("GET", &path, &[], ReqBody::Empty);
        expect_status(&resp, 200, &path);
        assert!(ops <= 21, "a call lists 20 pages at most (and reads one report): {ops}");
        let page = resp.json();
        calls += 1;
        repositories += page["usage"]["repositories"].as_u64().unwrap();
        blobs += page["usage"]["blobs"].as_u64().unwrap();
        match page["cursor"].as_str() {
            Some(cursor) => path = format!("/api/storage?cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(calls, 2);
    assert_eq!(repositories, 25_001);
    assert_eq!(blobs, 3);
    let bad = c.get("/api/storage?cursor=not-hex");
    expect_status(&bad, 400, "a cursor this API did not give");
    assert_eq!(bad.json()["errors"][0]["code"], "UNSUPPORTED");
}

fn get_as(c: &MemoryClient, authorization: &str, path: &str) -> Resp {
    c.send("GET", path, &[("authorization", authorization)], ReqBody::Empty)
}

/// A token from `/token` for the administrator, granting `scopes`.
fn admin_token(c: &MemoryClient, scopes: &[&str]) -> String {
    let query: Vec<String> = scopes.iter().map(|s| format!("scope={s}")).collect();
    let resp = c.get(&format!("/token?{}", query.join("&")));
    expect_status(&resp, 200, "token");
    format!("Bearer {}", resp.json()["token"].as_str().expect("a token"))
}

#[test]
fn anonymous_visitors_see_only_what_anonymous_pull_allows() {
    let mut c = MemoryClient::new();
    c.auth = auth::config(&[("ANONYMOUS_PULL", "public/*")]);
    push_image(&c, "public/app", M1, &["v1"]);
    push_image(&c, "private/app", M1, &["v1"]);

    let list = get_as(&c, "", "/api/repositories");
    expect_status(&list, 200, "anonymous list");
    assert_eq!(names(&list.json()), ["public/app"]);
    expect_status(&get_as(&c, "", "/api/repositories/public/app/_tags"), 200, "public tags");

    for path in ["/api/repositories/private/app", "/api/repositories/private/app/_tags"] {
        let refused = get_as(&c, "", path);
        expect_status(&refused, 401, path);
        assert!(refused.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer ")));
    }
    expect_status(&get_as(&c, "", "/api/storage"), 401, "anonymous storage overview");
}

#[test]
fn a_dashboard_token_lists_what_the_account_may_pull_and_is_asked_for_more_scope() {
    let c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1"]);
    let catalog = admin_token(&c, &["registry:catalog:*"]);

    let list = get_as(&c, &catalog, "/api/repositories");
    expect_status(&list, 200, "list with a catalog token");
    assert_eq!(names(&list.json()), ["con/a"], "the account's rights decide the listing");

    // A token lacking a scope the account may have is refused with a challenge naming it (401
    // or 403 with `insufficient_scope`), which the dashboard answers with a new token.
    for (path, scope) in [
        ("/api/storage", "registry:admin:*"),
        ("/api/repositories/con/a/_tags", "repository:con/a:pull"),
    ] {
        let refused = get_as(&c, &catalog, path);
        assert!([401, 403].contains(&refused.status), "{path}: {}", refused.status);
        let challenge = refused.header("www-authenticate").unwrap_or_default();
        assert!(challenge.contains(&format!("scope=\"{scope}\"")), "{path}: {challenge}");
    }

    let admin = admin_token(&c, &["registry:admin:*"]);
    expect_status(&get_as(&c, &admin, "/api/storage"), 200, "storage with the admin scope");
}

#[test]
fn info_says_what_the_caller_may_do() {
    let mut c = MemoryClient::new();
    push_image(&c, "con/a", M1, &["v1"]);
    let info = get_ok(&c, "/api/info");
    assert_eq!(info["delete_enabled"], true);
    assert_eq!(info["actions"]["delete"], true);
    assert_eq!(info["actions"]["collect_garbage"], true);
    assert!(info["account"].is_string(), "the account signed in: {info}");

    let pull = admin_token(&c, &["repository:con/a:pull"]);
    let info = get_as(&c, &pull, "/api/info").json();
    assert_eq!(info["actions"]["delete"], false, "a pull-only caller may delete nowhere");
    let info = get_as(&c, &pull, "/api/info?repository=con/a").json();
    assert_eq!(info["actions"]["delete"], false, "the token grants no delete");
    assert_eq!(info["actions"]["collect_garbage"], false, "nor administration");
    let delete = admin_token(&c, &["repository:con/a:pull,delete"]);
    let info = get_as(&c, &delete, "/api/info?repository=con/a").json();
    assert_eq!(info["actions"]["delete"], true);

    c.config.delete_enabled = false;
    let info = get_ok(&c, "/api/info?repository=con/a");
    assert_eq!(info["delete_enabled"], false);
    assert_eq!(info["actions"]["delete"], false);
}
