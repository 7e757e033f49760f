//! Access control on the built worker: the cases of tests/support/access.rs over HTTP, and real
//! clients (skopeo, podman, oras) logging in as accounts of their own and pushing and pulling.
//! Needs the built worker (`make build`).
//!
//! The clients here log in with `login` and an auth file of their own rather than taking the
//! default administrator of tests/support/clients.rs: logging in, as someone in particular, is
//! what these tests are about.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::json;
use support::access::{self, PUBLIC, create_account};
use support::client::Client;
use support::clients::{self, expect_success};
use support::images::{self, Entry, Image, scratch_dir, unique};
use support::worker::{Options, Worker};

macro_rules! worker_cases {
    ($($case:ident => $ns:literal),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                access::$case(Worker::shared(), &unique($ns));
            }
        )*
    };
}

worker_cases!(
    the_token_flow_grants_what_the_challenge_names => "flow",
    a_pull_only_account_is_refused_a_push => "ro",
    an_account_granted_team_cannot_read_other => "team",
    anonymous_pull_is_off_unless_enabled => "anonoff",
    expired_tampered_and_wrongly_scoped_tokens_are_refused => "tok",
    a_mount_from_an_unreadable_repository_answers_202 => "mount",
    an_upload_session_needs_push => "sess",
    accounts_are_managed_by_administrators => "acct",
);

#[test]
fn the_base_endpoint_challenges_anonymous_callers() {
    access::the_base_endpoint_challenges_anonymous_callers(Worker::shared());
}

/// A worker of its own, with anonymous pull under [`PUBLIC`].
fn public_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let vars = vec![("ANONYMOUS_PULL".to_owned(), PUBLIC.to_owned())];
        Worker::start_with(Options { vars, ..Options::default() })
    })
}

#[test]
fn anonymous_pull_works_only_where_enabled() {
    access::anonymous_pull_works_only_where_enabled(public_worker(), &unique("anon"));
}

fn host(worker: &Worker) -> &str {
    worker.url().trim_start_matches("http://")
}

/// A small image with content no other run has, as an OCI layout in a fresh directory.
fn layout(label: &str) -> (std::path::PathBuf, Image) {
    let note = images::random_bytes(64);
    let tar = images::tar(&[Entry::File { path: "note", mode: 0o644, bytes: &note }]);
    let image = images::oci_image(&[tar], label);
    let dir = scratch_dir(label);
    images::write_oci_layout(&dir.join("layout"), "v1", &image);
    (dir, image)
}

/// Runs `program args`, with `stdin` written to it; the line goes to stderr.
fn run(program: &str, args: &[&str], stdin: &str) -> Output {
    eprintln!("$ {program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    child.wait_with_output().unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An account allowed to pull and push under `<ns>/`; returns `(ns, user, password)`.
fn account(worker: &Worker, label: &str) -> (String, String, String) {
    let ns = unique(label);
    let user = format!("{ns}-user");
    let grants = json!([{ "repository": format!("{ns}/*"), "actions": ["pull", "push"] }]);
    let password = create_account(worker, &user, grants);
    (ns, user, password)
}

#[test]
fn skopeo_logs_in_pushes_and_pulls_with_credentials() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let (ns, user, password) = account(worker, "skopeo");
    let (dir, image) = layout("skopeo-login");
    let authfile = dir.join("auth.json");
    let authfile = authfile.to_str().unwrap();
    let source = format!("oci:{}:v1", dir.join("layout").display());
    let target = format!("docker://{}/{ns}/app:v1", host(worker));
    let copy = |from: &str, to: &str| {
        let args = ["--insecure-policy", "copy", "--authfile", authfile];
        let tls = ["--src-tls-verify=false", "--dest-tls-verify=false"];
        run("skopeo", &[&args[..], &tls, &[from, to]].concat(), "")
    };

    let anonymous = copy(&source, &target);
    assert!(!anonymous.status.success(), "an anonymous push succeeded");
    assert!(stderr(&anonymous).contains("authentication required"), "{}", stderr(&anonymous));

    let login = ["login", "--tls-verify=false", "--authfile", authfile, "-u", &user];
    let login =
        run("skopeo", &[&login[..], &["--password-stdin", host(worker)]].concat(), &password);
    expect_success(&login, "skopeo login");

    expect_success(&copy(&source, &target), "skopeo push after login");
    let pulled = dir.join("pulled");
    expect_success(&copy(&target, &format!("oci:{}:v1", pulled.display())), "skopeo pull");
    assert_eq!(images::read_oci_layout(&pulled, "v1").manifest_digest(), image.manifest_digest());

    let elsewhere = format!("docker://{}/other-{ns}/app:v1", host(worker));
    let refused = copy(&source, &elsewhere);
    assert!(!refused.status.success(), "a push outside the grant succeeded");
}

/// podman with a private vfs store under `dir` (its run state under `runroot`), and `args`.
fn podman(dir: &Path, runroot: &Path, args: &[&str], stdin: &str) -> Output {
    let root = format!("--root={}", dir.join("storage").display());
    let runroot = format!("--runroot={}", runroot.display());
    let tmpdir = format!("--tmpdir={}", dir.join("tmp").display());
    let global = ["--storage-driver=vfs", &root, &runroot, &tmpdir];
    let global = [&global[..], &["--cgroup-manager=cgroupfs", "--events-backend=file"]].concat();
    run("podman", &[&global[..], args].concat(), stdin)
}

#[test]
fn podman_logs_in_pushes_and_pulls_with_credentials() {
    if clients::skip_without(&["podman", "skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let (ns, user, password) = account(worker, "podman");
    let (dir, image) = layout("podman-login");
    let runroot = images::runroot_dir();
    let source = format!("oci:{}:v1", dir.join("layout").display());
    let seeded = format!("{}/{ns}/seed:v1", host(worker));
    clients::skopeo_ok(&["copy", &source, &format!("docker://{seeded}")]);

    let authfile = dir.join("auth.json");
    let authfile = authfile.to_str().unwrap();
    let tls = "--tls-verify=false";
    let login = ["login", tls, "--authfile", authfile, "-u", &user, "--password-stdin"];
    expect_success(
        &podman(&dir, &runroot, &[&login[..], &[host(worker)]].concat(), &password),
        "login",
    );

    expect_success(
        &podman(&dir, &runroot, &["pull", tls, "--authfile", authfile, &seeded], ""),
        "pull",
    );
    let pushed = format!("{}/{ns}/pushed:v2", host(worker));
    expect_success(&podman(&dir, &runroot, &["tag", &seeded, &pushed], ""), "podman tag");
    expect_success(
        &podman(&dir, &runroot, &["push", tls, "--authfile", authfile, &pushed], ""),
        "push",
    );

    let manifest = worker.get(&format!("/v2/{ns}/pushed/manifests/v2"));
    assert_eq!(manifest.status, 200, "{}", manifest.text());
    let config = manifest.json()["config"]["digest"].as_str().unwrap_or_default().to_owned();
    let blob = worker.get(&format!("/v2/{ns}/pushed/blobs/{config}"));
    assert_eq!(blob.status, 200);
    let labels: serde_json::Value = serde_json::from_slice(&blob.body).unwrap();
    assert_eq!(
        labels["config"]["Labels"],
        serde_json::from_slice::<serde_json::Value>(&image.config).unwrap()["config"]["Labels"]
    );

    let logout = podman(&dir, &runroot, &["logout", "--authfile", authfile, host(worker)], "");
    expect_success(&logout, "podman logout");
    let anonymous = podman(&dir, &runroot, &["push", tls, "--authfile", authfile, &pushed], "");
    assert!(!anonymous.status.success(), "a push after logout succeeded");
    let _ = std::fs::remove_dir_all(&runroot);
}

/// The oras SDK: log in as `user` (an auth file in `dir`), push a file to `target`, pull it back
/// into `dir/out`. Prints `{"pushed": status, "files": [...]}` or `{"error": ...}`.
const ORAS_LOGIN: &str = r#"
import json, sys
import oras.client

host, user, password, target, path, outdir, config = sys.argv[1:8]
client = oras.client.OrasClient(hostname=host, insecure=True)
client.login(username=user, password=password, hostname=host, config_path=config)
try:
    pushed = client.push(target=target, files=[path], disable_path_validation=True, quiet=True)
    files = client.pull(target=target, outdir=outdir)
    print(json.dumps({"pushed": pushed.status_code, "files": files}))
except Exception as error:
    print(json.dumps({"error": str(error)}))
"#;

fn oras_login_push_pull(
    worker: &Worker,
    user: &str,
    password: &str,
    repo: &str,
) -> serde_json::Value {
    let dir = scratch_dir("oras-login");
    let file = dir.join("artifact.txt");
    std::fs::write(&file, images::random_bytes(32)).unwrap();
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let python = if python.is_file() { python } else { "python3".into() };
    let target = format!("{}/{repo}:v1", host(worker));
    let out = dir.join("out");
    let config = dir.join("config.json");
    let args = [
        "-c",
        ORAS_LOGIN,
        host(worker),
        user,
        password,
        &target,
        file.to_str().unwrap(),
        out.to_str().unwrap(),
        config.to_str().unwrap(),
    ];
    let output = run(python.to_str().unwrap(), &args, "");
    let stdout = expect_success(&output, "oras");
    let answer: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_default();
    if answer.get("files").is_some() {
        let pulled = std::fs::read(out.join("artifact.txt")).expect("the pulled file");
        assert_eq!(pulled, std::fs::read(&file).unwrap());
    }
    answer
}

#[test]
fn oras_logs_in_pushes_and_pulls_with_credentials() {
    if clients::skip_without(&["oras"]) {
        return;
    }
    let worker = Worker::shared();
    let (ns, user, password) = account(worker, "oras");

    let answer = oras_login_push_pull(worker, &user, &password, &format!("{ns}/artifact"));
    assert!(answer["pushed"].as_u64().is_some_and(|s| (200..300).contains(&s)), "{answer}");
}

#[test]
fn a_real_client_with_a_pull_only_account_is_refused_a_push() {
    if clients::skip_without(&["skopeo"]) {
        return;
    }
    let worker = Worker::shared();
    let ns = unique("ro-skopeo");
    let user = format!("{ns}-reader");
    let grants = json!([{ "repository": format!("{ns}/*"), "actions": ["pull"] }]);
    let password = create_account(worker, &user, grants);
    let (dir, _) = layout("ro-skopeo");
    let source = format!("oci:{}:v1", dir.join("layout").display());
    let target = format!("docker://{}/{ns}/app:v1", host(worker));

    let creds = format!("--dest-creds={user}:{password}");
    let args = ["--insecure-policy", "copy", "--dest-tls-verify=false", &creds, &source, &target];
    let refused = run("skopeo", &args, "");
    assert!(!refused.status.success(), "a pull-only account pushed");
    let message = stderr(&refused);
    assert!(message.contains("denied") || message.contains("unauthorized"), "{message}");
}
