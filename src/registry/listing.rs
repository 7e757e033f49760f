//! Paged listings of names under a key prefix: tags, repositories, with `n`/`last`.

use crate::storage::{ListOptions, MAX_LIST_KEYS, ObjectStore, StorageResult};

/// A page of names in lexical order, and whether more follow.
pub struct Names {
    pub names: Vec<String>,
    pub more: bool,
}

/// Lists the key suffixes under `prefix` that sort after `last`, at most `n` of them (all when
/// `None`). Costs one storage operation for every 1,000 names.
pub(crate) async fn list_names<S: ObjectStore>(
    store: &S,
    prefix: &str,
    last: Option<&str>,
    n: Option<usize>,
) -> StorageResult<Names> {
    let mut names = Vec::new();
    let mut options = ListOptions {
        prefix: prefix.to_owned(),
        start_after: last.map(|last| format!("{prefix}{last}")),
        ..ListOptions::default()
    };
    if n == Some(0) {
        return Ok(Names { names, more: false });
    }
    loop {
        let wanted = n.map_or(MAX_LIST_KEYS as usize, |n| n + 1 - names.len());
        options.limit = wanted.min(MAX_LIST_KEYS as usize) as u32;
        let page = store.list(&options).await?;
        names.extend(page.objects.iter().map(|o| o.key[prefix.len()..].to_owned()));
        if let Some(n) = n
            && names.len() > n
        {
            names.truncate(n);
            return Ok(Names { names, more: true });
        }
        match page.cursor {
            Some(cursor) => options.cursor = Some(cursor),
            None => return Ok(Names { names, more: false }),
        }
    }
}
