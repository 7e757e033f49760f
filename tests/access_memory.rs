//! The access-control cases (tests/support/access.rs) against the registry in-process.

mod support;

use support::access::{self, PUBLIC};
use support::auth;
use support::memory::MemoryClient;

macro_rules! memory_cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                access::$case(&MemoryClient::new(), "t");
            }
        )*
    };
}

memory_cases!(
    the_token_flow_grants_what_the_challenge_names,
    a_pull_only_account_is_refused_a_push,
    an_account_granted_team_cannot_read_other,
    anonymous_pull_is_off_unless_enabled,
    expired_tampered_and_wrongly_scoped_tokens_are_refused,
    a_mount_from_an_unreadable_repository_answers_202,
    an_upload_session_needs_push,
    accounts_are_managed_by_administrators,
);

#[test]
fn the_base_endpoint_challenges_anonymous_callers() {
    access::the_base_endpoint_challenges_anonymous_callers(&MemoryClient::new());
}

#[test]
fn anonymous_pull_works_only_where_enabled() {
    let client =
        MemoryClient { auth: auth::config(&[("ANONYMOUS_PULL", PUBLIC)]), ..MemoryClient::new() };
    access::anonymous_pull_works_only_where_enabled(&client, "t");
}
