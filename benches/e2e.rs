//! `make bench`: measurements against the built Worker under workerd (Miniflare), printed and
//! never asserted. Needs `make build` first (`make bench` does it).
//!
//! - `memory`: a 512 MiB blob pushed through the worker twice, in PATCHes of 64 MiB with
//!   Content-Range and in one streamed PATCH (chunked transfer encoding), and pulled back each
//!   time, while workerd's resident memory is sampled from /proc (VmRSS every 10 ms, and VmHWM,
//!   the kernel's own high-water mark), and the worker's wasm linear memory is read after each
//!   phase through a test-only route (it never shrinks, so it is the most the Rust code held).
//!   Prints `memory blob=512MiB workerd_peak_rss_mib=N wasm_memory_mib=M`. workerd's figure also
//!   counts its R2 emulation, which keeps objects in memory in these runs.
//! - `delete`: with every R2 call delayed by 10 ms (the launcher's LATENCY_MS wrapper), a
//!   repository of 2,000 tags of which 3 point at the manifest deleted; the wall time of the
//!   DELETE over HTTP through the tag index (the repository pushed over HTTP) and through the
//!   full scan (the repository written straight into R2 as a bucket copied from distribution
//!   holds it: revisions without `indexed`, tag links that hold the digest in their body only).
//!   Prints `delete-e2e path=index|scan tags=2000 matching=3 ms=M`, and the storage operations
//!   each delete logged.
//!
//! `cargo bench --bench e2e -- memory` (or `delete`) runs one of them.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use edge_registry::oci::{Digest, RepoName, Tag};
use edge_registry::storage::paths;
use serde_json::{Value, json};
use support::cases::{self, D1, D2, M1, OCI_MANIFEST};
use support::client::{Client, ReqBody};
use support::images::scratch_dir;
use support::worker::{Options, Worker};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const MIB: usize = 1024 * 1024;

fn main() {
    // cargo passes `--bench`; any other argument selects the measurements to run.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    if !Path::new(ROOT).join("build/worker/shim.mjs").is_file() {
        eprintln!("benches/e2e.rs: the worker is not built; run `make build` (make bench does)");
        return;
    }
    if wanted("memory") {
        memory();
    }
    if wanted("delete") {
        delete();
    }
}

// ----- memory ------------------------------------------------------------------------------

/// A /proc status field in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// The processes whose parent is `parent`, with their command lines.
fn children(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces: the fields after its closing parenthesis.
            let after = &stat[stat.rfind(')')? + 2..];
            let ppid: u32 = after.split(' ').nth(1)?.parse().ok()?;
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (ppid == parent).then_some((pid, cmdline))
        })
        .collect()
}

/// The workerd that the launcher this process started runs (launcher → workerd).
fn find_workerd() -> u32 {
    let launchers: Vec<u32> = children(std::process::id())
        .into_iter()
        .filter(|(_, cmd)| cmd.contains("launcher.mjs"))
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(launchers.len(), 1, "one launcher started by this process");
    let workerd: Vec<u32> = children(launchers[0])
        .into_iter()
        .filter(|(_, cmd)| cmd.contains("workerd"))
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(workerd.len(), 1, "one workerd under the launcher");
    workerd[0]
}

/// Samples a process's VmRSS until stopped; remembers the highest value.
struct Sampler {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak, stopped) = (peak_kib.clone(), stop.clone());
        let thread = thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                if let Some(rss) = status_kib(pid, "VmRSS:") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                thread::sleep(Duration::from_millis(10));
            }
        });
        Self { peak_kib, stop, thread: Some(thread) }
    }

    /// The highest VmRSS seen since the last call, in MiB; starts over.
    fn take_peak_mib(&self) -> u64 {
        self.peak_kib.swap(0, Ordering::Relaxed) / 1024
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn with_query(location: &str, query: &str) -> String {
    let separator = if location.contains('?') { '&' } else { '?' };
    format!("{location}{separator}{query}")
}

fn location(resp: &support::client::Resp, what: &str) -> String {
    assert!(resp.status == 202, "{what}: {} {}", resp.status, resp.text());
    resp.header("location").expect("a Location").to_owned()
}

/// Pushes `data` in PATCHes of `chunk` bytes with Content-Range, then an empty closing PUT.
fn push_in_chunks(worker: &Worker, repo: &str, data: &[u8], chunk: usize) -> String {
    let post = worker.send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], ReqBody::Empty);
    let mut at = location(&post, "POST");
    for (i, part) in data.chunks(chunk).enumerate() {
        let start = i * chunk;
        let range = format!("{start}-{}", start + part.len() - 1);
        let headers = [("content-range", range.as_str())];
        let resp = worker.send("PATCH", &at, &headers, ReqBody::Bytes(part.to_vec()));
        at = location(&resp, "PATCH");
    }
    close(worker, &at, data)
}

/// Pushes `data` in one PATCH without Content-Range or Content-Length (chunked encoding).
fn push_streamed(worker: &Worker, repo: &str, data: &[u8]) -> String {
    let post = worker.send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], ReqBody::Empty);
    let at = location(&post, "POST");
    let chunks = data.chunks(MIB).map(<[u8]>::to_vec).collect();
    let resp = worker.send("PATCH", &at, &[], ReqBody::Streamed(chunks));
    let at = location(&resp, "streamed PATCH");
    close(worker, &at, data)
}

fn close(worker: &Worker, at: &str, data: &[u8]) -> String {
    let digest = cases::sha256(data);
    let resp =
        worker.send("PUT", &with_query(at, &format!("digest={digest}")), &[], ReqBody::Empty);
    assert!(resp.status == 201, "closing PUT: {} {}", resp.status, resp.text());
    digest
}

fn pull_and_check(worker: &Worker, repo: &str, digest: &str, data: &[u8]) {
    let resp = worker.get(&format!("/v2/{repo}/blobs/{digest}"));
    assert!(resp.status == 200, "GET blob: {}", resp.status);
    assert!(resp.body == data, "the blob read back differs");
}

fn memory() {
    let size = 512 * MIB;
    let worker = Worker::start();
    let workerd = find_workerd();
    let mib = |field| status_kib(workerd, field).unwrap_or_default() / 1024;
    let idle = mib("VmRSS:");
    let sampler = Sampler::start(workerd);

    let mut phases = Vec::new();
    let mut phase = |name: &str, started: Instant, sampler: &Sampler| {
        let peak = sampler.take_peak_mib();
        let secs = started.elapsed().as_secs_f64();
        let wasm = wasm_memory_mib(&worker);
        println!(
            "memory phase={name} blob=512MiB workerd_peak_rss_mib={peak} wasm_memory_mib={wasm} \
             seconds={secs:.1}"
        );
        phases.push(peak);
    };

    let chunked = cases::pattern(size, 64);
    let started = Instant::now();
    let digest = push_in_chunks(&worker, "memory/chunked", &chunked, 64 * MIB);
    phase("push-patch-64MiB-chunks", started, &sampler);
    let started = Instant::now();
    pull_and_check(&worker, "memory/chunked", &digest, &chunked);
    phase("pull", started, &sampler);
    drop(chunked);

    let streamed = cases::pattern(size, 200);
    let started = Instant::now();
    let digest = push_streamed(&worker, "memory/streamed", &streamed);
    phase("push-one-streamed-patch", started, &sampler);
    let started = Instant::now();
    pull_and_check(&worker, "memory/streamed", &digest, &streamed);
    phase("pull", started, &sampler);

    drop(sampler);
    let peak = phases.into_iter().max().unwrap_or_default();
    let hwm = mib("VmHWM:");
    println!("memory workerd idle_rss_mib={idle} vmhwm_mib={hwm}");
    println!(
        "memory blob=512MiB workerd_peak_rss_mib={} wasm_memory_mib={}",
        peak.max(hwm),
        wasm_memory_mib(&worker)
    );
}

/// The worker's wasm linear memory in MiB: what its Rust code holds at most, since linear memory
/// never shrinks. workerd's resident memory also counts its R2 emulation and JS streams.
fn wasm_memory_mib(worker: &Worker) -> String {
    let answer = worker.get("/api/test/wasm-memory");
    let bytes = answer.json()["wasm_memory_bytes"].as_u64();
    bytes.map_or("?".to_owned(), |b| format!("{:.1}", b as f64 / MIB as f64))
}

// ----- delete ------------------------------------------------------------------------------

const TAGS: usize = 2_000;
const MATCHING: usize = 3;
const LATENCY_MS: u64 = 10;

fn tag_name(i: usize) -> String {
    format!("t{i:04}")
}

/// Whether tag `i` points at the deleted manifest D1 (the others point at D2).
fn matches(i: usize) -> bool {
    i % (TAGS / MATCHING) == 7 && i / (TAGS / MATCHING) < MATCHING
}

/// R2 objects for a repository as a bucket copied from distribution holds it: the revisions of
/// M1 and M2 without `indexed`, and tag links whose body is the digest (with the digest in
/// custom metadata too when `link_metadata`, as links look after one scan rewrote them).
fn copied_repository(repo: &str, link_metadata: bool) -> Vec<Value> {
    let name = RepoName::parse(repo).expect("a valid name");
    let mut objects = vec![json!({ "key": paths::catalog_entry(&name), "body": "" })];
    for (digest, bytes) in [(D1, M1.to_vec()), (D2, cases::m2())] {
        let key = paths::revision(&name, &Digest::parse(digest).expect("a digest"));
        let body = String::from_utf8(bytes).expect("a JSON manifest");
        objects.push(json!({ "key": key, "body": body, "contentType": OCI_MANIFEST }));
    }
    for i in 0..TAGS {
        let digest = if matches(i) { D1 } else { D2 };
        let key = paths::tag(&name, &Tag::parse(&tag_name(i)).expect("a valid tag"));
        let custom = if link_metadata { json!({ "digest": digest }) } else { json!({}) };
        objects.push(json!({ "key": key, "body": digest, "customMetadata": custom }));
    }
    objects
}

/// Pushes M1 and M2's blobs, then the tags over HTTP (through the API, so indexed), 16 at once.
fn push_tags(worker: &Worker, repo: &str) {
    cases::push_image(worker, repo, M1, &[]);
    let next = AtomicU64::new(0);
    let m2 = cases::m2();
    thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= TAGS {
                        break;
                    }
                    let body: &[u8] = if matches(i) { M1 } else { &m2 };
                    let resp = cases::put_manifest(worker, repo, &tag_name(i), body, OCI_MANIFEST);
                    assert!(resp.status == 201, "PUT tag {i}: {} {}", resp.status, resp.text());
                }
            });
        }
    });
}

/// Every tag of `repo`, following the Link header page by page.
fn all_tags(worker: &Worker, repo: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut next = format!("/v2/{repo}/tags/list?n=1000");
    loop {
        let resp = worker.get(&next);
        assert!(resp.status == 200, "tags/list: {} {}", resp.status, resp.text());
        let page = resp.json()["tags"].as_array().cloned().unwrap_or_default();
        tags.extend(page.iter().map(|t| t.as_str().unwrap_or_default().to_owned()));
        match resp.header("link") {
            Some(link) => next = link[1..link.find('>').unwrap_or(1)].to_owned(),
            None => return tags,
        }
    }
}

/// Times `DELETE manifests/D1` and checks what it left: the 1,997 other tags and no D1.
fn timed_delete(worker: &Worker, repo: &str) -> f64 {
    let before = all_tags(worker, repo);
    assert_eq!(before.len(), TAGS, "{repo} holds every tag before");
    let started = Instant::now();
    let resp = worker.delete(&format!("/v2/{repo}/manifests/{D1}"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(resp.status == 202, "DELETE: {} {}", resp.status, resp.text());
    let after = all_tags(worker, repo);
    let expected: Vec<String> = (0..TAGS).filter(|&i| !matches(i)).map(tag_name).collect();
    assert_eq!(after, expected, "{repo}: exactly the matching tags are gone");
    assert_eq!(worker.head(&format!("/v2/{repo}/manifests/{D1}")).status, 404);
    ms
}

/// The storage operations the worker logged for the DELETE of D1 in `repo`.
fn logged_ops(repo: &str) -> Option<u64> {
    let log = Path::new(ROOT).join("test-output/worker.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let text = fs::read_to_string(&log).unwrap_or_default();
        let found = text
            .lines()
            .filter(|l| l.contains("\"DELETE\"") && l.contains(repo))
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["repository"] == repo && l["reference"] == D1);
        if let Some(line) = found {
            return line["storage_ops"].as_u64();
        }
        thread::sleep(Duration::from_millis(100));
    }
    None
}

fn delete() {
    let run = format!("bench{}", std::process::id());
    let scan_repo = format!("{run}/scan");
    let scan_listed_repo = format!("{run}/scan-listed");
    let index_repo = format!("{run}/index");

    let dir = scratch_dir("delete-seed");
    let seed = dir.join("seed.ndjson");
    let mut file = fs::File::create(&seed).expect("a seed file");
    let objects = copied_repository(&scan_repo, false)
        .into_iter()
        .chain(copied_repository(&scan_listed_repo, true));
    for object in objects {
        writeln!(file, "{object}").expect("a seed line");
    }
    drop(file);

    let vars = vec![("SEED".to_owned(), seed.to_string_lossy().into_owned())];
    let worker = Worker::start_with(Options { latency_ms: LATENCY_MS, vars });
    let started = Instant::now();
    push_tags(&worker, &index_repo);
    eprintln!(
        "delete-e2e: pushed {TAGS} tags over HTTP at {LATENCY_MS} ms per R2 call in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let cases = [
        ("index", &index_repo, "tags pushed through the API (tag index)"),
        ("scan", &scan_repo, "copied bucket: no index, links hold the digest in their body"),
        ("scan-listed", &scan_listed_repo, "copied bucket, links carry the digest metadata"),
    ];
    for (path, repo, what) in cases {
        let ms = timed_delete(&worker, repo);
        println!("delete-e2e path={path} tags={TAGS} matching={MATCHING} ms={ms:.0}");
        let ops = logged_ops(repo).map_or("?".to_owned(), |n| n.to_string());
        println!("# delete-e2e path={path}: storage_ops={ops} latency_ms={LATENCY_MS}; {what}");
    }
    let _ = fs::remove_dir_all(dir);
}
