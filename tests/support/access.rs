//! Access-control cases any [`Client`] can run: in-process (tests/access_memory.rs) and against
//! the built worker (tests/e2e_access.rs). Each works under its own namespace `ns`.
//!
//! The registry must be started with the secrets of [`super::auth`]; the anonymous-pull case
//! also with `ANONYMOUS_PULL` = [`PUBLIC`].

use edge_registry::auth::token::{self, Access, Claims, SigningKey};
use edge_registry::auth::{Action, Actions, Scope};
use edge_registry::oci::RepoName;
use serde_json::{Value, json};

use super::auth::{self, admin_password, admin_username, token_secret};
use super::cases::{self, LA, M1, OCI_MANIFEST};
use super::client::{Client, ReqBody, Resp};

/// What `ANONYMOUS_PULL` is set to where the anonymous case runs.
pub const PUBLIC: &str = "public/*";
const NONE: (&str, &str) = ("authorization", "");

fn expect(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {} {}", resp.status, resp.text());
}

/// A refusal: the status, the OCI envelope's code, and a challenge exactly on 401.
fn refused(resp: &Resp, status: u16, code: &str, what: &str) {
    expect(resp, status, what);
    assert_eq!(resp.error_code(), code, "{what}: {}", resp.text());
    let challenge = resp.header("www-authenticate");
    assert_eq!(challenge.is_some(), status == 401, "{what}: challenge {challenge:?}");
}

/// A token refused for lacking scopes its holder may have: 403 `DENIED` with a challenge
/// naming them, so the client fetches another token.
fn insufficient_scope(resp: &Resp, scope: &str, what: &str) {
    expect(resp, 403, what);
    assert_eq!(resp.error_code(), "DENIED", "{what}: {}", resp.text());
    let challenge = resp.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains(&format!("scope=\"{scope}\"")), "{what}: {challenge}");
    assert!(challenge.ends_with("error=\"insufficient_scope\""), "{what}: {challenge}");
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A parameter of a `WWW-Authenticate: Bearer …` challenge.
fn challenge_param(resp: &Resp, name: &str) -> Option<String> {
    let header = resp.header("www-authenticate")?.strip_prefix("Bearer ")?;
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let value = &header[start..];
    Some(value[..value.find('"')?].to_owned())
}

/// The token realm as a path, and the service, from the challenge of an anonymous `/v2/`.
pub fn token_endpoint(c: &dyn Client) -> (String, String) {
    let base = c.send("GET", "/v2/", &[NONE], ReqBody::Empty);
    let realm = challenge_param(&base, "realm").expect("a realm");
    let service = challenge_param(&base, "service").expect("a service");
    let path = realm.split_once("://").map_or(realm.as_str(), |(_, rest)| rest);
    let path = &path[path.find('/').expect("a realm path")..];
    (path.to_owned(), service)
}

/// `GET /token` as `authorization` (`""`: anonymously) for `scopes`.
pub fn fetch_token(c: &dyn Client, authorization: &str, scopes: &[&str]) -> Resp {
    let (path, service) = token_endpoint(c);
    let mut query = format!("service={service}");
    for scope in scopes {
        query.push_str("&scope=");
        query.extend(form_urlencoded::byte_serialize(scope.as_bytes()));
    }
    c.send("GET", &format!("{path}?{query}"), &[("authorization", authorization)], ReqBody::Empty)
}

/// A token for `user` with `scopes`; panics unless one is issued.
pub fn token_for(c: &dyn Client, user: (&str, &str), scopes: &[&str]) -> String {
    let resp = fetch_token(c, &auth::basic(user.0, user.1), scopes);
    expect(&resp, 200, "GET /token");
    let json = resp.json();
    assert_eq!(json["token"], json["access_token"]);
    assert!(json["expires_in"].as_u64().is_some_and(|s| s >= 60), "{json}");
    assert!(json["issued_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{json}");
    json["token"].as_str().expect("a token").to_owned()
}

/// The scopes a token grants, read from its claims.
fn granted(token: &str) -> Vec<String> {
    let claims = token.split('.').nth(1).expect("a JWT");
    use base64ct::Encoding as _;
    let claims = base64ct::Base64UrlUnpadded::decode_vec(claims).expect("base64url claims");
    let claims: Claims = serde_json::from_slice(&claims).expect("registry claims");
    claims.scopes().iter().map(ToString::to_string).collect()
}

/// Creates account `name` with `grants` (as stored in KV) through the admin API; returns its
/// generated password.
pub fn create_account(c: &dyn Client, name: &str, grants: Value) -> String {
    let body = json!({ "name": name, "grants": grants }).to_string().into_bytes();
    let resp = c.send(
        "POST",
        "/api/accounts",
        &[("content-type", "application/json")],
        ReqBody::Bytes(body),
    );
    expect(&resp, 201, "POST /api/accounts");
    resp.json()["password"].as_str().expect("a generated password").to_owned()
}

fn grant(pattern: &str, actions: &[&str]) -> Value {
    json!({ "repository": pattern, "actions": actions })
}

/// Pushes M1 to `repo:tag` as the administrator.
fn seed(c: &dyn Client, repo: &str, tag: &str) {
    cases::push_image(c, repo, M1, &[tag]);
}

fn manifest_path(repo: &str, reference: &str) -> String {
    format!("/v2/{repo}/manifests/{reference}")
}

/// `/v2/` answers anonymous callers 401 with a challenge that names no scope, and
/// authenticated ones 200.
pub fn the_base_endpoint_challenges_anonymous_callers(c: &dyn Client) {
    let anonymous = c.send("GET", "/v2/", &[NONE], ReqBody::Empty);
    refused(&anonymous, 401, "UNAUTHORIZED", "anonymous /v2/");
    let challenge = anonymous.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer realm=\""), "{challenge}");
    assert!(challenge.contains("/token\",service=\""), "{challenge}");
    assert!(!challenge.contains("scope="), "{challenge}");

    expect(&c.get("/v2/"), 200, "the administrator's /v2/");
    let token = token_for(c, (admin_username(), admin_password()), &[]);
    expect(
        &c.send("GET", "/v2/", &[("authorization", &bearer(&token))], ReqBody::Empty),
        200,
        "a token's /v2/",
    );

    let wrong = auth::basic(admin_username(), "not-the-password");
    refused(
        &c.send("GET", "/v2/", &[("authorization", &wrong)], ReqBody::Empty),
        401,
        "UNAUTHORIZED",
        "wrong password",
    );
}

/// A request without credentials is refused with a challenge naming exactly its scope; the
/// token it leads to lets the same request through.
pub fn the_token_flow_grants_what_the_challenge_names(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/flow");
    seed(c, &repo, "v1");

    let path = manifest_path(&repo, "v1");
    let anonymous = c.send("GET", &path, &[NONE, ("accept", OCI_MANIFEST)], ReqBody::Empty);
    refused(&anonymous, 401, "UNAUTHORIZED", "anonymous pull");
    let scope = challenge_param(&anonymous, "scope").expect("a scope");
    assert_eq!(scope, format!("repository:{repo}:pull"));

    let token = token_for(c, (admin_username(), admin_password()), &[&scope]);
    assert_eq!(granted(&token), [scope]);
    let pulled = c.send(
        "GET",
        &path,
        &[("authorization", &bearer(&token)), ("accept", OCI_MANIFEST)],
        ReqBody::Empty,
    );
    expect(&pulled, 200, "pull with the token");
    assert_eq!(pulled.body, M1);
}

/// An account allowed only to pull is refused a push, with Basic credentials (403) and with
/// the token it can get (which grants pull only).
pub fn a_pull_only_account_is_refused_a_push(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/readonly/app");
    seed(c, &repo, "v1");
    let user = format!("{}-reader", ns.replace('/', "-"));
    let password = create_account(c, &user, json!([grant(&format!("{ns}/readonly/*"), &["pull"])]));
    let basic = auth::basic(&user, &password);

    let pull =
        c.send("GET", &manifest_path(&repo, "v1"), &[("authorization", &basic)], ReqBody::Empty);
    expect(&pull, 200, "pull-only account pulls");

    let put = c.send(
        "PUT",
        &manifest_path(&repo, "v2"),
        &[("authorization", &basic), ("content-type", OCI_MANIFEST)],
        ReqBody::Bytes(M1.to_vec()),
    );
    refused(&put, 403, "DENIED", "pull-only manifest PUT");

    let scope = format!("repository:{repo}:pull,push");
    let token = token_for(c, (&user, &password), &[&scope]);
    assert_eq!(granted(&token), [format!("repository:{repo}:pull")]);
    let upload = c.send(
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[("authorization", &bearer(&token))],
        ReqBody::Empty,
    );
    refused(&upload, 403, "DENIED", "pull-only upload with a token");
}

/// An account granted `<ns>/team/*` reads and writes there, and cannot read `<ns>/other/x`,
/// with Basic credentials or a token; the catalog shows it only its own repositories.
pub fn an_account_granted_team_cannot_read_other(c: &dyn Client, ns: &str) {
    let team = format!("{ns}/team/app");
    let other = format!("{ns}/other/x");
    seed(c, &other, "v1");
    seed(c, &team, "v1");
    let user = format!("{}-team", ns.replace('/', "-"));
    let grants = json!([grant(&format!("{ns}/team/*"), &["pull", "push"])]);
    let password = create_account(c, &user, grants);
    let basic = auth::basic(&user, &password);

    let pushed = c.send(
        "POST",
        &format!("/v2/{team}/blobs/uploads/?digest={}", cases::sha256(LA)),
        &[("authorization", &basic)],
        ReqBody::Bytes(LA.to_vec()),
    );
    expect(&pushed, 201, "push to the team's repository");

    let read =
        c.send("GET", &manifest_path(&other, "v1"), &[("authorization", &basic)], ReqBody::Empty);
    refused(&read, 403, "DENIED", "read outside the grant");

    let token = token_for(c, (&user, &password), &[&format!("repository:{other}:pull")]);
    assert!(granted(&token).is_empty(), "{:?}", granted(&token));
    let read = c.send(
        "GET",
        &manifest_path(&other, "v1"),
        &[("authorization", &bearer(&token))],
        ReqBody::Empty,
    );
    refused(&read, 403, "DENIED", "read outside the grant with a token");

    let catalog = c.send("GET", "/v2/_catalog", &[("authorization", &basic)], ReqBody::Empty);
    expect(&catalog, 200, "the account's catalog");
    let names: Vec<String> =
        serde_json::from_value(catalog.json()["repositories"].clone()).unwrap();
    assert!(names.contains(&team), "{names:?}");
    assert!(names.iter().all(|n| n.starts_with(&format!("{ns}/team/"))), "{names:?}");

    let token = token_for(c, (&user, &password), &["registry:catalog:*"]);
    let catalog =
        c.send("GET", "/v2/_catalog", &[("authorization", &bearer(&token))], ReqBody::Empty);
    let names: Vec<String> =
        serde_json::from_value(catalog.json()["repositories"].clone()).unwrap();
    assert_eq!(names, [team], "the token's catalog");
}

/// Anonymous callers pull under [`PUBLIC`] and nowhere else, and never push.
pub fn anonymous_pull_works_only_where_enabled(c: &dyn Client, ns: &str) {
    let public = format!("public/{ns}/tool");
    let private = format!("{ns}/private");
    seed(c, &public, "v1");
    seed(c, &private, "v1");

    let pull = c.send("GET", &manifest_path(&public, "v1"), &[NONE], ReqBody::Empty);
    expect(&pull, 200, "anonymous pull where enabled");
    let pull = c.send("GET", &manifest_path(&private, "v1"), &[NONE], ReqBody::Empty);
    refused(&pull, 401, "UNAUTHORIZED", "anonymous pull elsewhere");
    let push = c.send("POST", &format!("/v2/{public}/blobs/uploads/"), &[NONE], ReqBody::Empty);
    refused(&push, 401, "UNAUTHORIZED", "anonymous push");

    // The Docker flow: an anonymous token, granting pull where it is public and nothing else.
    let scopes = [format!("repository:{public}:pull,push"), format!("repository:{private}:pull")];
    let resp = fetch_token(c, "", &[&scopes[0], &scopes[1]]);
    expect(&resp, 200, "anonymous token");
    let token = resp.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(granted(&token), [format!("repository:{public}:pull")]);
    let with_token =
        |path: &str| c.send("GET", path, &[("authorization", &bearer(&token))], ReqBody::Empty);
    expect(&with_token(&manifest_path(&public, "v1")), 200, "anonymous token pull");
    refused(
        &with_token(&manifest_path(&private, "v1")),
        401,
        "UNAUTHORIZED",
        "anonymous token elsewhere",
    );
}

/// Where nothing is public, anonymous callers pull nothing.
pub fn anonymous_pull_is_off_unless_enabled(c: &dyn Client, ns: &str) {
    let public = format!("public/{ns}/off");
    seed(c, &public, "v1");
    let pull = c.send("GET", &manifest_path(&public, "v1"), &[NONE], ReqBody::Empty);
    refused(&pull, 401, "UNAUTHORIZED", "anonymous pull, nothing enabled");
}

/// Expired, tampered and wrongly scoped tokens are refused.
pub fn expired_tampered_and_wrongly_scoped_tokens_are_refused(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/tokens/a");
    seed(c, &repo, "v1");
    let path = manifest_path(&repo, "v1");
    let (_, service) = token_endpoint(c);
    let send =
        |token: &str| c.send("GET", &path, &[("authorization", &bearer(token))], ReqBody::Empty);

    let name = RepoName::parse(&repo).unwrap();
    let pull = Scope::repository(&name, Actions::of(&[Action::Pull]));
    let hour_ago =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            - 3_600;
    let expired = Claims {
        iss: token::ISSUER.into(),
        sub: admin_username().into(),
        aud: service,
        exp: hour_ago + 900,
        nbf: hour_ago,
        iat: hour_ago,
        jti: "expired".into(),
        access: vec![Access::from_scope(&pull)],
    };
    let expired = token::sign(&SigningKey::new(token_secret().as_bytes()), &expired);
    let resp = send(&expired);
    refused(&resp, 401, "UNAUTHORIZED", "expired token");
    assert!(resp.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));

    let good = token_for(c, (admin_username(), admin_password()), &[&pull.to_string()]);
    expect(&send(&good), 200, "the untampered token");
    let mut tampered = good.clone().into_bytes();
    let at = tampered.len() - 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    refused(&send(&String::from_utf8(tampered).unwrap()), 401, "UNAUTHORIZED", "tampered token");

    // A token for another repository: the administrator may get one for this one, so the
    // refusal names the scope to fetch; a token for pull does not let the repository be pushed.
    let scope_b = format!("repository:{ns}/tokens/b:pull");
    let other = token_for(c, (admin_username(), admin_password()), &[&scope_b]);
    insufficient_scope(&send(&other), &pull.to_string(), "token for another repository");
    let uploads = format!("/v2/{repo}/blobs/uploads/");
    let push = c.send("POST", &uploads, &[("authorization", &bearer(&good))], ReqBody::Empty);
    insufficient_scope(&push, &format!("repository:{repo}:pull,push"), "pull token used to push");
}

/// A mount from a repository the caller cannot read starts an upload (202), never 201; from
/// one it can read, it mounts.
pub fn a_mount_from_an_unreadable_repository_answers_202(c: &dyn Client, ns: &str) {
    let secret = format!("{ns}/secret");
    let digest = cases::push_blob(c, &secret, LA);
    let user = format!("{}-mounter", ns.replace('/', "-"));
    let password =
        create_account(c, &user, json!([grant(&format!("{ns}/mine/*"), &["pull", "push"])]));
    let basic = auth::basic(&user, &password);

    let mount = |from: &str| {
        let path = format!("/v2/{ns}/mine/app/blobs/uploads/?mount={digest}&from={from}");
        c.send("POST", &path, &[("authorization", &basic)], ReqBody::Empty)
    };
    let resp = mount(&secret);
    expect(&resp, 202, "mount from an unreadable repository");
    assert!(resp.header("location").is_some_and(|l| l.contains("/blobs/uploads/")));

    cases::push_blob(c, &format!("{ns}/mine/source"), LA);
    expect(&mount(&format!("{ns}/mine/source")), 201, "mount from a readable repository");
}

/// An upload session is usable only by a caller with push on its repository.
pub fn an_upload_session_needs_push(c: &dyn Client, ns: &str) {
    let repo = format!("{ns}/sessions/app");
    let location = cases::start_upload(c, &repo);
    let user = format!("{}-watcher", ns.replace('/', "-"));
    let password = create_account(c, &user, json!([grant(&format!("{ns}/sessions/*"), &["pull"])]));
    let basic = auth::basic(&user, &password);

    for method in ["GET", "PATCH", "PUT", "DELETE"] {
        let body = if method == "PATCH" { ReqBody::Bytes(b"x".to_vec()) } else { ReqBody::Empty };
        let resp = c.send(method, &location, &[("authorization", &basic)], body);
        refused(&resp, 403, "DENIED", &format!("{method} on another's upload"));
    }
    expect(&c.send("GET", &location, &[], ReqBody::Empty), 204, "the owner's upload status");
}

/// Accounts are managed by administrators only; a deleted account can no longer log in.
pub fn accounts_are_managed_by_administrators(c: &dyn Client, ns: &str) {
    let user = format!("{}-managed", ns.replace('/', "-"));
    let password = create_account(c, &user, json!([grant("*", &["pull"])]));
    let basic = auth::basic(&user, &password);

    let shown = c.get(&format!("/api/accounts/{user}"));
    expect(&shown, 200, "GET an account");
    assert_eq!(shown.json()["grants"], json!([grant("*", &["pull"])]));
    assert!(!shown.text().contains("pbkdf2"), "{}", shown.text());

    let body = json!({ "name": "intruder", "grants": [grant("*", &["push"])] }).to_string();
    let as_user = c.send(
        "POST",
        "/api/accounts",
        &[("authorization", &basic)],
        ReqBody::Bytes(body.clone().into_bytes()),
    );
    refused(&as_user, 403, "DENIED", "a non-administrator creates an account");
    let anonymous = c.send("POST", "/api/accounts", &[NONE], ReqBody::Bytes(body.into_bytes()));
    refused(&anonymous, 401, "UNAUTHORIZED", "an anonymous caller creates an account");
    let garbled = c.send("POST", "/api/accounts", &[], ReqBody::Bytes(b"{name:".to_vec()));
    refused(&garbled, 400, "UNSUPPORTED", "an account that is not JSON");
    let shadow = json!({ "name": admin_username(), "grants": [] }).to_string();
    let shadow = c.send("POST", "/api/accounts", &[], ReqBody::Bytes(shadow.into_bytes()));
    refused(&shadow, 400, "UNSUPPORTED", "an account named as the administrator");

    expect(&c.delete(&format!("/api/accounts/{user}")), 204, "DELETE an account");
    let login = fetch_token(c, &basic, &[]);
    refused(&login, 401, "UNAUTHORIZED", "a deleted account logs in");
}
