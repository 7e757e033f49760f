//! The storage behaviour suite against the memory store (the worker runs it against R2).

use edge_registry::storage::memory::MemoryStore;
use edge_registry::storage::suite;

#[test]
fn the_memory_store_behaves_like_r2() {
    let store = MemoryStore::new();
    let outcomes = futures::executor::block_on(suite::run(&store, "suite"));
    let failures: Vec<_> = outcomes.iter().filter(|(_, r)| r.is_err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(outcomes.len(), 11);
}

#[test]
fn the_memory_store_refuses_what_r2_refuses() {
    use edge_registry::storage::{ObjectStore, PutOptions, UploadedPart};
    let store = MemoryStore::new();
    let mib = 1024 * 1024;
    futures::executor::block_on(async {
        let id = store.create_multipart("k", PutOptions::default()).await.unwrap();
        let a = store.upload_part("k", &id, 1, vec![0; 6 * mib]).await.unwrap();
        let b = store.upload_part("k", &id, 2, vec![0; 5 * mib]).await.unwrap();
        let c = store.upload_part("k", &id, 3, vec![0; 1]).await.unwrap();
        let unequal = store.complete_multipart("k", &id, &[a.clone(), b, c.clone()]).await;
        assert!(unequal.is_err(), "non-final parts of different sizes");
        let bigger_last = store.upload_part("k", &id, 4, vec![0; 7 * mib]).await.unwrap();
        assert!(store.complete_multipart("k", &id, &[a.clone(), bigger_last]).await.is_err());
        let unknown = UploadedPart { number: 9, etag: "x".into() };
        assert!(store.complete_multipart("k", &id, &[a, unknown]).await.is_err());
        assert!(store.complete_multipart("k", &id, &[c]).await.is_ok(), "a single small part");

        let big = "v".repeat(2100);
        let options = PutOptions { custom: [("k".to_owned(), big)].into(), ..Default::default() };
        assert!(store.put("m", Vec::new(), options).await.is_err(), "metadata over 2 KiB");
        let keys: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        assert!(store.delete_many(&keys).await.is_err(), "more than 1,000 keys in one delete");
    });
}
