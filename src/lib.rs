//! edge-registry: an OCI distribution registry for Cloudflare Workers, over R2 and KV.
//!
//! This file holds the Worker's entry points. They build the registry from the bindings and
//! translate HTTP both ways; everything they call is runtime-free and runs on the host in tests.
//! Bindings (wrangler.toml): the R2 bucket `BUCKET` holds all registry state, the KV namespace
//! `KV` what may be eventually consistent, and `ASSETS` the dashboard in www/, which the platform
//! serves itself for every path but `/v2/*`, `/token` and `/api/*`.

pub mod api;
pub mod auth;
pub mod oci;
pub mod registry;
pub mod storage;

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{
        Context, Date, Env, ScheduleContext, ScheduledEvent, console_error, console_log, event,
    };

    use serde_json::json;

    use crate::api::{self, Body, BodyStream};
    use crate::auth::{Auth, AuthConfig};
    use crate::registry::gc::GcOptions;
    use crate::registry::{Config, Registry};
    use crate::storage::{counted::Counted, kv::WorkersKv, r2::R2Store, suite};

    /// The test-only route of [`storage_suite`].
    const STORAGE_SUITE_PATH: &str = "/api/test/storage-suite";
    /// The test-only route that answers the size of this isolate's wasm memory.
    const WASM_MEMORY_PATH: &str = "/api/test/wasm-memory";

    #[event(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    #[event(fetch)]
    async fn fetch(
        request: worker::Request,
        env: Env,
        _ctx: Context,
    ) -> worker::Result<worker::Response> {
        let started = Date::now().as_millis();

        let registry = match registry(&env) {
            Ok(registry) => registry,
            Err(message) => return misconfigured(&message),
        };
        let test_hooks = string_binding(&env, "TEST_HOOKS").as_deref() == Some("1");
        if test_hooks && request.path() == STORAGE_SUITE_PATH {
            return storage_suite(registry.store().inner()).await;
        }
        if test_hooks && request.path() == WASM_MEMORY_PATH {
            // Linear memory only grows: its size is the most this isolate's Rust code ever held.
            let bytes = core::arch::wasm32::memory_size::<0>() * 65_536;
            return worker::Response::from_json(&json!({ "wasm_memory_bytes": bytes }));
        }

        let auth = match auth(&env, &origin(&request)) {
            Ok(auth) => auth,
            Err(message) => return misconfigured(&message),
        };

        let request = api_request(request)?;
        let (response, log) = api::handle(&registry, &auth, request).await;

        let duration_ms = Date::now().as_millis().saturating_sub(started);
        let line = log.to_json(duration_ms, registry.store().ops());
        if log.level() == "error" {
            console_error!("{line}");
        } else {
            console_log!("{line}");
        }
        worker_response(response)
    }

    /// The Cron Trigger: one slice of garbage collection (progress is kept in R2, so the next
    /// trigger continues a run this one could not finish).
    #[event(scheduled)]
    async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let started = Date::now().as_millis();
        let registry = match registry(&env) {
            Ok(registry) => registry,
            Err(message) => {
                console_error!("{}", json!({ "level": "error", "event": "gc", "error": message }));
                return;
            }
        };

        let result = registry.collect_garbage(GcOptions::default()).await;
        let duration_ms = Date::now().as_millis().saturating_sub(started);
        let ops = registry.store().ops();
        match result {
            Ok(report) => console_log!(
                "{}",
                json!({ "level": "info", "event": "gc", "cron": event.cron(),
                        "duration_ms": duration_ms, "storage_ops": ops, "report": report })
            ),
            Err(err) => console_error!(
                "{}",
                json!({ "level": "error", "event": "gc", "cron": event.cron(),
                        "duration_ms": duration_ms, "storage_ops": ops, "error": err.to_string(),
                        "cause": std::error::Error::source(&err).map(ToString::to_string) })
            ),
        }
    }

    /// The registry over this request's bindings, counting its storage operations.
    fn registry(env: &Env) -> Result<Registry<Counted<R2Store>>, String> {
        let config = Config::from_vars(|name| string_binding(env, name))
            .map_err(|message| format!("configuration: {message}"))?;
        let bucket = env.bucket("BUCKET").map_err(|e| format!("R2 binding BUCKET: {e}"))?;
        Ok(Registry::new(Counted::new(R2Store::new(bucket)), config))
    }

    /// Access control over this request's secrets and the KV namespace `KV`. Says once per
    /// isolate how tokens are signed.
    fn auth(env: &Env, origin: &str) -> Result<Auth<WorkersKv>, String> {
        static ANNOUNCED: std::sync::Once = std::sync::Once::new();

        let config = AuthConfig::from_vars(|name| string_binding(env, name))
            .map_err(|message| format!("access control: {message}"))?;
        let kv = env.kv("KV").map_err(|e| format!("KV binding KV: {e}"))?;
        ANNOUNCED.call_once(|| {
            let line = json!({ "level": "info", "event": "auth", "admin": config.admin.is_some(),
                               "tokens": config.key_description() });
            console_log!("{line}");
        });
        Ok(Auth::new(config, WorkersKv::new(kv), origin))
    }

    /// `scheme://host[:port]` of the request's URL: where clients reach this registry, and so
    /// where its token realm is.
    fn origin(request: &worker::Request) -> String {
        let url = request.inner().url();
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url.as_str()));
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        format!("{scheme}://{host}")
    }

    /// Runs the storage behaviour suite against R2 and answers each case's outcome as JSON. Only
    /// with the binding `TEST_HOOKS = "1"`, which the end-to-end launcher sets and wrangler.toml
    /// does not: R2 is held to the rules the memory store enforces on the host.
    async fn storage_suite(store: &R2Store) -> worker::Result<worker::Response> {
        let prefix = format!("_test/storage-suite/{}", Date::now().as_millis());
        let outcomes = suite::run(store, &prefix).await;

        let cases: Vec<_> = outcomes
            .iter()
            .map(|(name, result)| json!({ "case": name, "error": result.as_ref().err() }))
            .collect();
        worker::Response::from_json(&cases)
    }

    /// A `[vars]` entry or a secret, as the configuration reads them.
    fn string_binding(env: &Env, name: &str) -> Option<String> {
        let var = env.var(name).ok().map(|v| v.to_string());
        var.or_else(|| env.secret(name).ok().map(|s| s.to_string()))
    }

    /// The answer when the Worker's own setup is broken: an OCI error envelope and a log line.
    fn misconfigured(message: &str) -> worker::Result<worker::Response> {
        console_error!("{}", json!({ "level": "error", "error": message }));
        worker_response(api::misconfigured())
    }

    fn api_request(mut request: worker::Request) -> worker::Result<api::Request> {
        use futures::StreamExt as _;

        // `worker::Method` turns methods it does not know into GET: read the raw one.
        let method = http::Method::from_bytes(request.inner().method().as_bytes())
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        // The runtime hands over a serialized WHATWG URL: `?` in the path is escaped, so the first
        // one opens the query. Splitting it here keeps the url crate (and its IDNA tables) out of
        // the bundle.
        let raw_path = request.path();
        let path = percent_encoding::percent_decode_str(&raw_path).decode_utf8_lossy().into_owned();
        let url = request.inner().url();
        let query = url.split_once('?').map_or("", |(_, q)| q.split('#').next().unwrap_or(q));

        let mut headers = http::HeaderMap::new();
        for (name, value) in request.headers().entries() {
            let name = http::HeaderName::from_bytes(name.as_bytes());
            let value = http::HeaderValue::from_bytes(value.as_bytes());
            if let (Ok(name), Ok(value)) = (name, value) {
                headers.append(name, value);
            }
        }

        // Chunks arrive as the client sends them; nothing here buffers the body.
        let body: BodyStream = if request.inner().body().is_some() {
            Box::pin(request.stream()?.map(|chunk| chunk.map_err(|e| e.to_string())))
        } else {
            Box::pin(futures::stream::empty())
        };

        Ok(api::Request { method, path, query: query.to_owned(), headers, body, principal: None })
    }

    fn worker_response(
        response: api::Response<worker::Object>,
    ) -> worker::Result<worker::Response> {
        let headers = worker::Headers::new();
        for (name, value) in &response.headers {
            // The API writes visible ASCII only; a value that is not is dropped, not garbled.
            if let Ok(value) = value.to_str() {
                headers.append(name.as_str(), value)?;
            }
        }

        // A HEAD answer keeps the Content-Length the API set: workerd sends it as is when the
        // body is empty.
        let builder =
            worker::Response::builder().with_status(response.status.as_u16()).with_headers(headers);
        Ok(match response.body {
            Body::Empty => builder.empty(),
            Body::Bytes(bytes) => builder.fixed(bytes),
            // The R2 body goes to the runtime as a stream: no byte of it passes through wasm.
            Body::Object(object) => match object.body() {
                Some(body) => builder.body(body.response_body()?),
                None => builder.empty(),
            },
        })
    }
}
