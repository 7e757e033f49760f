//! R2's etags, which the registry relies on and the memory store reproduces.
//!
//! An object written whole has the hex MD5 of its bytes as etag, and so does each multipart
//! part; a completed multipart object has the MD5 of its parts' binary MD5s, a hyphen and the
//! number of parts (S3's form). An etag therefore changes only when the bytes do: rewriting the
//! same bytes with other metadata keeps it, so a conditional put cannot tell such writes apart.

use md5::{Digest as _, Md5};

/// The etag of an object written whole with these bytes (and of a multipart part).
pub fn of_bytes(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The etag of a multipart object completed from parts with these etags, in order.
pub fn of_multipart<'a>(part_etags: impl ExactSizeIterator<Item = &'a str>) -> String {
    let count = part_etags.len();
    let mut md5 = Md5::new();
    for etag in part_etags {
        // A part etag comes from `of_bytes`; anything else adds nothing, as it never matches.
        md5.update(hex::decode(etag).unwrap_or_default());
    }
    format!("{}-{count}", hex::encode(md5.finalize()))
}

/// Whether `etag` is the MD5 of the object's bytes (written whole), not a multipart etag.
pub fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_written_whole_has_the_md5_of_its_bytes() {
        assert_eq!(of_bytes(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(is_md5(&of_bytes(b"layer-A")));
    }

    #[test]
    fn a_multipart_etag_is_the_md5_of_the_part_md5s_and_the_count() {
        // The example of R2's multipart documentation.
        let parts = ["bce6bf66aeb76c7040fdd5f4eccb78e6", "8165449fc15bbf43d3b674595cbcc406"];
        let etag = of_multipart(parts.into_iter());
        assert_eq!(etag, "f77dc0eecdebcd774a2a22cb393ad2ff-2");
        assert!(!is_md5(&etag));
    }
}
