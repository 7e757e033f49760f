//! Content digests (`algorithm:hex`) and a hasher whose state survives between requests.

use std::fmt;
use std::str::FromStr;

use sha2::digest::common::hazmat::SerializableState;
use sha2::{Digest as _, Sha256, Sha512};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

impl FromStr for Algorithm {
    type Err = InvalidDigest;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(Self::Sha256),
            "sha512" => Ok(Self::Sha512),
            other => Err(InvalidDigest(format!("unsupported digest algorithm {other:?}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDigest(pub String);

impl fmt::Display for InvalidDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A digest of a supported algorithm whose encoded part is lowercase hex of the right length.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    pub fn parse(s: &str) -> Result<Self, InvalidDigest> {
        let (algorithm, hex) = s
            .split_once(':')
            .ok_or_else(|| InvalidDigest(format!("digest {s:?} lacks an algorithm")))?;
        let algorithm: Algorithm = algorithm.parse()?;
        let hex_ok = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex.len() != algorithm.hex_len() || !hex_ok {
            return Err(InvalidDigest(format!(
                "digest {s:?} must carry {} lowercase hex characters",
                algorithm.hex_len()
            )));
        }
        Ok(Self { algorithm, hex: hex.to_owned() })
    }

    /// The digest of `bytes` with `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        let mut hasher = Hasher::new(algorithm);
        hasher.update(bytes);
        hasher.finish()
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The raw hash bytes, as a storage checksum wants them.
    pub fn bytes(&self) -> Vec<u8> {
        hex::decode(&self.hex).unwrap_or_default()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

/// An incremental hash whose state can be saved between requests and resumed later.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Self::Sha256(Sha256::new()),
            Algorithm::Sha512 => Self::Sha512(Sha512::new()),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha512(_) => Algorithm::Sha512,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> Digest {
        let (algorithm, hash) = match self {
            Self::Sha256(h) => (Algorithm::Sha256, hex::encode(h.finalize())),
            Self::Sha512(h) => (Algorithm::Sha512, hex::encode(h.finalize())),
        };
        Digest { algorithm, hex: hash }
    }

    /// The state as text: the algorithm, then the hash state words, byte count and unfinished
    /// block in hex.
    pub fn save(&self) -> String {
        let state = match self {
            Self::Sha256(h) => hex::encode(h.serialize()),
            Self::Sha512(h) => hex::encode(h.serialize()),
        };
        format!("{}:{state}", self.algorithm().as_str())
    }

    /// Resumes a state written by [`Hasher::save`]; `None` when it is not one.
    pub fn restore(saved: &str) -> Option<Self> {
        let (algorithm, state) = saved.split_once(':')?;
        let bytes = hex::decode(state).ok()?;
        match algorithm.parse().ok()? {
            Algorithm::Sha256 => {
                let state = bytes.as_slice().try_into().ok()?;
                Sha256::deserialize(state).ok().map(Self::Sha256)
            }
            Algorithm::Sha512 => {
                let state = bytes.as_slice().try_into().ok()?;
                Sha512::deserialize(state).ok().map(Self::Sha512)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG_SHA256: &str =
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    const CFG_SHA512: &str = "sha512:27c74670adb75075fad058d5ceaf7b20c4e7786c83bae8a32f626f9782af34c9a33c2046ef60fd2a7878d378e29fec851806bbd9a67878f3a9f1cda4830763fd";

    #[test]
    fn digests_of_known_bytes() {
        assert_eq!(Digest::of(Algorithm::Sha256, b"{}").to_string(), CFG_SHA256);
        assert_eq!(Digest::of(Algorithm::Sha512, b"{}").to_string(), CFG_SHA512);
    }

    #[test]
    fn parse_refuses_malformed_digests() {
        assert!(Digest::parse(CFG_SHA256).is_ok());
        assert!(Digest::parse(CFG_SHA512).is_ok());
        for bad in ["sha256:zz", "sha256", "md5:00", &CFG_SHA256.to_uppercase(), ":abc"] {
            assert!(Digest::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_saved_state_resumes_where_it_stopped() {
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
            for cut in [0, 1, 63, 64, 65, 127, 128, 999] {
                let mut first = Hasher::new(algorithm);
                first.update(&data[..cut]);
                let mut resumed = Hasher::restore(&first.save()).expect("state restores");
                resumed.update(&data[cut..]);
                assert_eq!(resumed.finish(), Digest::of(algorithm, &data));
            }
        }
        assert!(Hasher::restore("sha256:00").is_none());
        assert!(Hasher::restore("nonsense").is_none());
    }
}
