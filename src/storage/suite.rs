//! The behaviour every backend must show, run against the memory store on the host and against
//! R2 inside the worker (through a test-only route), so both are held to the same rules.

use std::collections::BTreeMap;

use super::{
    ByteRange, Checksum, ListOptions, MIN_PART_SIZE, ObjectStore, PutMode, PutOptions,
    StorageErrorKind, UploadedPart,
};

/// One case's outcome: its name and, when it failed, why.
pub type Outcome = (&'static str, Result<(), String>);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs every case under keys starting with `prefix` (which should be unique to the run).
pub async fn run<S: ObjectStore>(store: &S, prefix: &str) -> Vec<Outcome> {
    vec![
        ("put_then_read_back", put_then_read_back(store, prefix).await),
        ("absent_keys_read_as_none", absent_keys_read_as_none(store, prefix).await),
        ("ranges_read_part_of_an_object", ranges(store, prefix).await),
        ("conditional_puts", conditional_puts(store, prefix).await),
        ("checksums_refuse_wrong_bytes", checksums(store, prefix).await),
        ("lists_page_in_key_order", lists(store, prefix).await),
        ("deletes_remove_many_keys", deletes(store, prefix).await),
        ("multipart_assembles_parts", multipart(store, prefix).await),
        ("multipart_refuses_small_parts", small_parts(store, prefix).await),
        ("aborted_uploads_are_gone", aborted(store, prefix).await),
        ("empty_ranges_are_refused", empty_ranges(store, prefix).await),
    ]
}

fn e(err: super::StorageError) -> String {
    err.to_string()
}

async fn put_then_read_back<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/a");
    let options = PutOptions {
        content_type: Some("text/x-test".into()),
        custom: BTreeMap::from([("digest".into(), "sha256:x".into())]),
        ..PutOptions::default()
    };
    let meta = store.put(&key, b"hello".to_vec(), options).await.map_err(e)?;
    ensure!(meta.is_some(), "an overwrite put reports its object");

    let (meta, bytes) = store.get_bytes(&key).await.map_err(e)?.ok_or("object missing")?;
    ensure!(bytes == b"hello", "bytes differ: {bytes:?}");
    ensure!(meta.size == 5, "size {}", meta.size);
    ensure!(meta.content_type.as_deref() == Some("text/x-test"), "type {:?}", meta.content_type);
    ensure!(meta.custom.get("digest").map(String::as_str) == Some("sha256:x"), "custom lost");

    let head = store.head(&key).await.map_err(e)?.ok_or("head missed the object")?;
    ensure!(head.size == 5 && head.etag == meta.etag, "head disagrees with get");
    ensure!(head.custom == meta.custom, "head lost custom metadata");
    Ok(())
}

async fn absent_keys_read_as_none<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/absent");
    ensure!(store.head(&key).await.map_err(e)?.is_none(), "head of an absent key");
    ensure!(store.get(&key, None).await.map_err(e)?.is_none(), "get of an absent key");
    ensure!(store.get_bytes(&key).await.map_err(e)?.is_none(), "get_bytes of an absent key");
    Ok(())
}

async fn ranges<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/range");
    store.put(&key, b"0123456789".to_vec(), PutOptions::default()).await.map_err(e)?;
    let cases = [
        ByteRange::From { offset: 2, length: Some(3) },
        ByteRange::From { offset: 7, length: None },
        ByteRange::Suffix(4),
    ];
    for range in cases {
        let (meta, _) = store.get(&key, Some(range)).await.map_err(e)?.ok_or("range missed")?;
        ensure!(meta.size == 10, "a range read reports the whole size, got {}", meta.size);
    }
    Ok(())
}

async fn conditional_puts<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/cond");
    let create = || PutOptions { mode: PutMode::Create, ..PutOptions::default() };
    let first = store.put(&key, b"1".to_vec(), create()).await.map_err(e)?;
    let first = first.ok_or("create of an absent key must succeed")?;
    let again = store.put(&key, b"2".to_vec(), create()).await.map_err(e)?;
    ensure!(again.is_none(), "create of a present key must not write");

    let stale = PutOptions { mode: PutMode::UpdateIfMatch("nope".into()), ..Default::default() };
    ensure!(store.put(&key, b"3".to_vec(), stale).await.map_err(e)?.is_none(), "stale etag");
    let fresh = PutOptions { mode: PutMode::UpdateIfMatch(first.etag), ..Default::default() };
    ensure!(store.put(&key, b"4".to_vec(), fresh).await.map_err(e)?.is_some(), "fresh etag");

    let (_, bytes) = store.get_bytes(&key).await.map_err(e)?.ok_or("missing")?;
    ensure!(bytes == b"4", "conditional puts left {bytes:?}");
    Ok(())
}

async fn checksums<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/sum");
    let digest = crate::oci::Digest::of(crate::oci::Algorithm::Sha256, b"{}");
    let with = |c| PutOptions { checksum: Some(c), ..PutOptions::default() };
    let wrong = store.put(&key, b"[]".to_vec(), with(Checksum::Sha256(digest.bytes()))).await;
    ensure!(
        matches!(&wrong, Err(err) if err.kind == StorageErrorKind::ChecksumMismatch),
        "a wrong sha256 must be refused as a checksum mismatch, got {wrong:?}"
    );
    ensure!(store.head(&key).await.map_err(e)?.is_none(), "a refused put stored something");

    let right = store.put(&key, b"{}".to_vec(), with(Checksum::Sha256(digest.bytes()))).await;
    ensure!(right.is_ok(), "a right sha256 was refused: {right:?}");
    let sha512 = crate::oci::Digest::of(crate::oci::Algorithm::Sha512, b"{}");
    let right = store.put(&key, b"{}".to_vec(), with(Checksum::Sha512(sha512.bytes()))).await;
    ensure!(right.is_ok(), "a right sha512 was refused: {right:?}");
    Ok(())
}

async fn lists<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let base = format!("{prefix}/list/");
    for name in ["a", "b-x", "b", "c/1", "c/2", "d"] {
        let custom = BTreeMap::from([("n".to_owned(), name.to_owned())]);
        let options = PutOptions { custom, ..PutOptions::default() };
        store.put(&format!("{base}{name}"), Vec::new(), options).await.map_err(e)?;
    }

    let mut options = ListOptions { prefix: base.clone(), limit: 2, ..ListOptions::default() };
    let mut keys = Vec::new();
    loop {
        let page = store.list(&options).await.map_err(e)?;
        ensure!(page.objects.len() <= 2, "a page exceeded its limit");
        keys.extend(page.objects.iter().map(|o| o.key[base.len()..].to_owned()));
        match page.cursor {
            Some(cursor) => options.cursor = Some(cursor),
            None => break,
        }
    }
    ensure!(keys == ["a", "b", "b-x", "c/1", "c/2", "d"], "paged listing gave {keys:?}");

    let options = ListOptions {
        prefix: base.clone(),
        delimiter: Some("/".into()),
        start_after: Some(format!("{base}a")),
        include_metadata: true,
        ..ListOptions::default()
    };
    let page = store.list(&options).await.map_err(e)?;
    let names: Vec<_> = page.objects.iter().map(|o| &o.key[base.len()..]).collect();
    ensure!(names == ["b", "b-x", "d"], "delimited listing gave {names:?}");
    ensure!(page.prefixes == [format!("{base}c/")], "prefixes {:?}", page.prefixes);
    ensure!(
        page.objects[0].custom.get("n").map(String::as_str) == Some("b"),
        "a listing with metadata lost it"
    );
    Ok(())
}

async fn deletes<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let keys: Vec<String> = (0..3).map(|i| format!("{prefix}/del/{i}")).collect();
    for key in &keys {
        store.put(key, vec![1], PutOptions::default()).await.map_err(e)?;
    }
    let mut doomed = keys[..2].to_vec();
    doomed.push(format!("{prefix}/del/absent"));
    store.delete_many(&doomed).await.map_err(e)?;
    ensure!(store.head(&keys[0]).await.map_err(e)?.is_none(), "first key survived");
    ensure!(store.head(&keys[1]).await.map_err(e)?.is_none(), "second key survived");
    ensure!(store.head(&keys[2]).await.map_err(e)?.is_some(), "a key not named was deleted");
    Ok(())
}

async fn multipart<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/mp");
    let part = MIN_PART_SIZE as usize;
    let id = store.create_multipart(&key, PutOptions::default()).await.map_err(e)?;
    let mut parts: Vec<UploadedPart> = Vec::new();
    for (number, bytes) in [(1u16, vec![1u8; part]), (2, vec![2u8; part]), (3, vec![3u8; 10])] {
        parts.push(store.upload_part(&key, &id, number, bytes).await.map_err(e)?);
    }
    let meta = store.complete_multipart(&key, &id, &parts).await.map_err(e)?;
    ensure!(meta.size == 2 * part as u64 + 10, "assembled size {}", meta.size);

    let (_, bytes) = store.get_bytes(&key).await.map_err(e)?.ok_or("assembled object missing")?;
    ensure!(bytes.len() == 2 * part + 10, "read back {} bytes", bytes.len());
    ensure!(bytes[part - 1] == 1 && bytes[part] == 2 && bytes[2 * part] == 3, "parts misplaced");
    Ok(())
}

async fn small_parts<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/small");
    let id = store.create_multipart(&key, PutOptions::default()).await.map_err(e)?;
    let a = store.upload_part(&key, &id, 1, vec![0; 1024]).await.map_err(e)?;
    let b = store.upload_part(&key, &id, 2, vec![0; 1024]).await.map_err(e)?;
    let done = store.complete_multipart(&key, &id, &[a, b]).await;
    ensure!(done.is_err(), "a non-final part below 5 MiB must be refused");
    let _ = store.abort_multipart(&key, &id).await;
    Ok(())
}

async fn aborted<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/aborted");
    let id = store.create_multipart(&key, PutOptions::default()).await.map_err(e)?;
    store.upload_part(&key, &id, 1, vec![0; 16]).await.map_err(e)?;
    store.abort_multipart(&key, &id).await.map_err(e)?;
    let after = store.upload_part(&key, &id, 2, vec![0; 16]).await;
    ensure!(after.is_err(), "a part was accepted after abort");
    ensure!(store.head(&key).await.map_err(e)?.is_none(), "an aborted upload left an object");
    Ok(())
}

async fn empty_ranges<S: ObjectStore>(store: &S, prefix: &str) -> Result<(), String> {
    let key = format!("{prefix}/short");
    store.put(&key, b"0123".to_vec(), PutOptions::default()).await.map_err(e)?;
    let past_end = ByteRange::From { offset: 4, length: None };
    ensure!(store.get(&key, Some(past_end)).await.is_err(), "a range past the end was served");
    let empty = format!("{prefix}/empty");
    store.put(&empty, Vec::new(), PutOptions::default()).await.map_err(e)?;
    ensure!(store.get(&empty, Some(ByteRange::Suffix(1))).await.is_err(), "a range of nothing");
    ensure!(store.get(&empty, None).await.map_err(e)?.is_some(), "an empty object reads whole");
    Ok(())
}
