//! The field cases (shared/cases/README.md) against the registry in-process over the memory
//! store, which enforces R2's rules.

mod support;

use support::cases;
use support::memory::MemoryClient;

macro_rules! memory_cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                cases::$case(&MemoryClient::new(), "t");
            }
        )*
    };
}

memory_cases!(
    upl2_upload_range_is_cumulative,
    uploads_path_without_trailing_slash_opens_a_session,
    upl4_streamed_patch,
    upl5_uneven_chunks,
    dig1_sha512,
    dig2_content_must_match_digest,
    man1_empty_blobs,
    man2_manifests_the_schema_does_not_force,
    man3_a_mount_that_cannot_happen_starts_an_upload,
    neg1_head_carries_what_get_carries,
    rng1_range_reads,
    lst1_tag_list_paging,
    name1_names_and_tags,
    del1_delete_by_digest_removes_exactly_the_tags_pointing_at_it,
    del2_delete_by_tag_removes_only_that_tag,
    ref1_filtered_referrers_say_so,
    ref2_a_subject_may_arrive_after_its_referrer,
    referrers_follow_deletes_and_tags,
);
