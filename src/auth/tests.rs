//! The access decisions end to end over [`MemoryKv`]: logins, tokens, scopes, refusals.

use http::{HeaderMap, HeaderValue};

use super::*;
use crate::oci::RepoName;

const ORIGIN: &str = "https://registry.example";
const SERVICE: &str = "registry.example";
const ADMIN_PASSWORD: &str = "admin-password-0123456789";
const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn name(s: &str) -> RepoName {
    RepoName::parse(s).unwrap()
}

fn repo(s: &str, actions: &[Action]) -> Scope {
    Scope::repository(&name(s), Actions::of(actions))
}

fn config(vars: &[(&str, &str)]) -> AuthConfig {
    let vars: Vec<(String, String)> =
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    AuthConfig::from_vars(|n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())).unwrap()
}

/// An account with a cheap hash (tests run unoptimised).
fn account(password: &str, grants: &[&str], admin: bool) -> Account {
    let grants = grants.iter().map(|g| Grant::parse(g).unwrap()).collect();
    Account { password_hash: password::hash(password, 1_000).unwrap(), grants, admin }
}

/// An administrator, a token secret, anonymous pull on `public/*`, and two accounts:
/// `alice` (`team/*` pull and push) and `reader` (`*` pull).
async fn registry() -> Auth<MemoryKv> {
    let kv = MemoryKv::new();
    let accounts = Accounts::new(&kv);
    accounts.put("alice", &account("alice-pw", &["team/*:pull,push"], false)).await.unwrap();
    accounts.put("reader", &account("reader-pw", &["*:pull"], false)).await.unwrap();
    let config = config(&[
        ("ADMIN_USERNAME", "admin"),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("TOKEN_SECRET", SECRET),
        ("ANONYMOUS_PULL", "public/*"),
    ]);
    Auth::new(config, kv, ORIGIN)
}

fn with(authorization: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
    headers
}

fn basic(user: &str, password: &str) -> HeaderMap {
    with(&Credentials::basic_header(user, password))
}

async fn token(auth: &Auth<MemoryKv>, user: Option<(&str, &str)>, scopes: &[Scope]) -> String {
    let header = user.map(|(u, p)| Credentials::basic_header(u, p));
    let response = auth.issue_token(header.as_deref(), scopes, Some(SERVICE)).await.unwrap();
    assert_eq!(response.token, response.access_token);
    response.token
}

fn bearer(token: &str) -> HeaderMap {
    with(&format!("Bearer {token}"))
}

fn claims_of(token: &str) -> token::Claims {
    token::verify(&SigningKey::new(SECRET.as_bytes()), token, SERVICE, now_secs()).unwrap()
}

#[tokio::test]
async fn with_no_account_configured_nobody_may_push_and_the_answer_says_how_to_add_one() {
    let auth = Auth::new(AuthConfig::default(), MemoryKv::new(), ORIGIN);
    let push = [repo("any/thing", &[Action::Pull, Action::Push])];

    let denial = auth.authorize(&HeaderMap::new(), &push).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert!(denial.message.contains("ADMIN_USERNAME"), "{}", denial.message);
    assert!(denial.message.contains("make dev"), "{}", denial.message);

    let guess = Credentials::basic_header("admin", "guess");
    let denial = auth.issue_token(Some(&guess), &push, None).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert!(denial.message.contains("ADMIN_PASSWORD"), "{}", denial.message);

    let delete = [repo("any/thing", &[Action::Delete])];
    assert!(auth.authorize(&HeaderMap::new(), &delete).await.is_err());
}

#[tokio::test]
async fn the_hint_is_left_out_once_an_account_exists() {
    let kv = MemoryKv::new();
    Accounts::new(&kv).put("bob", &account("pw", &[], false)).await.unwrap();
    let auth = Auth::new(AuthConfig::default(), kv, ORIGIN);
    let denial = auth.authorize(&HeaderMap::new(), &[repo("x", &[Action::Pull])]).await;
    assert!(!denial.unwrap_err().message.contains("ADMIN_USERNAME"));
}

#[tokio::test]
async fn the_administrator_may_do_everything_with_basic_or_a_token() {
    let auth = registry().await;
    let all = [repo("any/repo", &Action::ALL), Scope::Catalog, Scope::Admin];

    let principal = auth.authorize(&basic("admin", ADMIN_PASSWORD), &all).await.unwrap();
    assert_eq!(principal.subject, Subject::Admin("admin".into()));
    assert!(principal.is_admin());

    let token = token(&auth, Some(("admin", ADMIN_PASSWORD)), &all).await;
    let principal = auth.authorize(&bearer(&token), &all).await.unwrap();
    assert_eq!(principal.name(), Some("admin"));
    assert_eq!(principal.proof, Proof::Bearer);
}

#[tokio::test]
async fn a_token_grants_the_intersection_of_requested_and_permitted_actions() {
    let auth = registry().await;
    let requested = [
        repo("team/app", &Action::ALL),
        repo("other/x", &[Action::Pull]),
        Scope::Catalog,
        Scope::Admin,
    ];
    let token = token(&auth, Some(("alice", "alice-pw")), &requested).await;
    let claims = claims_of(&token);

    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.aud, SERVICE);
    assert_eq!(
        claims.scopes(),
        vec![repo("team/app", &[Action::Pull, Action::Push]), Scope::Catalog]
    );
    assert_eq!(claims.access[0].actions, vec!["pull", "push"]);
    assert_eq!(claims.exp - claims.iat, config::DEFAULT_TOKEN_TTL_SECS);
}

#[tokio::test]
async fn a_pull_only_account_is_refused_a_push() {
    let auth = registry().await;
    let push = [repo("team/app", &[Action::Pull, Action::Push])];

    let denial = auth.authorize(&basic("reader", "reader-pw"), &push).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);
    assert_eq!(denial.message, "reader may not push on team/app");

    let token = token(&auth, Some(("reader", "reader-pw")), &push).await;
    assert_eq!(claims_of(&token).scopes(), vec![repo("team/app", &[Action::Pull])]);
    let denial = auth.authorize(&bearer(&token), &push).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);
    assert_eq!(denial.status(), 403);
}

#[tokio::test]
async fn an_account_granted_team_cannot_read_other() {
    let auth = registry().await;
    let read_other = [repo("other/x", &[Action::Pull])];

    let denial = auth.authorize(&basic("alice", "alice-pw"), &read_other).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);

    let token = token(&auth, Some(("alice", "alice-pw")), &read_other).await;
    assert!(claims_of(&token).access.is_empty());
    let denial = auth.authorize(&bearer(&token), &read_other).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);

    let read_team = [repo("team/deep/app", &[Action::Pull])];
    assert!(auth.authorize(&basic("alice", "alice-pw"), &read_team).await.is_ok());
}

#[tokio::test]
async fn anonymous_pull_works_only_where_enabled() {
    let auth = registry().await;
    let none = HeaderMap::new();

    let principal = auth.authorize(&none, &[repo("public/tool", &[Action::Pull])]).await.unwrap();
    assert!(principal.is_anonymous());

    let denial = auth.authorize(&none, &[repo("team/app", &[Action::Pull])]).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert_eq!(
        denial.challenge.as_deref(),
        Some(
            "Bearer realm=\"https://registry.example/token\",service=\"registry.example\",\
             scope=\"repository:team/app:pull\""
        )
    );
    let push = [repo("public/tool", &[Action::Pull, Action::Push])];
    assert_eq!(auth.authorize(&none, &push).await.unwrap_err().kind, DenialKind::Unauthorized);

    // The Docker flow: an anonymous token, granting pull where it is public and nothing else.
    let requested =
        [repo("public/tool", &[Action::Pull, Action::Push]), repo("team/app", &[Action::Pull])];
    let token = token(&auth, None, &requested).await;
    assert_eq!(claims_of(&token).scopes(), vec![repo("public/tool", &[Action::Pull])]);
    let pull_public = [repo("public/tool", &[Action::Pull])];
    assert!(auth.authorize(&bearer(&token), &pull_public).await.is_ok());
    let denial = auth.authorize(&bearer(&token), &[repo("team/app", &[Action::Pull])]).await;
    assert_eq!(denial.unwrap_err().kind, DenialKind::Unauthorized);
}

#[tokio::test]
async fn anonymous_pull_is_off_unless_configured() {
    let admin_only = config(&[("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", ADMIN_PASSWORD)]);
    let auth = Auth::new(admin_only, MemoryKv::new(), ORIGIN);
    let pull = [repo("public/tool", &[Action::Pull])];
    assert!(auth.authorize(&HeaderMap::new(), &pull).await.is_err());
    assert!(auth.authorize(&HeaderMap::new(), &[Scope::Catalog]).await.is_err());
}

#[tokio::test]
async fn the_base_endpoint_challenges_anonymous_callers_without_a_scope() {
    let auth = registry().await;
    let denial = auth.authorize(&HeaderMap::new(), &[]).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert_eq!(
        denial.challenge.as_deref(),
        Some("Bearer realm=\"https://registry.example/token\",service=\"registry.example\"")
    );
    assert!(auth.authorize(&basic("alice", "alice-pw"), &[]).await.is_ok());
    let token = token(&auth, Some(("alice", "alice-pw")), &[]).await;
    assert!(auth.authorize(&bearer(&token), &[]).await.is_ok());
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let auth = registry().await;
    let long_ago = now_secs() - 3_600;
    let claims = token::Claims {
        iss: token::ISSUER.into(),
        sub: "alice".into(),
        aud: SERVICE.into(),
        exp: long_ago + 900,
        nbf: long_ago,
        iat: long_ago,
        jti: "old".into(),
        access: vec![Access::from_scope(&repo("team/app", &[Action::Pull]))],
    };
    let expired = token::sign(&SigningKey::new(SECRET.as_bytes()), &claims);

    let denial = auth.authorize(&bearer(&expired), &[repo("team/app", &[Action::Pull])]).await;
    let denial = denial.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert_eq!(denial.message, "the token has expired");
    assert!(denial.challenge.unwrap().ends_with("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let auth = registry().await;
    let token =
        token(&auth, Some(("reader", "reader-pw")), &[repo("team/app", &[Action::Pull])]).await;

    // Re-signed with another key, granting more.
    let mut claims = claims_of(&token);
    claims.access = vec![Access::from_scope(&repo("team/app", &Action::ALL))];
    let forged = token::sign(&SigningKey::new(b"guessed key".to_vec()), &claims);
    let push = [repo("team/app", &[Action::Push])];
    let denial = auth.authorize(&bearer(&forged), &push).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert_eq!(denial.message, "the token's signature does not match");

    // One character of the signature changed.
    let mut bytes = token.into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(bytes).unwrap();
    let pull = [repo("team/app", &[Action::Pull])];
    assert_eq!(
        auth.authorize(&bearer(&flipped), &pull).await.unwrap_err().kind,
        DenialKind::Unauthorized
    );
}

#[tokio::test]
async fn a_wrongly_scoped_token_is_refused() {
    let auth = registry().await;
    let token = token(&auth, Some(("alice", "alice-pw")), &[repo("team/a", &[Action::Pull])]).await;

    // alice may push team/a, but this token does not say so: 403 with a challenge naming the
    // scope to fetch another token for.
    let push_a = [repo("team/a", &[Action::Pull, Action::Push])];
    let denial = auth.authorize(&bearer(&token), &push_a).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);
    assert!(
        denial
            .challenge
            .unwrap()
            .ends_with("scope=\"repository:team/a:pull,push\",error=\"insufficient_scope\"")
    );

    // Another repository alice may read: same answer; one she may not: 403 without challenge.
    let denial = auth.authorize(&bearer(&token), &[repo("team/b", &[Action::Pull])]).await;
    assert!(denial.unwrap_err().challenge.is_some());
    let denial = auth.authorize(&bearer(&token), &[repo("other/x", &[Action::Pull])]).await;
    let denial = denial.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);
    assert_eq!(denial.challenge, None);
}

#[tokio::test]
async fn a_token_for_another_registry_is_refused() {
    let auth = registry().await;
    let token = token(&auth, Some(("alice", "alice-pw")), &[repo("team/a", &[Action::Pull])]).await;
    let elsewhere = Auth::new(auth.config().clone(), MemoryKv::new(), "https://mirror.example");
    let denial = elsewhere.authorize(&bearer(&token), &[repo("team/a", &[Action::Pull])]).await;
    assert_eq!(denial.unwrap_err().message, "the token is for another service");

    let wrong_service = auth.issue_token(None, &[], Some("mirror.example")).await.unwrap_err();
    assert_eq!(wrong_service.kind, DenialKind::Forbidden);
}

#[tokio::test]
async fn failed_logins_are_logged_by_name_without_the_password() {
    let auth = registry().await;
    let pull = [repo("team/app", &[Action::Pull])];

    let denial = auth.authorize(&basic("alice", "not-her-password"), &pull).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
    assert_eq!(denial.message, "incorrect username or password");
    assert_eq!(denial.reason, "login failed for \"alice\": wrong password");

    let mallory = Credentials::basic_header("mallory", "s3cret!");
    let denial = auth.issue_token(Some(&mallory), &pull, None).await.unwrap_err();
    assert_eq!(denial.reason, "login failed for \"mallory\": no such account");
    assert!(
        denial.challenge.unwrap().starts_with("Basic realm=\"https://registry.example/token\"")
    );

    let denial = auth.authorize(&basic("admin", "s3cret!"), &pull).await.unwrap_err();
    assert!(!format!("{denial:?}").contains("s3cret!"));
}

#[tokio::test]
async fn the_token_endpoint_wants_basic_credentials_not_a_token() {
    let auth = registry().await;
    let token = token(&auth, Some(("alice", "alice-pw")), &[]).await;
    let denial = auth.issue_token(Some(&format!("Bearer {token}")), &[], None).await;
    assert_eq!(denial.unwrap_err().kind, DenialKind::Unauthorized);
    let denial = auth.issue_token(Some("Basic %%%"), &[], None).await;
    assert_eq!(denial.unwrap_err().kind, DenialKind::Unauthorized);
}

#[tokio::test]
async fn the_catalog_shows_what_the_caller_may_pull() {
    let auth = registry().await;
    let token = token(&auth, Some(("alice", "alice-pw")), &[Scope::Catalog]).await;
    let principal = auth.authorize(&bearer(&token), &[Scope::Catalog]).await.unwrap();
    assert!(principal.may(Action::Pull, &name("team/app")));
    assert!(!principal.may(Action::Pull, &name("other/x")));
    assert!(!principal.may(Action::Push, &name("team/app")), "listing grants pull only");

    let anonymous = auth.authorize(&HeaderMap::new(), &[Scope::Catalog]).await.unwrap();
    assert!(anonymous.may(Action::Pull, &name("public/tool")));
    assert!(!anonymous.may(Action::Pull, &name("team/app")));
}

#[tokio::test]
async fn a_mount_source_needs_pull() {
    let auth = registry().await;
    let requested =
        [repo("team/app", &[Action::Pull, Action::Push]), repo("other/x", &[Action::Pull])];
    let token = token(&auth, Some(("alice", "alice-pw")), &requested).await;
    let principal = auth.authorize(&bearer(&token), &requested[..1]).await.unwrap();
    assert!(principal.may(Action::Push, &name("team/app")));
    assert!(!principal.may(Action::Pull, &name("other/x")), "falls back to an upload");
}

#[tokio::test]
async fn without_a_key_only_anonymous_tokens_exist() {
    let kv = MemoryKv::new();
    Accounts::new(&kv).put("alice", &account("alice-pw", &["team/*:pull"], false)).await.unwrap();
    let auth = Auth::new(config(&[("ANONYMOUS_PULL", "public/*")]), kv, ORIGIN);

    let login = Some(Credentials::basic_header("alice", "alice-pw"));
    let denial = auth.issue_token(login.as_deref(), &[], None).await.unwrap_err();
    assert!(denial.message.contains("TOKEN_SECRET"), "{}", denial.message);

    let pull = [repo("public/tool", &[Action::Pull])];
    let anonymous = auth.issue_token(None, &pull, None).await.unwrap().token;
    assert!(auth.authorize(&bearer(&anonymous), &pull).await.is_ok());

    // Anyone can sign with the anonymous-only key, so it never vouches for an account.
    let claims = token::Claims {
        sub: "alice".into(),
        access: vec![Access::from_scope(&repo("team/app", &[Action::Pull]))],
        ..token::verify(&SigningKey::new(ANONYMOUS_ONLY_KEY), &anonymous, SERVICE, now_secs())
            .unwrap()
    };
    let forged = token::sign(&SigningKey::new(ANONYMOUS_ONLY_KEY), &claims);
    let denial = auth.authorize(&bearer(&forged), &[repo("team/app", &[Action::Pull])]).await;
    assert_eq!(denial.unwrap_err().kind, DenialKind::Unauthorized);

    // Basic credentials still work.
    let basic = basic("alice", "alice-pw");
    assert!(auth.authorize(&basic, &[repo("team/app", &[Action::Pull])]).await.is_ok());
}

#[tokio::test]
async fn without_token_secret_the_key_is_derived_from_the_admin_password() {
    let before = config(&[("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", ADMIN_PASSWORD)]);
    let auth = Auth::new(before, MemoryKv::new(), ORIGIN);
    let pull = [repo("x", &[Action::Pull])];
    let token = token(&auth, Some(("admin", ADMIN_PASSWORD)), &pull).await;
    assert!(auth.authorize(&bearer(&token), &pull).await.is_ok());

    let changed =
        config(&[("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", "a-new-admin-password")]);
    let after_change = Auth::new(changed, MemoryKv::new(), ORIGIN);
    assert!(after_change.authorize(&bearer(&token), &pull).await.is_err());
}

#[tokio::test]
async fn a_deleted_account_can_no_longer_log_in() {
    let auth = registry().await;
    auth.accounts().delete("alice").await.unwrap();
    let denial = auth.authorize(&basic("alice", "alice-pw"), &[]).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthorized);
}

#[tokio::test]
async fn an_admin_account_in_kv_may_administer_and_do_everything() {
    let auth = registry().await;
    auth.accounts().put("boss", &account("boss-pw", &[], true)).await.unwrap();
    let all = [repo("x/y", &Action::ALL), Scope::Admin];

    let principal = auth.authorize(&basic("boss", "boss-pw"), &all).await.unwrap();
    assert_eq!(principal.subject, Subject::Account("boss".into()));
    assert!(principal.is_admin());

    let token = token(&auth, Some(("boss", "boss-pw")), &all).await;
    assert!(auth.authorize(&bearer(&token), &all).await.unwrap().is_admin());

    let denial = auth.authorize(&basic("alice", "alice-pw"), &[Scope::Admin]).await.unwrap_err();
    assert_eq!(denial.kind, DenialKind::Forbidden);
    assert_eq!(denial.message, "alice may not administer the registry");
}

#[tokio::test]
async fn a_malformed_authorization_header_is_a_401_not_a_panic() {
    let auth = registry().await;
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, HeaderValue::from_bytes(b"Basic \xff").unwrap());
    for headers in [headers, with("Digest abc"), with("Basic !!"), with("Bearer")] {
        let denial = auth.authorize(&headers, &[]).await.unwrap_err();
        assert_eq!(denial.kind, DenialKind::Unauthorized);
    }
}
