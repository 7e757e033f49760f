//! The built Worker under workerd, for end-to-end tests.
//!
//! [`Worker::start`] runs `tests/e2e/launcher.mjs` (Miniflare over `build/worker`, with the
//! bindings of wrangler.toml and empty in-memory storage) and reads the URL it prints. Dropping
//! the [`Worker`] closes the launcher's stdin, which stops workerd; it is never SIGKILLed, as that
//! would orphan workerd. The worker must be built first (`make build`).
//!
//! Worker logs go to `test-output/worker.log`, or to the test's stderr with `E2E_LOG=stderr`.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use ureq::{Agent, SendBody, http};

use super::auth;
use super::client::{Client, ReqBody, Resp};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Starting takes about a second; a cold machine may need more.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping launcher gets before it is sent SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How to start the Worker.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Milliseconds every R2 call waits first, to make storage round trips visible.
    pub latency_ms: u64,
    /// Extra `[vars]`, e.g. `("DELETE_ENABLED", "false")`.
    pub vars: Vec<(String, String)>,
}

pub struct Worker {
    url: String,
    child: Child,
    agent: Agent,
}

impl Worker {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Self {
        // The test secrets first, so that a test's own vars override them.
        let vars: serde_json::Map<String, serde_json::Value> =
            auth::vars().into_iter().chain(options.vars).map(|(k, v)| (k, v.into())).collect();
        let mut child = Command::new("node")
            .arg(Path::new(ROOT).join("tests/e2e/launcher.mjs"))
            .current_dir(ROOT)
            .env("LATENCY_MS", options.latency_ms.to_string())
            .env("WORKER_VARS", serde_json::Value::Object(vars).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_destination())
            .spawn()
            .expect("end-to-end tests need node on the PATH");

        // The first line is the URL; the rest is drained so the launcher never blocks on a
        // full pipe.
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = sender.send(line);
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let line = receiver.recv_timeout(START_TIMEOUT).unwrap_or_default();

        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_global(Some(REQUEST_TIMEOUT))
            // workerd closes a connection whose request body the Worker left unread (an error
            // answered early) without saying `Connection: close`; ureq would send the next
            // request down it and fail. One connection per request never meets a closed one.
            .max_idle_connections(0)
            .build()
            .into();
        let worker = Self { url: line.trim().to_owned(), child, agent };
        if !worker.url.starts_with("http://") {
            drop(worker);
            panic!("the worker did not start (built? `make build`); see {}", log_hint());
        }
        worker
    }

    /// One Worker for the whole test binary, started on first use. It stops when the test
    /// process exits and the launcher's stdin closes.
    pub fn shared() -> &'static Worker {
        static SHARED: OnceLock<Worker> = OnceLock::new();
        SHARED.get_or_init(Worker::start)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client that reports every status as a response, never as an error, follows no
    /// redirect and sends any method.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // End of input tells the launcher to dispose of workerd and exit.
        drop(self.child.stdin.take());

        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => thread::sleep(Duration::from_millis(20)),
                _ => return,
            }
        }

        // SIGTERM, never SIGKILL: the launcher stops workerd on SIGTERM too.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
    }
}

impl Client for Worker {
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: ReqBody) -> Resp {
        let mut request =
            http::Request::builder().method(method).uri(format!("{}{path}", self.url));
        for (name, value) in auth::with_credentials(headers) {
            request = request.header(name, value);
        }

        let sent = match body {
            ReqBody::Empty if matches!(method, "GET" | "HEAD" | "DELETE") => {
                self.agent.run(request.body(()).expect("a valid request"))
            }
            // An explicit empty body, so the request carries Content-Length: 0.
            ReqBody::Empty => self.agent.run(request.body(Vec::new()).expect("a valid request")),
            ReqBody::Bytes(bytes) => self.agent.run(request.body(bytes).expect("a valid request")),
            // A reader of unknown length goes out with chunked transfer encoding.
            ReqBody::Streamed(chunks) => {
                let reader = chunks
                    .into_iter()
                    .map(Cursor::new)
                    .fold(Box::new(std::io::empty()) as Box<dyn Read + Send>, |all, chunk| {
                        Box::new(all.chain(chunk))
                    });
                let body = SendBody::from_owned_reader(reader);
                self.agent.run(request.body(body).expect("a valid request"))
            }
        };
        let mut response = sent.unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));

        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body failed: {e}"));
        Resp { status: response.status().as_u16(), headers, body }
    }
}

fn log_destination() -> Stdio {
    if std::env::var("E2E_LOG").is_ok_and(|v| v == "stderr") {
        return Stdio::inherit();
    }

    let dir = Path::new(ROOT).join("test-output");
    let opened = fs::create_dir_all(&dir)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(dir.join("worker.log")));
    opened.map(Stdio::from).unwrap_or_else(|_| Stdio::inherit())
}

fn log_hint() -> &'static str {
    if std::env::var("E2E_LOG").is_ok_and(|v| v == "stderr") {
        "the output above"
    } else {
        "test-output/worker.log"
    }
}
