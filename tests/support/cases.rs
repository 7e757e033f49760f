//! The cases of shared/cases/README.md, each a function any [`Client`] can run.
//!
//! Every case works under its own namespace `ns`, so cases can share one registry.

use edge_registry::oci::{Algorithm, Digest};

use super::client::{Client, ReqBody, Resp};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const EMPTY: &[u8] = b"";
pub const CFG: &[u8] = b"{}";
pub const LA: &[u8] = b"layer-A";
pub const LB: &[u8] = b"layer-B";
pub const M1: &[u8] = include_bytes!("../fixtures/m1.json");
pub const D1: &str = "sha256:b5d72700b89ba18d99fbf7ce953b9f6f72a77dd76df04776d1f3e87c033a016a";
pub const D2: &str = "sha256:3b25c719c7fca0d9474790a6e0ab960780e3b5bd403ad1b4e07d9449dbc5fe5d";
const MIB: usize = 1024 * 1024;

pub fn sha256(bytes: &[u8]) -> String {
    Digest::of(Algorithm::Sha256, bytes).to_string()
}

pub fn m2() -> Vec<u8> {
    String::from_utf8_lossy(M1).replace(&sha256(LA), &sha256(LB)).into_bytes()
}

/// Bytes that differ from any other call's, so a blob is really uploaded.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 16) as u8).collect()
}

fn expect(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {} {:?}", resp.status, resp.text());
}

/// Opens an upload session; returns its Location.
pub fn start_upload(c: &dyn Client, repo: &str) -> String {
    let resp = c.send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], ReqBody::Empty);
    expect(&resp, 202, "POST uploads");
    resp.header("location").expect("a Location").to_owned()
}

fn with_query(location: &str, query: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}{query}")
}

/// Uploads a blob in one POST; returns its digest.
pub fn push_blob(c: &dyn Client, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let path = format!("/v2/{repo}/blobs/uploads/?digest={digest}");
    let resp = c.send("POST", &path, &[], ReqBody::Bytes(bytes.to_vec()));
    expect(&resp, 201, "monolithic upload");
    digest
}

pub fn put_manifest(c: &dyn Client, repo: &str, reference: &str, body: &[u8], ct: &str) -> Resp {
    let path = format!("/v2/{repo}/manifests/{reference}");
    c.send("PUT", &path, &[("content-type", ct)], ReqBody::Bytes(body.to_vec()))
}

/// Pushes M1's or M2's blobs and the manifest under each of `tags`.
pub fn push_image(c: &dyn Client, repo: &str, manifest: &[u8], tags: &[&str]) {
    push_blob(c, repo, CFG);
    push_blob(c, repo, LA);
    push_blob(c, repo, LB);
    for tag in tags {
        expect(&put_manifest(c, repo, tag, manifest, OCI_MANIFEST), 201, "manifest PUT");
    }
}

pub fn tag_list(c: &dyn Client, repo: &str, query: &str) -> (Vec<String>, Option<String>) {
    let resp = c.get(&format!("/v2/{repo}/tags/list{query}"));
    expect(&resp, 200, "tags/list");
    let tags = resp.json()["tags"]
        .as_array()
        .map(|t| t.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default();
    (tags, resp.header("link").map(str::to_owned))
}

fn manifest_digest(c: &dyn Client, repo: &str, reference: &str) -> Option<String> {
    let resp = c.head(&format!("/v2/{repo}/manifests/{reference}"));
    (resp.status == 200)
        .then(|| resp.header("docker-content-digest").unwrap_or_default().to_owned())
}

pub fn upl2_upload_range_is_cumulative(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let location = start_upload(c, &repo);
    let data = pattern(2 * MIB, 2);
    let mut location = location;
    for (i, range) in [("0-1048575", 0..MIB), ("1048576-2097151", MIB..2 * MIB)].iter().enumerate()
    {
        let headers = [("content-range", range.0)];
        let chunk = ReqBody::Bytes(data[range.1.clone()].to_vec());
        let resp = c.send("PATCH", &location, &headers, chunk);
        expect(&resp, 202, "PATCH");
        let want = if i == 0 { "0-1048575" } else { "0-2097151" };
        assert_eq!(resp.header("range"), Some(want));
        location = resp.header("location").expect("a Location").to_owned();
    }
    let resp = c.get(&location);
    expect(&resp, 204, "upload status");
    assert_eq!(resp.header("range"), Some("0-2097151"));

    let resp = c.send("PATCH", &location, &[("content-range", "0-9")], ReqBody::Bytes(vec![0; 10]));
    expect(&resp, 416, "an overlapping chunk");
    let resp = c.get(&location);
    assert_eq!(resp.header("range"), Some("0-2097151"), "nothing appended by a refused chunk");

    // A closing PUT whose chunk does not start where the upload stands is refused the same way,
    // and the session stays as it was.
    let early = with_query(&location, &format!("digest={}", sha256(&data)));
    let resp = c.send("PUT", &early, &[("content-range", "0-9")], ReqBody::Bytes(vec![0; 10]));
    expect(&resp, 416, "a closing chunk at the wrong offset");
    let resp = c.get(&location);
    assert_eq!(resp.header("range"), Some("0-2097151"), "the session survives a refused close");

    let resp = c.send(
        "PUT",
        &with_query(&location, &format!("digest={}", sha256(&data))),
        &[],
        ReqBody::Empty,
    );
    expect(&resp, 201, "closing PUT");
}

/// `POST /v2/<name>/blobs/uploads` without its trailing slash opens a session, as distribution
/// does; no digest is called `uploads`.
pub fn uploads_path_without_trailing_slash_opens_a_session(c: &dyn Client, ns: &str) {
    let resp = c.send("POST", &format!("/v2/{ns}/app/blobs/uploads"), &[], ReqBody::Empty);
    expect(&resp, 202, "POST uploads without a slash");
    assert!(resp.header("location").is_some_and(|l| l.contains("/blobs/uploads/")));
}

pub fn upl4_streamed_patch(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let a2k = vec![b'a'; 2048];
    let location = start_upload(c, &repo);
    let chunks = a2k.chunks(500).map(<[u8]>::to_vec).collect();
    let resp = c.send("PATCH", &location, &[], ReqBody::Streamed(chunks));
    expect(&resp, 202, "streamed PATCH");
    assert_eq!(resp.header("range"), Some("0-2047"));
    let location = resp.header("location").expect("a Location").to_owned();

    let digest = "sha256:b2a3a502fdfc34f4e3edfa94b7f3109cd972d87a4fec63ab21a6673379ccf7ad";
    assert_eq!(sha256(&a2k), digest);
    let resp =
        c.send("PUT", &with_query(&location, &format!("digest={digest}")), &[], ReqBody::Empty);
    expect(&resp, 201, "closing PUT");
    let resp = c.get(&format!("/v2/{repo}/blobs/{digest}"));
    expect(&resp, 200, "GET blob");
    assert_eq!(resp.body, a2k);
}

pub fn upl5_uneven_chunks(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let data = pattern(30 * MIB, 5);
    let digest = sha256(&data);
    let mut location = start_upload(c, &repo);
    let mut offset = 0;
    for size in [10 * MIB, 7 * MIB, 10 * MIB] {
        let range = format!("{}-{}", offset, offset + size - 1);
        let chunk = ReqBody::Bytes(data[offset..offset + size].to_vec());
        let resp = c.send("PATCH", &location, &[("content-range", &range)], chunk);
        expect(&resp, 202, "PATCH");
        location = resp.header("location").expect("a Location").to_owned();
        offset += size;
    }
    let last = ReqBody::Bytes(data[offset..].to_vec());
    let resp = c.send("PUT", &with_query(&location, &format!("digest={digest}")), &[], last);
    expect(&resp, 201, "closing PUT with the last 3 MiB");

    let path = format!("/v2/{repo}/blobs/{digest}");
    let resp = c.head(&path);
    expect(&resp, 200, "HEAD");
    assert_eq!(resp.header("content-length"), Some("31457280"));
    let resp = c.get(&path);
    assert!(resp.body == data, "the bytes read back differ");
}

pub fn dig1_sha512(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let cfg512 = Digest::of(Algorithm::Sha512, CFG).to_string();
    let location = start_upload(c, &repo);
    let resp = c.send(
        "PUT",
        &with_query(&location, &format!("digest={cfg512}")),
        &[],
        ReqBody::Bytes(CFG.to_vec()),
    );
    expect(&resp, 201, "sha512 upload");
    let resp = c.head(&format!("/v2/{repo}/blobs/{cfg512}"));
    expect(&resp, 200, "HEAD sha512 blob");
    assert_eq!(resp.header("content-length"), Some("2"));

    push_image(c, &repo, M1, &[]);
    let m512 = Digest::of(Algorithm::Sha512, M1).to_string();
    let resp = put_manifest(c, &repo, &m512, M1, OCI_MANIFEST);
    expect(&resp, 201, "manifest PUT by sha512");
    assert_eq!(resp.header("docker-content-digest"), Some(m512.as_str()));
    let resp = c.get(&format!("/v2/{repo}/manifests/{m512}"));
    expect(&resp, 200, "GET by sha512");
    assert_eq!(resp.body, M1);
}

pub fn dig2_content_must_match_digest(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &[]);
    let resp = put_manifest(c, &repo, D2, M1, OCI_MANIFEST);
    expect(&resp, 400, "M1 under D2");
    assert_eq!(resp.error_code(), "DIGEST_INVALID");
    expect(&c.get(&format!("/v2/{repo}/manifests/{D2}")), 404, "nothing stored under D2");
    let resp = put_manifest(c, &repo, "sha256:zz", M1, OCI_MANIFEST);
    expect(&resp, 400, "malformed digest");

    let other = format!("{ns}/other");
    let location = start_upload(c, &other);
    let lb = sha256(LB);
    let resp = c.send(
        "PUT",
        &with_query(&location, &format!("digest={lb}")),
        &[],
        ReqBody::Bytes(LA.to_vec()),
    );
    expect(&resp, 400, "layer-A closed as LB");
    assert_eq!(resp.error_code(), "DIGEST_INVALID");
    expect(&c.head(&format!("/v2/{other}/blobs/{lb}")), 404, "nothing stored as LB");
}

pub fn man1_empty_blobs(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let empty = sha256(EMPTY);
    let location = start_upload(c, &repo);
    let resp =
        c.send("PUT", &with_query(&location, &format!("digest={empty}")), &[], ReqBody::Empty);
    expect(&resp, 201, "empty upload");
    let path = format!("/v2/{repo}/blobs/{empty}");
    let resp = c.head(&path);
    expect(&resp, 200, "HEAD empty");
    assert_eq!(resp.header("content-length"), Some("0"));
    assert_eq!(resp.header("docker-content-digest"), Some(empty.as_str()));
    let resp = c.get(&path);
    expect(&resp, 200, "GET empty");
    assert!(resp.body.is_empty());

    push_blob(c, &repo, LA);
    let manifest = String::from_utf8_lossy(M1)
        .replace(&sha256(CFG), &empty)
        .replace("\"size\":2", "\"size\":0");
    expect(&put_manifest(c, &repo, "v1", manifest.as_bytes(), OCI_MANIFEST), 201, "EMPTY config");
}

pub fn man2_manifests_the_schema_does_not_force(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["v1"]);
    let helm = String::from_utf8_lossy(M1)
        .replace("\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",", "");
    assert!(!helm.starts_with("{\"schemaVersion\":2,\"mediaType\""));
    let resp = put_manifest(c, &repo, "chart", helm.as_bytes(), OCI_MANIFEST);
    expect(&resp, 201, "manifest without mediaType");
    let resp = c.get(&format!("/v2/{repo}/manifests/chart"));
    assert_eq!(resp.body, helm.as_bytes());
    assert_eq!(resp.header("content-type"), Some(OCI_MANIFEST));

    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":392,"platform":{{"architecture":"unknown","os":"unknown"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":392}}]}}"#
    );
    expect(&put_manifest(c, &repo, "index", index.as_bytes(), OCI_INDEX), 201, "index");
}

pub fn man3_a_mount_that_cannot_happen_starts_an_upload(c: &dyn Client, ns: &str) {
    let (src, dst) = (format!("{ns}/src"), format!("{ns}/dst"));
    push_blob(c, &src, LA);
    let lb = sha256(LB);
    let resp = c.send(
        "POST",
        &format!("/v2/{dst}/blobs/uploads/?mount={lb}&from={src}"),
        &[],
        ReqBody::Empty,
    );
    expect(&resp, 202, "mount of a blob src lacks");
    let location = resp.header("location").expect("a session Location").to_owned();

    push_blob(c, &dst, CFG);
    push_blob(c, &dst, LA);
    let la = sha256(LA);
    let resp = c.send(
        "POST",
        &format!("/v2/{ns}/third/blobs/uploads/?mount={la}&from={src}"),
        &[],
        ReqBody::Empty,
    );
    expect(&resp, 201, "mount of a blob src has");

    let resp = put_manifest(c, &dst, "v1", &m2(), OCI_MANIFEST);
    expect(&resp, 400, "M2 before LB");
    assert_eq!(resp.error_code(), "MANIFEST_BLOB_UNKNOWN");
    let resp = c.send(
        "PUT",
        &with_query(&location, &format!("digest={lb}")),
        &[],
        ReqBody::Bytes(LB.to_vec()),
    );
    expect(&resp, 201, "finishing the mount's session");
    expect(&put_manifest(c, &dst, "v1", &m2(), OCI_MANIFEST), 201, "M2 after LB");
}

pub fn neg1_head_carries_what_get_carries(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["a"]);
    let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
    let resp =
        c.send("HEAD", &format!("/v2/{repo}/manifests/a"), &[("accept", accept)], ReqBody::Empty);
    expect(&resp, 200, "HEAD manifest");
    assert!(resp.body.is_empty());
    assert_eq!(resp.header("content-type"), Some(OCI_MANIFEST));
    assert_eq!(resp.header("content-length"), Some("392"));
    assert_eq!(resp.header("docker-content-digest"), Some(D1));
}

pub fn rng1_range_reads(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    let a2k = vec![b'a'; 2048];
    let digest = push_blob(c, &repo, &a2k);
    let path = format!("/v2/{repo}/blobs/{digest}");
    let cases = [
        ("bytes=0-1023", "bytes 0-1023/2048", 1024),
        ("bytes=1024-", "bytes 1024-2047/2048", 1024),
        ("bytes=-100", "bytes 1948-2047/2048", 100),
    ];
    for (range, content_range, len) in cases {
        let resp = c.send("GET", &path, &[("range", range)], ReqBody::Empty);
        expect(&resp, 206, range);
        assert_eq!(resp.header("content-range"), Some(content_range));
        assert_eq!(resp.body.len(), len);
    }
    let resp = c.send("GET", &path, &[("range", "bytes=4096-5000")], ReqBody::Empty);
    expect(&resp, 416, "unsatisfiable range");
    assert_eq!(resp.header("content-range"), Some("bytes */2048"));
    let resp = c.head(&path);
    expect(&resp, 200, "HEAD");
    assert_eq!(resp.header("content-length"), Some("2048"));
    assert_eq!(resp.header("accept-ranges"), Some("bytes"));
}

pub fn lst1_tag_list_paging(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["a", "b", "c"]);
    expect(&put_manifest(c, &repo, D2, &m2(), OCI_MANIFEST), 201, "push by digest");
    push_image(c, &format!("{repo}/manifests-old"), M1, &["v9"]);

    assert_eq!(tag_list(c, &repo, ""), (vec!["a".into(), "b".into(), "c".into()], None));
    let (tags, link) = tag_list(c, &repo, "?n=2");
    assert_eq!(tags, ["a", "b"]);
    let link = link.expect("a Link header");
    assert_eq!(link, format!("</v2/{repo}/tags/list?n=2&last=b>; rel=\"next\""));
    let next = &link[1..link.find('>').unwrap_or_default()];
    let resp = c.get(next);
    assert_eq!(resp.json()["tags"], serde_json::json!(["c"]));
    assert_eq!(resp.header("link"), None);
    assert_eq!(tag_list(c, &repo, "?last=a").0, ["b", "c"]);
    assert_eq!(tag_list(c, &repo, "?n=0"), (vec![], None));
    assert_eq!(tag_list(c, &repo, "?last=zzz").0, Vec::<String>::new());
}

pub fn name1_names_and_tags(c: &dyn Client, ns: &str) {
    for path in ["/v2/test/Someproject/tags/list", "/v2/Test/someproject/tags/list"] {
        let resp = c.get(path);
        assert!(resp.status == 400 || resp.status == 404, "{path}: {}", resp.status);
        assert_eq!(resp.error_code(), "NAME_INVALID");
    }
    let long = format!("/v2/{}/tags/list", "a".repeat(300));
    for path in [long.as_str(), "/v2/a//b/tags/list", "/v2/a/-b/tags/list"] {
        let resp = c.get(path);
        assert_eq!(resp.error_code(), "NAME_INVALID", "{path}");
    }

    let deep = format!("{ns}/a/b/c/d/e/f");
    push_image(c, &deep, M1, &["v1"]);
    assert_eq!(manifest_digest(c, &deep, "v1").as_deref(), Some(D1));
    let x = format!("{ns}/x");
    push_image(c, &x, M1, &["own"]);
    for word in ["manifests", "blobs", "tags"] {
        let repo = format!("{x}/{word}");
        push_image(c, &repo, &m2(), &["v1"]);
        assert_eq!(tag_list(c, &repo, "").0, ["v1"]);
        assert_eq!(manifest_digest(c, &repo, "v1").as_deref(), Some(D2));
    }
    assert_eq!(tag_list(c, &x, "").0, ["own"]);

    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &[]);
    expect(&put_manifest(c, &repo, &"t".repeat(128), M1, OCI_MANIFEST), 201, "128-char tag");
    for tag in ["t".repeat(129), ".hidden".into(), "-x".into()] {
        let resp = put_manifest(c, &repo, &tag, M1, OCI_MANIFEST);
        expect(&resp, 400, &tag);
    }
}

pub fn del1_delete_by_digest_removes_exactly_the_tags_pointing_at_it(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["a", "b", "moved"]);
    push_image(c, &repo, &m2(), &["c", "moved"]);

    expect(&c.delete(&format!("/v2/{repo}/manifests/{D1}")), 202, "DELETE D1");
    for reference in ["a", "b", D1] {
        let resp = c.get(&format!("/v2/{repo}/manifests/{reference}"));
        expect(&resp, 404, reference);
        assert_eq!(resp.error_code(), "MANIFEST_UNKNOWN");
    }
    assert_eq!(manifest_digest(c, &repo, "c").as_deref(), Some(D2));
    assert_eq!(manifest_digest(c, &repo, "moved").as_deref(), Some(D2));
    assert_eq!(tag_list(c, &repo, "").0, ["c", "moved"]);
    expect(&c.delete(&format!("/v2/{repo}/manifests/{D1}")), 404, "second DELETE D1");
    let cfg = sha256(CFG);
    expect(&c.delete(&format!("/v2/{repo}/manifests/{cfg}")), 404, "DELETE of a blob digest");
    assert_eq!(tag_list(c, &repo, "").0, ["c", "moved"]);
}

pub fn del2_delete_by_tag_removes_only_that_tag(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["a", "b"]);
    expect(&c.delete(&format!("/v2/{repo}/manifests/a")), 202, "DELETE a");
    expect(&c.get(&format!("/v2/{repo}/manifests/a")), 404, "a after delete");
    expect(&c.get(&format!("/v2/{repo}/manifests/b")), 200, "b after deleting a");
    expect(&c.get(&format!("/v2/{repo}/manifests/{D1}")), 200, "D1 after deleting a");
    assert_eq!(tag_list(c, &repo, "").0, ["b"]);
    expect(&c.delete(&format!("/v2/{repo}/manifests/{D1}")), 202, "DELETE D1");
    expect(&c.get(&format!("/v2/{repo}/manifests/b")), 404, "b goes with D1");
    expect(&c.delete(&format!("/v2/{repo}/manifests/{D1}")), 404, "DELETE D1 again");
}

pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// An artifact manifest of `artifact_type` whose subject is `subject`, with an empty config.
pub fn artifact(artifact_type: &str, subject: &str, note: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"{artifact_type}","config":{{"mediaType":"{EMPTY_CONFIG}","digest":"{}","size":2}},"layers":[],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{subject}","size":392}},"annotations":{{"note":"{note}"}}}}"#,
        sha256(CFG)
    )
    .into_bytes()
}

fn referrer_digests(resp: &Resp) -> Vec<String> {
    let manifests = resp.json()["manifests"].as_array().cloned().unwrap_or_default();
    let mut digests: Vec<String> =
        manifests.iter().map(|m| m["digest"].as_str().unwrap_or_default().to_owned()).collect();
    digests.sort();
    digests
}

pub fn ref1_filtered_referrers_say_so(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["v1"]);
    let sbom = artifact("application/vnd.example.sbom.v1", D1, "sbom");
    let sig = artifact("application/vnd.example.sig.v1", D1, "sig");
    for body in [&sbom, &sig] {
        let resp = put_manifest(c, &repo, &sha256(body), body, OCI_MANIFEST);
        expect(&resp, 201, "artifact PUT");
        assert_eq!(resp.header("oci-subject"), Some(D1));
    }

    let resp =
        c.get(&format!("/v2/{repo}/referrers/{D1}?artifactType=application/vnd.example.sbom.v1"));
    expect(&resp, 200, "filtered referrers");
    assert_eq!(resp.header("content-type"), Some(OCI_INDEX));
    assert_eq!(resp.header("oci-filters-applied"), Some("artifactType"));
    assert_eq!(referrer_digests(&resp), [sha256(&sbom)]);
    let entry = &resp.json()["manifests"][0];
    assert_eq!(entry["artifactType"], "application/vnd.example.sbom.v1");
    assert_eq!(entry["mediaType"], OCI_MANIFEST);
    assert_eq!(entry["size"], sbom.len());
    assert_eq!(entry["annotations"]["note"], "sbom");

    let resp = c.get(&format!("/v2/{repo}/referrers/{D1}"));
    assert_eq!(resp.header("oci-filters-applied"), None);
    let mut both = vec![sha256(&sbom), sha256(&sig)];
    both.sort();
    assert_eq!(referrer_digests(&resp), both);

    let resp = c.get(&format!("/v2/{repo}/referrers/{D2}"));
    expect(&resp, 200, "referrers of an unknown digest");
    assert!(referrer_digests(&resp).is_empty());
    expect(&c.get(&format!("/v2/{repo}/referrers/sha256:zz")), 400, "malformed digest");
}

pub fn ref2_a_subject_may_arrive_after_its_referrer(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_blob(c, &repo, CFG);
    let sbom = artifact("application/vnd.example.sbom.v1", D1, "early");
    let resp = put_manifest(c, &repo, &sha256(&sbom), &sbom, OCI_MANIFEST);
    expect(&resp, 201, "referrer before its subject");
    assert_eq!(resp.header("oci-subject"), Some(D1));
    assert_eq!(referrer_digests(&c.get(&format!("/v2/{repo}/referrers/{D1}"))), [sha256(&sbom)]);
    push_image(c, &repo, M1, &["v1"]);
    let resp = c.get(&format!("/v2/{repo}/manifests/{}", sha256(&sbom)));
    assert_eq!(resp.body, sbom, "artifactType and the empty config come back byte for byte");
}

pub fn referrers_follow_deletes_and_tags(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/app");
    push_image(c, &repo, M1, &["v1"]);
    let sig = artifact("application/vnd.example.sig.v1", D1, "sig");
    let digest = sha256(&sig);
    expect(&put_manifest(c, &repo, &digest, &sig, OCI_MANIFEST), 201, "referrer by digest");
    expect(&put_manifest(c, &repo, "sig-tag", &sig, OCI_MANIFEST), 201, "the referrer tagged");
    let listed = || referrer_digests(&c.get(&format!("/v2/{repo}/referrers/{D1}")));
    assert_eq!(listed(), std::slice::from_ref(&digest), "a tagged referrer is listed once");

    expect(&c.delete(&format!("/v2/{repo}/manifests/{D1}")), 202, "delete the subject");
    assert_eq!(
        listed(),
        std::slice::from_ref(&digest),
        "deleting the subject leaves its referrers"
    );
    push_image(c, &repo, M1, &["v1"]);
    assert_eq!(listed(), std::slice::from_ref(&digest));

    expect(&c.delete(&format!("/v2/{repo}/manifests/{digest}")), 202, "delete the referrer");
    assert!(listed().is_empty(), "a deleted referrer leaves its subject's index");
}
