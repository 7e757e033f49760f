//! The Worker glue under workerd: what `lib.rs`, the bindings and the test launcher add to the
//! registry that host tests cannot see. Needs the built worker (`make build`).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::cases::{self, CFG, M1, OCI_MANIFEST};
use support::client::{Client, ReqBody};
use support::worker::{Options, Worker};

#[test]
fn base_endpoint_is_the_worker_and_the_root_is_the_dashboard() {
    let worker = Worker::shared();

    let base = worker.get("/v2/");
    assert_eq!(base.status, 200);
    assert_eq!(base.header("docker-distribution-api-version"), Some("registry/2.0"));

    let dashboard = worker.get("/");
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.header("content-type").unwrap_or_default().starts_with("text/html"));
}

#[test]
fn head_on_a_manifest_keeps_the_content_length_of_get() {
    let worker = Worker::shared();
    cases::push_image(worker, "glue/head", M1, &["a"]);

    let path = "/v2/glue/head/manifests/a";
    let head = worker.send("HEAD", path, &[("accept", OCI_MANIFEST)], ReqBody::Empty);

    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("392"));
    assert!(head.body.is_empty());
}

#[test]
fn blob_bodies_stream_both_ways() {
    let worker = Worker::shared();
    let bytes = cases::pattern(3 << 20, 7);
    let chunks = bytes.chunks(100_000).map(<[u8]>::to_vec).collect();

    let start = worker.send("POST", "/v2/glue/stream/blobs/uploads/", &[], ReqBody::Empty);
    let location = start.header("location").expect("an upload location").to_owned();
    let patched = worker.send("PATCH", &location, &[], ReqBody::Streamed(chunks));
    assert_eq!(patched.status, 202, "{}", patched.text());

    let location = patched.header("location").expect("an upload location").to_owned();
    let digest = cases::sha256(&bytes);
    let separator = if location.contains('?') { '&' } else { '?' };
    let close = format!("{location}{separator}digest={digest}");
    let done = worker.send("PUT", &close, &[], ReqBody::Empty);
    assert_eq!(done.status, 201, "{}", done.text());

    let read = worker.get(&format!("/v2/glue/stream/blobs/{digest}"));
    assert_eq!(read.status, 200);
    assert_eq!(read.body, bytes);
}

#[test]
fn queries_reach_the_api_as_sent() {
    let worker = Worker::shared();
    cases::push_image(worker, "glue/query", M1, &["a", "b", "c"]);

    let (tags, link) = cases::tag_list(worker, "glue/query", "?n=2&last=a");

    assert_eq!(tags, ["b", "c"]);
    assert_eq!(link, None);
}

#[test]
fn methods_the_worker_crate_does_not_know_are_not_taken_for_get() {
    let worker = Worker::shared();

    let answer = worker.send("PROPFIND", "/v2/", &[], ReqBody::Empty);

    assert_ne!(answer.status, 200);
}

#[test]
fn paths_are_percent_decoded() {
    let worker = Worker::shared();
    let digest = cases::push_blob(worker, "glue/decode", CFG);

    let read = worker.get(&format!("/v2/glue%2Fdecode/blobs/{}", digest.replace(':', "%3A")));

    assert_eq!(read.status, 200);
    assert_eq!(read.body, CFG);
}

#[test]
fn a_tls_handshake_is_refused_at_once() {
    let worker = Worker::shared();
    let address = worker.url().trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the worker's port accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("a read timeout");

    let started = Instant::now();
    stream.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]).ok();
    let read = stream.read(&mut [0; 16]);

    assert!(matches!(read, Ok(0) | Err(_)), "the connection is closed, not answered");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn latency_option_delays_every_storage_call() {
    let worker = Worker::start_with(Options { latency_ms: 150, ..Options::default() });

    let started = Instant::now();
    let missing = worker.head(&format!("/v2/glue/slow/blobs/{}", cases::sha256(b"absent")));

    assert_eq!(missing.status, 404);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn r2_passes_the_storage_suite_the_memory_store_passes() {
    let worker = Worker::shared();

    let answer = worker.get("/api/test/storage-suite");

    assert_eq!(answer.status, 200, "{}", answer.text());
    let cases = answer.json();
    let cases = cases.as_array().expect("a list of cases");
    let failures: Vec<_> = cases.iter().filter(|case| !case["error"].is_null()).collect();
    assert!(!cases.is_empty());
    assert!(failures.is_empty(), "{failures:#?}");
}
