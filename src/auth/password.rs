//! Password hashing: PBKDF2-HMAC-SHA256 in PHC strings
//! (`$pbkdf2-sha256$i=5000,l=32$<salt>$<hash>`), compared in constant time.
//!
//! Why PBKDF2 with few rounds: a Worker on the free plan has 10 ms of CPU a request, and the
//! hash runs in wasm. Measured in V8 on this crate's release profile (`opt-level = "z"`, LTO),
//! one PBKDF2-SHA256 round costs 0.5 to 0.75 µs, so [`DEFAULT_ROUNDS`] costs 2.5 to 4 ms, once
//! per login (`GET /token`, or a request with Basic credentials), leaving the rest of the budget
//! to the request. Argon2 settings worth having (19 MiB, 2 passes) cost several times the whole
//! budget. The rounds are written in each hash, so an operator on a paid plan (30 s of CPU) can
//! create accounts with more (the `account` example's `--rounds`), and old hashes keep
//! verifying. The tools that create accounts generate long random passwords, which no round
//! count is needed to protect; the rounds matter for chosen passwords, and only to someone who
//! can already read the KV namespace.

use base64ct::{Base64Unpadded, Encoding};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Rounds of a new hash: 2.5 to 4 ms of a Worker's CPU (see the module comment).
pub const DEFAULT_ROUNDS: u32 = 5_000;
/// Fewer rounds are refused (NIST's floor, as the pbkdf2 crate's).
pub const MIN_ROUNDS: u32 = 1_000;
/// Hashes asking for more rounds are refused rather than run: a mistyped hash in KV must not
/// turn every login into a timeout.
pub const MAX_ROUNDS: u32 = 2_000_000;
/// Bytes of random salt in a new hash.
const SALT_LEN: usize = 16;
/// Bytes of a new hash's output; stored hashes may have 16 to 64.
const OUTPUT_LEN: usize = 32;
const ALGORITHM: &str = "pbkdf2-sha256";

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str, rounds: u32) -> Result<String, String> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::getrandom(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
    hash_with_salt(password, &salt, rounds)
}

fn hash_with_salt(password: &str, salt: &[u8], rounds: u32) -> Result<String, String> {
    check_rounds(rounds)?;
    let output = derive(password, salt, rounds, OUTPUT_LEN);
    Ok(format!(
        "${ALGORITHM}$i={rounds},l={OUTPUT_LEN}${}${}",
        Base64Unpadded::encode_string(salt),
        Base64Unpadded::encode_string(&output)
    ))
}

/// Whether `password` matches the stored hash, compared in constant time; `Err` when the
/// stored hash cannot be used.
pub fn verify(password: &str, stored: &str) -> Result<bool, String> {
    let stored = parse(stored)?;
    let output = derive(password, &stored.salt, stored.rounds, stored.hash.len());
    Ok(output.ct_eq(&stored.hash).into())
}

/// Checks that a stored hash is usable, without computing anything.
pub fn check(stored: &str) -> Result<(), String> {
    parse(stored).map(drop)
}

fn derive(password: &str, salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
    let mut output = vec![0u8; len];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds, &mut output);
    output
}

fn check_rounds(rounds: u32) -> Result<(), String> {
    if !(MIN_ROUNDS..=MAX_ROUNDS).contains(&rounds) {
        return Err(format!("{rounds} rounds: the rounds must be {MIN_ROUNDS} to {MAX_ROUNDS}"));
    }
    Ok(())
}

struct Stored {
    rounds: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// Reads `$pbkdf2-sha256$i=<rounds>[,l=<length>]$<salt>$<hash>`, salt and hash in unpadded
/// standard base64: the PHC string format, as the pbkdf2 crate writes it. (Its own parser costs
/// about 12 KiB of gzipped wasm; this one a few hundred bytes.)
fn parse(stored: &str) -> Result<Stored, String> {
    let unreadable =
        || "unreadable password hash: expected $pbkdf2-sha256$i=<rounds>$<salt>$<hash>";
    let parts: Vec<&str> = stored.split('$').collect();
    let ["", algorithm, params, salt, hash] = parts[..] else { return Err(unreadable().into()) };
    if algorithm != ALGORITHM {
        return Err(format!("password hash algorithm {algorithm:?} is not {ALGORITHM}"));
    }

    let (mut rounds, mut length) = (None, None);
    for param in params.split(',') {
        let value = |v: &str| v.parse::<u32>().map_err(|_| unreadable().to_owned());
        match param.split_once('=') {
            Some(("i", v)) => rounds = Some(value(v)?),
            Some(("l", v)) => length = Some(value(v)? as usize),
            _ => return Err(format!("unknown password hash parameter {param:?}")),
        }
    }
    let rounds = rounds.ok_or_else(unreadable)?;
    check_rounds(rounds)?;

    let salt = Base64Unpadded::decode_vec(salt).map_err(|_| unreadable().to_owned())?;
    let hash = Base64Unpadded::decode_vec(hash).map_err(|_| unreadable().to_owned())?;
    if salt.len() < 8 || !(16..=64).contains(&hash.len()) || length.is_some_and(|l| l != hash.len())
    {
        return Err("password hash: salt under 8 bytes, or hash not 16 to 64 bytes".into());
    }
    Ok(Stored { rounds, salt, hash })
}

/// Spends what a verification with [`DEFAULT_ROUNDS`] costs, so that a login with an unknown
/// name takes as long as one with a wrong password.
pub fn spend(password: &str) {
    std::hint::black_box(derive(password, &[0; SALT_LEN], DEFAULT_ROUNDS, OUTPUT_LEN));
}

/// A generated password: 40 hexadecimal digits (160 random bits), which no shell or client
/// option parser mistakes for anything else.
pub fn random_password() -> Result<String, String> {
    let mut buf = [0u8; 20];
    getrandom::getrandom(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(hex::encode(buf))
}

/// A random secret of `bytes` bytes, URL-safe base64: token ids.
pub fn random_secret(bytes: usize) -> Result<String, String> {
    use base64ct::Encoding;

    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(base64ct::Base64UrlUnpadded::encode_string(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let stored = hash("correct horse", 1_000).unwrap();
        assert!(stored.starts_with("$pbkdf2-sha256$i=1000,l=32$"), "{stored}");
        assert_eq!(verify("correct horse", &stored), Ok(true));
        assert_eq!(verify("correct horsf", &stored), Ok(false));
        assert_eq!(verify("", &stored), Ok(false));
        assert_ne!(hash("correct horse", 1_000).unwrap(), stored, "salts differ");
    }

    #[test]
    fn known_vector_from_the_pbkdf2_crate_verifies() {
        let stored = "$pbkdf2-sha256$i=4096,l=40\
            $c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0\
            $NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q";
        assert_eq!(verify("passwordPASSWORDpassword", stored), Ok(true));
    }

    #[test]
    fn unusable_hashes_are_errors_not_matches() {
        assert!(verify("x", "plain text").is_err());
        assert!(verify("x", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").is_err());
        let costly = "$pbkdf2-sha256$i=4000000000,l=32$c2FsdHNhbHRzYWx0$\
            Mf4kA7eH8xO3C6CkCq1P4p4ux3RC0Br8YqAsG3aCjvE";
        assert!(verify("x", costly).is_err());
        let good = hash("x", 1_000).unwrap();
        for broken in [
            good.replace("i=1000", "i=10"),
            good.replace("l=32", "l=31"),
            good.replace("i=1000", "i=1000,p=1"),
            good.replace("$pbkdf2-sha256$", "$pbkdf2-sha512$"),
            format!("{good}$"),
            good[..good.len() - 1].to_owned() + "!",
        ] {
            assert!(verify("x", &broken).is_err(), "{broken}");
            assert!(check(&broken).is_err(), "{broken}");
        }
        assert_eq!(check(&good), Ok(()));
        assert!(hash("x", 10).is_err());
        assert!(hash("x", MAX_ROUNDS + 1).is_err());
    }

    #[test]
    fn random_secrets_are_long_and_distinct() {
        let a = random_secret(24).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_secret(24).unwrap());
        let p = random_password().unwrap();
        assert_eq!(p.len(), 40);
        assert!(p.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(p, random_password().unwrap());
    }
}
