//! Reading the `Authorization` header: `Basic` credentials or a `Bearer` token.

use std::fmt;

use base64ct::{Base64, Encoding};

/// What a request presents. `Debug` never shows the password or the token.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

impl Credentials {
    /// Reads an `Authorization` header value; `Err` says what is wrong with it (without
    /// repeating it, since it may hold a secret).
    pub fn parse(header: Option<&str>) -> Result<Self, &'static str> {
        let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(Self::None);
        };
        let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
        let value = value.trim();

        if scheme.eq_ignore_ascii_case("bearer") {
            if value.is_empty() {
                return Err("the Bearer authorization has no token");
            }
            return Ok(Self::Bearer(value.to_owned()));
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err("the authorization scheme is neither Basic nor Bearer");
        }

        let decoded =
            Base64::decode_vec(value).map_err(|_| "the Basic credentials are not base64")?;
        let decoded =
            String::from_utf8(decoded).map_err(|_| "the Basic credentials are not UTF-8")?;
        let (username, password) =
            decoded.split_once(':').ok_or("the Basic credentials have no ':' separator")?;
        Ok(Self::Basic { username: username.to_owned(), password: password.to_owned() })
    }

    /// `Basic <base64(username:password)>`, for clients and tests.
    pub fn basic_header(username: &str, password: &str) -> String {
        format!("Basic {}", Base64::encode_string(format!("{username}:{password}").as_bytes()))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => write!(f, "Basic({username:?}, <password>)"),
            Self::Bearer(_) => f.write_str("Bearer(<token>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_headers_are_read() {
        let basic = Credentials::basic_header("alice", "pa:ss");
        assert_eq!(
            Credentials::parse(Some(&basic)),
            Ok(Credentials::Basic { username: "alice".into(), password: "pa:ss".into() })
        );
        assert_eq!(
            Credentials::parse(Some("bearer abc.def.ghi")),
            Ok(Credentials::Bearer("abc.def.ghi".into()))
        );
        assert_eq!(Credentials::parse(None), Ok(Credentials::None));
        assert_eq!(Credentials::parse(Some("  ")), Ok(Credentials::None));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in ["Basic !!!", "Basic YWxpY2U=", "Digest x", "Bearer", "Bearer  "] {
            assert!(Credentials::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let basic = Credentials::Basic { username: "alice".into(), password: "hunter2".into() };
        assert!(!format!("{basic:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credentials::Bearer("secret-token".into())).contains("secret"));
    }
}
