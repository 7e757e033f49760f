//! A registry client for tests, the same whether the registry runs in-process or under workerd.

use serde_json::Value;

/// A request body as a test sends it.
pub enum ReqBody {
    Empty,
    Bytes(Vec<u8>),
    /// Sent in these chunks with no Content-Length (chunked transfer encoding over HTTP).
    Streamed(Vec<Vec<u8>>),
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("status {} body is not JSON ({e}): {:?}", self.status, self.text())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first OCI error code of the envelope.
    pub fn error_code(&self) -> String {
        let json = self.json();
        json["errors"][0]["code"].as_str().unwrap_or_default().to_owned()
    }
}

pub trait Client {
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: ReqBody) -> Resp;

    fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], ReqBody::Empty)
    }

    fn head(&self, path: &str) -> Resp {
        self.send("HEAD", path, &[], ReqBody::Empty)
    }

    fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, &[], ReqBody::Empty)
    }
}
