//! The field cases (shared/cases/README.md) against the built worker under workerd, over R2 as
//! Miniflare emulates it: the same case functions tests/cases_memory.rs runs in-process, each in
//! its own namespace of one shared worker. And the storage behaviour suite, run inside the worker
//! against R2. Needs the built worker (`make build`).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use edge_registry::storage::memory::MemoryStore;
use edge_registry::storage::suite;
use support::cases;
use support::client::{Client, ReqBody};
use support::worker::Worker;

macro_rules! worker_cases {
    ($($case:ident => $ns:literal),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                cases::$case(Worker::shared(), $ns);
            }
        )*
    };
}

worker_cases!(
    upl2_upload_range_is_cumulative => "upl2",
    uploads_path_without_trailing_slash_opens_a_session => "upslash",
    upl4_streamed_patch => "upl4",
    upl5_uneven_chunks => "upl5",
    dig1_sha512 => "dig1",
    dig2_content_must_match_digest => "dig2",
    man1_empty_blobs => "man1",
    man2_manifests_the_schema_does_not_force => "man2",
    man3_a_mount_that_cannot_happen_starts_an_upload => "man3",
    neg1_head_carries_what_get_carries => "neg1",
    rng1_range_reads => "rng1",
    lst1_tag_list_paging => "lst1",
    name1_names_and_tags => "name1",
    del1_delete_by_digest_removes_exactly_the_tags_pointing_at_it => "del1",
    del2_delete_by_tag_removes_only_that_tag => "del2",
    ref1_filtered_referrers_say_so => "ref1",
    ref2_a_subject_may_arrive_after_its_referrer => "ref2",
    referrers_follow_deletes_and_tags => "reffollow",
);

/// UPL-4 is only a streamed PATCH if the harness really sends one: the request
/// [`Worker::send`] makes for [`ReqBody::Streamed`] carries `Transfer-Encoding: chunked` and no
/// `Content-Length`. The request goes to a capture server instead of the worker: the harness
/// builds its URL as `{worker.url()}{path}`, so a path that starts with `@127.0.0.1:PORT` turns
/// the worker's address into user info and makes the capture server the host. That exercises
/// the harness's own code, not a copy of it.
#[test]
fn upl4_the_harness_sends_streamed_bodies_chunked() {
    let worker = Worker::shared();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("a bound address").port();
    let capture = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("the harness connects");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a read timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a request head");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line.trim_end().to_owned());
        }
        let body = read_chunked(&mut reader);
        let mut stream = stream;
        let answer = "HTTP/1.1 202 Accepted\r\nrange: 0-2047\r\ncontent-length: 0\r\n\
                      connection: close\r\n\r\n";
        stream.write_all(answer.as_bytes()).expect("an answer");
        (head, body)
    });

    let a2k = vec![b'a'; 2048];
    let chunks = a2k.chunks(500).map(<[u8]>::to_vec).collect();
    let path = format!("@127.0.0.1:{port}/v2/upl4/app/blobs/uploads/capture");
    let answer = worker.send("PATCH", &path, &[], ReqBody::Streamed(chunks));
    let (head, body) = capture.join().expect("the capture server");

    assert_eq!(answer.status, 202);
    assert!(head[0].starts_with("PATCH /v2/upl4/app/blobs/uploads/capture "), "{head:?}");
    let header = |name: &str| {
        let prefix = format!("{name}:");
        head.iter()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_ascii_lowercase())
    };
    assert_eq!(header("transfer-encoding").as_deref(), Some("chunked"), "{head:?}");
    assert_eq!(header("content-length"), None, "{head:?}");
    assert_eq!(body.expect("a well-formed chunked body"), a2k);
}

/// Reads a chunked body to its end; `None` if it is not chunked framing.
fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if &chunk[size..] != b"\r\n" {
            return None;
        }
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// The storage behaviour suite inside the worker, against R2: every case the host runs against
/// the memory store runs there too, and passes.
#[test]
fn storage_suite_passes_against_r2_in_the_worker() {
    let answer = Worker::shared().get("/api/test/storage-suite");

    assert_eq!(answer.status, 200, "{}", answer.text());
    let outcomes = answer.json();
    let outcomes = outcomes.as_array().expect("a list of cases");
    let ran: Vec<&str> = outcomes.iter().map(|o| o["case"].as_str().unwrap_or_default()).collect();
    let on_host = futures::executor::block_on(suite::run(&MemoryStore::new(), "names"));
    let expected: Vec<&str> = on_host.iter().map(|(name, _)| *name).collect();
    assert_eq!(ran, expected, "the worker runs every case of the suite");
    let failures: Vec<_> = outcomes.iter().filter(|o| !o["error"].is_null()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
