//! Listing referrers costs one storage operation per 100 of them, whatever the repository holds.

mod support;

use support::cases::{D1, M1, OCI_MANIFEST, artifact, push_image, put_manifest, sha256};
use support::client::{Client, ReqBody};
use support::memory::MemoryClient;

#[test]
fn listing_a_thousand_referrers_costs_at_most_twelve_operations() {
    let c = MemoryClient::new();
    let repo = "t/app";
    push_image(&c, repo, M1, &["v1"]);
    for i in 0..1000 {
        let body = artifact("application/vnd.example.sig.v1", D1, &format!("sig-{i}"));
        assert_eq!(put_manifest(&c, repo, &sha256(&body), &body, OCI_MANIFEST).status, 201);
    }

    let (resp, ops) =
        c.send_counted("GET", &format!("/v2/{repo}/referrers/{D1}"), &[], ReqBody::Empty);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["manifests"].as_array().map(Vec::len), Some(1000));
    assert_eq!(resp.header("link"), None);
    println!("referrers listed=1000 storage_ops={ops}");
    assert!(ops <= 1000usize.div_ceil(100) as u64 + 2, "{ops} operations");
}

#[test]
fn long_referrer_lists_are_paged_with_a_link() {
    let c = MemoryClient::new();
    let repo = "t/app";
    push_image(&c, repo, M1, &["v1"]);
    for i in 0..1001 {
        let body = artifact("application/vnd.example.sig.v1", D1, &format!("s{i}"));
        assert_eq!(put_manifest(&c, repo, &sha256(&body), &body, OCI_MANIFEST).status, 201);
    }
    let first = c.get(&format!("/v2/{repo}/referrers/{D1}"));
    let link = first.header("link").expect("a Link to the next page").to_owned();
    let next = &link[1..link.find('>').unwrap_or_default()];
    let second = c.get(next);
    let count = |r: &support::client::Resp| r.json()["manifests"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&first) + count(&second), 1001);
    assert_eq!(second.header("link"), None);
}
