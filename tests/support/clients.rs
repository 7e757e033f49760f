//! Every invocation of a real registry client (skopeo, podman, buildah, oras) goes through this
//! module, so what each needs to reach the test registry is said once: plain HTTP (the TLS
//! switches), and the account it logs in with once the registry has access control (see
//! [`credentials`], the one place to change then).
//!
//! Each function takes the client's own arguments, subcommand first, and adds the switches that
//! subcommand needs. podman and buildah run with the `vfs` storage driver (the only one this
//! sandbox allows) in a storage directory of their own, so tests never share images.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::images::{runroot_dir, scratch_dir};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The account every client uses, as `(user, password)`: the administrator the test worker is
/// started with (see [`super::auth`]).
pub fn credentials() -> Option<(String, String)> {
    Some(super::auth::admin())
}

fn creds_arg() -> Option<String> {
    credentials().map(|(user, password)| format!("{user}:{password}"))
}

/// The clients a test needs that are missing here, as a message; `None` when all are present.
/// CI (`.ci/run`) installs all of them.
pub fn missing(tools: &[&str]) -> Option<String> {
    let absent: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| match *tool {
            "oras" => !oras_available(),
            binary => !on_path(binary),
        })
        .collect();
    (!absent.is_empty())
        .then(|| format!("skipped: {} not installed here (.ci/run installs it)", absent.join(", ")))
}

/// Prints why and returns true when a test must be skipped for want of `tools`. Under
/// `REQUIRE_CLIENTS=1` (set by `.ci/run`, which installs them all) a missing client fails the
/// test instead, so CI can never pass by skipping.
pub fn skip_without(tools: &[&str]) -> bool {
    match missing(tools) {
        Some(message) if std::env::var_os("REQUIRE_CLIENTS").is_some_and(|v| v == "1") => {
            panic!("{message}, and REQUIRE_CLIENTS=1 forbids skipping")
        }
        Some(message) => {
            eprintln!("{message}");
            true
        }
        None => false,
    }
}

fn on_path(binary: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(binary).is_file())
}

/// Runs a command and returns what it did; the command line goes to stderr (shown on failure).
fn run(mut command: Command) -> Output {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        // The oras script is shown by name, not in full.
        let shown = if arg.contains('\n') { "<script>".into() } else { arg };
        let _ = write!(line, " {shown}");
    }
    if let Some((_, password)) = credentials() {
        line = line.replace(&password, "***");
    }
    eprintln!("$ {line}");
    command.output().unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Panics with the client's output unless it succeeded; returns its stdout as text.
pub fn expect_success(output: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `skopeo <args>`, with plain HTTP (and credentials) for the subcommand in `args[0]`.
pub fn skopeo(args: &[&str]) -> Output {
    let (subcommand, rest) = args.split_first().expect("a skopeo subcommand");
    let mut command = Command::new("skopeo");
    // No signature policy to consult: the tests push and pull their own images.
    command.arg("--insecure-policy").arg(subcommand);
    match *subcommand {
        "copy" | "sync" => {
            command.args(["--src-tls-verify=false", "--dest-tls-verify=false"]);
            if let Some(creds) = creds_arg() {
                command.arg(format!("--src-creds={creds}")).arg(format!("--dest-creds={creds}"));
            }
        }
        "inspect" | "delete" | "list-tags" => {
            command.arg("--tls-verify=false");
            if let Some(creds) = creds_arg() {
                command.arg(format!("--creds={creds}"));
            }
        }
        // login takes its account as -u and --password-stdin, never as --creds.
        "login" | "logout" => {
            command.arg("--tls-verify=false");
        }
        _ => {}
    }
    run_with(command, rest)
}

/// `skopeo <args>` that must succeed; returns its stdout.
pub fn skopeo_ok(args: &[&str]) -> String {
    expect_success(&skopeo(args), &format!("skopeo {}", args.join(" ")))
}

fn run_with<S: AsRef<OsStr>>(mut command: Command, args: &[S]) -> Output {
    command.args(args);
    run(command)
}

/// A private image store for podman or buildah (vfs driver), removed when dropped.
pub struct Storage {
    dir: PathBuf,
    runroot: PathBuf,
}

impl Storage {
    pub fn new(label: &str) -> Self {
        Self { dir: scratch_dir(label), runroot: runroot_dir() }
    }

    fn global_args(&self) -> Vec<String> {
        vec![
            "--storage-driver=vfs".into(),
            format!("--root={}", self.dir.join("storage").display()),
            format!("--runroot={}", self.runroot.display()),
        ]
    }

    /// `podman <args>` over this store, with plain HTTP (and credentials) for the subcommands
    /// that reach a registry.
    pub fn podman(&self, args: &[&str]) -> Output {
        let (subcommand, rest) = args.split_first().expect("a podman subcommand");
        let mut command = Command::new("podman");
        command
            .args(self.global_args())
            .arg(format!("--tmpdir={}", self.dir.join("tmp").display()))
            // No systemd or journald in this sandbox.
            .args(["--cgroup-manager=cgroupfs", "--events-backend=file"])
            .arg(subcommand);
        if matches!(*subcommand, "push" | "pull" | "login" | "search") {
            command.arg("--tls-verify=false");
        }
        if let Some(creds) =
            creds_arg().filter(|_| matches!(*subcommand, "push" | "pull" | "search"))
        {
            command.arg(format!("--creds={creds}"));
        }
        run_with(command, rest)
    }

    pub fn podman_ok(&self, args: &[&str]) -> String {
        expect_success(&self.podman(args), &format!("podman {}", args.join(" ")))
    }

    /// `buildah <args>` over this store, with plain HTTP (and credentials) for the subcommands
    /// that reach a registry.
    pub fn buildah(&self, args: &[&str]) -> Output {
        let (subcommand, rest) = args.split_first().expect("a buildah subcommand");
        let mut command = Command::new("buildah");
        command.args(self.global_args()).arg(subcommand);
        if matches!(*subcommand, "push" | "pull" | "from" | "login") {
            command.arg("--tls-verify=false");
        }
        if let Some(creds) = creds_arg().filter(|_| matches!(*subcommand, "push" | "pull" | "from"))
        {
            command.arg(format!("--creds={creds}"));
        }
        run_with(command, rest)
    }

    pub fn buildah_ok(&self, args: &[&str]) -> String {
        expect_success(&self.buildah(args), &format!("buildah {}", args.join(" ")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        // vfs layers are plain directories; some are read-only, which remove_dir_all handles.
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(&self.runroot);
    }
}

/// The Python that has the oras SDK: the venv `.ci/run` makes, else whatever is on the PATH.
fn python() -> PathBuf {
    let venv = Path::new(ROOT).join(".venv/bin/python");
    if venv.is_file() { venv } else { PathBuf::from("python3") }
}

fn oras_available() -> bool {
    Command::new(python())
        .args(["-c", "import oras.client"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The oras SDK driven by one JSON request: `push` (files, optional chunked upload, config
/// media type, annotations, subject) or `pull` (into a directory). Prints one JSON answer.
const ORAS_SCRIPT: &str = r#"
import json, sys
import oras.client, oras.oci

req = json.loads(sys.argv[1])
client = oras.client.OrasClient(hostname=req["host"], insecure=True)
if req.get("username"):
    client.auth.set_basic_auth(req["username"], req["password"])

if req["command"] == "push":
    subject = oras.oci.Subject(**req["subject"]) if req.get("subject") else None
    response = client.push(
        target=req["target"],
        files=req["files"],
        manifest_config=req.get("config"),
        manifest_annotations=req.get("annotations"),
        subject=subject,
        do_chunked=req.get("chunk_size") is not None,
        chunk_size=req.get("chunk_size") or 16 * 1024 * 1024,
        disable_path_validation=True,
        quiet=True,
    )
    print(json.dumps({
        "status": response.status_code,
        "digest": response.headers.get("Docker-Content-Digest"),
    }))
elif req["command"] == "pull":
    files = client.pull(target=req["target"], outdir=req["outdir"])
    print(json.dumps({"files": files}))
else:
    sys.exit("unknown command " + req["command"])
"#;

/// Runs [`ORAS_SCRIPT`] against the registry at `host` (`127.0.0.1:PORT`); returns its answer.
fn oras(host: &str, mut request: Value, cwd: &Path) -> Value {
    request["host"] = host.into();
    if let Some((user, password)) = credentials() {
        request["username"] = user.into();
        request["password"] = password.into();
    }
    let mut command = Command::new(python());
    command.current_dir(cwd).arg("-c").arg(ORAS_SCRIPT).arg(request.to_string());
    let output = run(command);
    let stdout = expect_success(&output, &format!("oras {}", request["command"]));
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("oras answered {stdout:?}: {e}"))
}

/// What `oras push` sends.
#[derive(Default)]
pub struct OrasPush<'a> {
    /// `repository:tag` (the host is added).
    pub target: &'a str,
    pub files: Vec<PathBuf>,
    /// Upload every blob in PATCHes of this many bytes instead of one PUT.
    pub chunk_size: Option<usize>,
    /// The config's media type (the artifact type referrers report); the config is `{}`.
    pub config_media_type: Option<&'a str>,
    pub annotations: Option<Value>,
    /// The manifest this artifact refers to: `(mediaType, digest, size)`.
    pub subject: Option<(&'a str, &'a str, usize)>,
}

/// Pushes files as an artifact with the oras SDK; returns the manifest's digest as answered.
pub fn oras_push(host: &str, push: &OrasPush) -> String {
    let dir = scratch_dir("oras-push");
    let mut request = json!({
        "command": "push",
        "target": format!("{host}/{}", push.target),
        "files": push.files,
    });
    if let Some(size) = push.chunk_size {
        request["chunk_size"] = size.into();
    }
    if let Some(media_type) = push.config_media_type {
        let config = dir.join("config.json");
        std::fs::write(&config, "{}").expect("a config file");
        request["config"] = format!("{}:{media_type}", config.display()).into();
    }
    if let Some(annotations) = &push.annotations {
        request["annotations"] = annotations.clone();
    }
    if let Some((media_type, digest, size)) = push.subject {
        request["subject"] = json!({ "mediaType": media_type, "digest": digest, "size": size });
    }
    let answer = oras(host, request, &dir);
    let _ = std::fs::remove_dir_all(dir);
    assert!(matches!(answer["status"].as_u64(), Some(200..=299)), "oras push: {answer}");
    answer["digest"].as_str().unwrap_or_default().to_owned()
}

/// Pulls an artifact (`repository:tag` or `repository@digest`) into `outdir`; returns the files.
pub fn oras_pull(host: &str, target: &str, outdir: &Path) -> Vec<PathBuf> {
    let request = json!({
        "command": "pull",
        "target": format!("{host}/{target}"),
        "outdir": outdir,
    });
    let answer = oras(host, request, outdir);
    let files = answer["files"].as_array().cloned().unwrap_or_default();
    files.iter().map(|f| PathBuf::from(f.as_str().unwrap_or_default())).collect()
}
