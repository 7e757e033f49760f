//! A storage failure at any step of a delete or a tag write never leaves a tag naming a missing
//! manifest, and retrying finishes the job.

mod support;

use support::cases::{D1, D2, M1, OCI_MANIFEST, m2, push_image, put_manifest, tag_list};
use support::client::Client;
use support::memory::MemoryClient;

const REPO: &str = "t/app";

/// Every listed tag must resolve to a manifest that can be read.
fn assert_no_dangling_tags(c: &MemoryClient, step: u64) {
    let (tags, _) = tag_list(c, REPO, "");
    for tag in tags {
        let resp = c.get(&format!("/v2/{REPO}/manifests/{tag}"));
        assert_eq!(resp.status, 200, "after a failure at operation {step}, tag {tag} dangles");
    }
}

fn seeded() -> MemoryClient {
    let c = MemoryClient::new();
    push_image(&c, REPO, M1, &["a", "b", "moved"]);
    push_image(&c, REPO, &m2(), &["c", "moved"]);
    c
}

#[test]
fn a_delete_failing_at_any_step_leaves_no_dangling_tag_and_a_retry_completes_it() {
    let path = format!("/v2/{REPO}/manifests/{D1}");
    let mut step = 1;
    loop {
        let c = seeded();
        c.store.fail_nth_operation(Some(step));
        let first = c.delete(&path);
        c.store.fail_nth_operation(None);
        assert_no_dangling_tags(&c, step);

        if first.status == 202 {
            assert!(step > 3, "the delete cannot finish in fewer than 4 operations");
            break;
        }
        assert_eq!(first.status, 500, "failure at operation {step}: {}", first.text());
        assert_eq!(first.error_code(), "UNKNOWN");

        let retry = c.delete(&path);
        assert!(retry.status == 202 || retry.status == 404, "retry after {step}: {}", retry.status);
        assert_eq!(c.get(&path).status, 404, "D1 survived a retried delete ({step})");
        assert_eq!(tag_list(&c, REPO, "").0, ["c", "moved"], "after a failure at {step}");
        step += 1;
    }
}

#[test]
fn a_tag_write_failing_at_any_step_keeps_the_index_a_superset() {
    let mut step = 1;
    loop {
        let c = MemoryClient::new();
        push_image(&c, REPO, M1, &["a", "moved"]);
        push_image(&c, REPO, &m2(), &["c"]);

        c.store.fail_nth_operation(Some(step));
        let moved = put_manifest(&c, REPO, "moved", &m2(), OCI_MANIFEST);
        c.store.fail_nth_operation(None);
        assert_no_dangling_tags(&c, step);

        let moved_to = c.head(&format!("/v2/{REPO}/manifests/moved"));
        let points_at_d2 = moved_to.header("docker-content-digest") == Some(D2);
        assert_eq!(c.delete(&format!("/v2/{REPO}/manifests/{D1}")).status, 202);

        let expected: Vec<&str> = if points_at_d2 { vec!["c", "moved"] } else { vec!["c"] };
        assert_eq!(tag_list(&c, REPO, "").0, expected, "after a tag write failed at {step}");
        assert_no_dangling_tags(&c, step);
        if moved.status == 201 {
            assert!(points_at_d2);
            break;
        }
        step += 1;
    }
}
