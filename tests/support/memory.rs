//! The registry in-process over the memory store: fast, and able to inject faults.

use edge_registry::api::{self, Body, Request};
use edge_registry::auth::{Auth, AuthConfig, MemoryKv};
use edge_registry::registry::{Config, Registry};
use edge_registry::storage::counted::Counted;
use edge_registry::storage::memory::MemoryStore;
use http::Method;

use super::auth;
use super::client::{Client, ReqBody, Resp};

pub struct MemoryClient {
    pub store: MemoryStore,
    pub config: Config,
    /// Access control: the test secrets of [`auth`], accounts in `kv`.
    pub auth: AuthConfig,
    pub kv: MemoryKv,
}

impl MemoryClient {
    pub fn new() -> Self {
        let (store, config, kv) = (MemoryStore::new(), Config::default(), MemoryKv::new());
        Self { store, config, auth: auth::config(&[]), kv }
    }

    /// Sends a request and also returns how many storage operations it made.
    pub fn send_counted(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: ReqBody,
    ) -> (Resp, u64) {
        let method = Method::from_bytes(method.as_bytes()).expect("a valid method");
        let is_head = method == Method::HEAD;
        let mut request = Request::new(method, path, Vec::new());
        request.body = match body {
            ReqBody::Empty => Box::pin(futures::stream::empty()),
            ReqBody::Bytes(bytes) => {
                request = request.header("content-length", &bytes.len().to_string());
                Box::pin(futures::stream::iter(vec![Ok(bytes)]))
            }
            ReqBody::Streamed(chunks) => {
                Box::pin(futures::stream::iter(chunks.into_iter().map(Ok)))
            }
        };
        for (name, value) in &auth::with_credentials(headers) {
            if let Ok(name) = http::HeaderName::from_bytes(name.as_bytes()) {
                request.headers.append(name, value.parse().expect("a valid header value"));
            }
        }

        let registry = Registry::new(Counted::new(self.store.clone()), self.config.clone());
        let auth = Auth::new(self.auth.clone(), &self.kv, "http://registry.test");
        let (response, _log) = futures::executor::block_on(api::handle(&registry, &auth, request));
        let body = match response.body {
            _ if is_head => Vec::new(),
            Body::Empty => Vec::new(),
            Body::Bytes(bytes) | Body::Object(bytes) => bytes,
        };
        let headers = response
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        (Resp { status: response.status.as_u16(), headers, body }, registry.store().ops())
    }
}

impl Client for MemoryClient {
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: ReqBody) -> Resp {
        self.send_counted(method, path, headers, body).0
    }
}
