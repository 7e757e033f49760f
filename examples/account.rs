//! Prints the KV entry of a registry account, and the `wrangler` command that stores it.
//!
//! ```text
//! cargo run --example account -- <name> [<pattern>:<actions> ...] [--admin] [--rounds N]
//! cargo run --example account -- ci 'team/*:pull,push' 'base/*:pull'
//! ```
//!
//! The password is read from `ACCOUNT_PASSWORD` when set, else generated and printed once.
//! Patterns: `*`, a prefix ending in `*` (`team/*`), or a repository name; actions: `pull`,
//! `push`, `delete` or `*`.

use std::process::ExitCode;

use edge_registry::auth::account::{PREFIX, check_name};
use edge_registry::auth::password::{self, DEFAULT_ROUNDS};
use edge_registry::auth::{Account, Grant};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("account: {message}");
            eprintln!(
                "usage: cargo run --example account -- <name> [<pattern>:<actions> ...] \
                 [--admin] [--rounds N]"
            );
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut args = args.into_iter();
    let name = args.next().ok_or("no account name")?;
    check_name(&name)?;

    let (mut grants, mut admin, mut rounds) = (Vec::new(), false, DEFAULT_ROUNDS);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--admin" => admin = true,
            "--rounds" => {
                let value = args.next().ok_or("--rounds needs a number")?;
                rounds =
                    value.parse().map_err(|_| format!("--rounds {value:?} is not a number"))?;
            }
            grant => grants.push(Grant::parse(grant)?),
        }
    }
    if grants.is_empty() && !admin {
        return Err("grant something (e.g. 'team/*:pull,push') or pass --admin".into());
    }

    let (secret, generated) = match std::env::var("ACCOUNT_PASSWORD") {
        Ok(secret) if !secret.is_empty() => (secret, false),
        _ => (password::random_password()?, true),
    };
    let account = Account { password_hash: password::hash(&secret, rounds)?, grants, admin };
    let value = serde_json::to_string(&account).map_err(|e| e.to_string())?;
    let key = format!("{PREFIX}{name}");

    if generated {
        println!("password for {name} (shown once): {secret}");
    }
    println!("KV key:   {key}");
    println!("KV value: {value}");
    println!();
    println!("deployed:  npx wrangler kv key put --binding KV --remote '{key}' '{value}'");
    println!("locally:   npx wrangler kv key put --binding KV --local '{key}' '{value}'");
    Ok(())
}
