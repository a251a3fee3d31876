//! The operators' subcommands (SPEC §12.1): `payout-server shop create|list|set-status` and
//! `payout-server user reset-password`. Each opens the same store as the server (without the web
//! layer), does one thing, prints its result (plain text, or JSON with `--json`), and is audited
//! with the actor `operator`. Errors are one line on stderr and a non-zero exit.

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use payout_core::people::{validate_display_name, validate_username, OneTimePassword};
use payout_core::{Qualification, ShopStatus};
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::config::StoreArgs;
use crate::secrets::{self, ONE_TIME_PASSWORD_HOURS};
use crate::store::{self, By, Created, NewPassword, NewShop, Store};

/// Operators' commands about shops.
#[derive(Clone, Debug, Subcommand)]
pub enum ShopCommand {
    /// Creates an active shop with both accounts at 0.00, the default reasons and its main account,
    /// and prints the main account's one-time password (valid 72 hours).
    Create {
        /// The shop's name as merchants and buyers see it.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        qualification: QualificationArg,
        /// The main account's username (3–32 of a-z 0-9 . _ -).
        #[arg(long)]
        main_username: String,
        /// The main account's display name (default: the shop's name).
        #[arg(long)]
        main_display_name: Option<String>,
        /// The platform has opened the shop's aggregate account.
        #[arg(long)]
        aggregate_opened: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Lists every shop: id, name, qualification, status, main username.
    List {
        #[command(flatten)]
        out: Output,
    },
    /// Suspends a shop (no payouts, R-E6) or makes it active again.
    SetStatus {
        #[arg(long)]
        shop: i64,
        #[arg(value_enum)]
        status: StatusArg,
        #[command(flatten)]
        out: Output,
    },
}

/// Operators' commands about accounts.
#[derive(Clone, Debug, Subcommand)]
pub enum UserCommand {
    /// Gives a user a new one-time password (valid 72 hours); their sessions end and two-step
    /// verification is turned off.
    ResetPassword {
        username: String,
        #[command(flatten)]
        out: Output,
    },
}

/// Operators' commands about orders.
#[derive(Clone, Debug, Subcommand)]
pub enum OrdersCommand {
    /// Imports the platform's order file (CSV, UTF-8 or GB18030) into a shop and prints the report:
    /// the counts and each refused order with its line, column and reason.
    Import {
        #[arg(long)]
        shop: i64,
        /// The order file.
        file: std::path::PathBuf,
        #[command(flatten)]
        out: Output,
    },
}

/// Where the store is and how to print.
#[derive(Clone, Debug, Args)]
pub struct Output {
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum QualificationArg {
    Enterprise,
    Individual,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Active,
    Suspended,
}

/// A subcommand's failure: one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(String);

impl From<store::StoreError> for Failed {
    fn from(e: store::StoreError) -> Self {
        Failed(format!("store: {e}"))
    }
}

/// Runs a command again when SQLite said "database is locked" without waiting, as it does in a few
/// cases between processes (a server recovering or checkpointing its WAL while the command opens
/// the file or begins its write), despite the 30 s busy timeout. The refused transaction changed
/// nothing, and every command prints only after its last write, so the command is simply tried
/// again, five times at most.
pub async fn retrying<F, Fut>(mut command: F) -> Result<(), Failed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Failed>>,
{
    let mut attempt = 1;
    loop {
        match command().await {
            Err(Failed(message)) if message.contains("database is locked") && attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

async fn open(out: &Output) -> Result<std::sync::Arc<dyn Store>, Failed> {
    store::open(&out.store).await.map_err(|e| Failed(format!("cannot open the store: {e}")))
}

fn print(out: &Output, text: String, value: serde_json::Value) -> Result<(), Failed> {
    let line = if out.json { value.to_string() } else { text };
    writeln!(std::io::stdout(), "{line}").map_err(|e| Failed(format!("cannot write the result: {e}")))
}

async fn one_time_password() -> Result<(OneTimePassword, NewPassword), Failed> {
    let password = secrets::one_time_password();
    let expires_at = SystemClock.now().plus_seconds(ONE_TIME_PASSWORD_HOURS * 3600);
    let plain = password.0.clone();
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&plain))
        .await
        .map_err(|e| Failed(e.to_string()))?
        .map_err(|e| Failed(format!("cannot hash the password: {e}")))?;
    Ok((
        OneTimePassword { one_time_password: password, expires_at },
        NewPassword { hash, expires_at: Some(expires_at) },
    ))
}

pub async fn shop(command: ShopCommand) -> Result<(), Failed> {
    match command {
        ShopCommand::Create {
            name,
            qualification,
            main_username,
            main_display_name,
            aggregate_opened,
            out,
        } => {
            let name =
                validate_display_name(&name).map_err(|p| Failed(format!("--name: {}", p.message_en)))?;
            let username = validate_username(&main_username)
                .map_err(|p| Failed(format!("--main-username: {}", p.message_en)))?;
            let display_name = validate_display_name(main_display_name.as_deref().unwrap_or(&name))
                .map_err(|p| Failed(format!("--main-display-name: {}", p.message_en)))?;
            let qualification = match qualification {
                QualificationArg::Enterprise => Qualification::Enterprise,
                QualificationArg::Individual => Qualification::Individual,
            };
            let store = open(&out).await?;
            let (shown, password) = one_time_password().await?;
            let new = NewShop {
                name: &name,
                qualification,
                aggregate_opened,
                main_username: &username,
                main_display_name: &display_name,
                password,
            };
            let (shop_id, _) = match store.shop_create(&new, SystemClock.now()).await? {
                Created::Created(ids) => ids,
                Created::UsernameTaken => return Err(Failed(format!("the username {username} is taken"))),
            };
            let otp = shown.one_time_password.expose();
            print(
                &out,
                format!(
                    "shop {shop_id} created: {name} ({})\nmain account: {username}\none-time password: {otp}\n\
                     (shown once; valid until {}; the main account changes it at its first sign-in)",
                    qualification.as_str(),
                    shown.expires_at
                ),
                json!({"shop_id": shop_id, "name": name, "qualification": qualification, "main_username": username,
                       "one_time_password": otp, "expires_at": shown.expires_at}),
            )
        }
        ShopCommand::List { out } => {
            let shops = open(&out).await?.shops_list().await?;
            let text = if shops.is_empty() {
                "no shops yet (payout-server shop create --help)".to_owned()
            } else {
                let mut lines = vec![format!(
                    "{:>4}  {:<24}  {:<10}  {:<9}  {}",
                    "id", "name", "qualification", "status", "main"
                )];
                lines.extend(shops.iter().map(|s| {
                    format!(
                        "{:>4}  {:<24}  {:<10}  {:<9}  {}",
                        s.id,
                        s.name,
                        s.qualification.as_str(),
                        s.status.as_str(),
                        s.main_username
                    )
                }));
                lines.join("\n")
            };
            print(&out, text, json!(shops))
        }
        ShopCommand::SetStatus { shop, status, out } => {
            let status = match status {
                StatusArg::Active => ShopStatus::Active,
                StatusArg::Suspended => ShopStatus::Suspended,
            };
            let store = open(&out).await?;
            store
                .shop_set_status(shop, status, SystemClock.now())
                .await?
                .ok_or_else(|| Failed(format!("no shop {shop}")))?;
            print(
                &out,
                format!("shop {shop} is {}", status.as_str()),
                json!({"shop_id": shop, "status": status}),
            )
        }
    }
}

pub async fn user(command: UserCommand) -> Result<(), Failed> {
    match command {
        UserCommand::ResetPassword { username, out } => {
            let store = open(&out).await?;
            let wanted = payout_core::people::normalize_username(&username);
            let user =
                store.user_by_username(&wanted).await?.ok_or_else(|| Failed(format!("no user {wanted}")))?;
            let (shown, password) = one_time_password().await?;
            store
                .password_set(user.shop_id, user.user_id, By::Operator, &password, None, SystemClock.now())
                .await?;
            let otp = shown.one_time_password.expose();
            print(
                &out,
                format!(
                    "{}: new one-time password {otp}\n(shown once; valid until {}; their sessions have ended)",
                    user.username, shown.expires_at
                ),
                json!({"username": user.username, "shop_id": user.shop_id, "one_time_password": otp, "expires_at": shown.expires_at}),
            )
        }
    }
}

pub async fn orders(command: OrdersCommand) -> Result<(), Failed> {
    use payout_core::import::{choose_encoding, FileProblem, MAX_BYTES, MAX_LINES};
    let OrdersCommand::Import { shop, file, out } = command;
    let mut opened =
        std::fs::File::open(&file).map_err(|e| Failed(format!("cannot read {}: {e}", file.display())))?;
    let sniffed = crate::importer::sniff(&mut opened)
        .map_err(|e| Failed(format!("cannot read {}: {e}", file.display())))?;
    let refuse = |p: FileProblem| Failed(format!("{}: {}", file.display(), p.message_en));
    if sniffed.bytes > MAX_BYTES {
        return Err(Failed(format!("{}: larger than {} MB", file.display(), MAX_BYTES / 1024 / 1024)));
    }
    if sniffed.lines > MAX_LINES {
        return Err(refuse(FileProblem::too_many_lines()));
    }
    let s = sniffed.finish();
    let encoding = choose_encoding(s.starts_with_bom, s.valid_utf8, s.has_nul).map_err(refuse)?;
    let store = open(&out).await?;
    if !store.shops_list().await?.iter().any(|listed| listed.id == shop) {
        return Err(Failed(format!("no shop {shop}")));
    }
    let report =
        match crate::importer::import(&*store, shop, "operator", opened, encoding, SystemClock.now()).await {
            Ok(report) => report,
            Err(crate::importer::Failed::File(p)) => return Err(refuse(p)),
            Err(crate::importer::Failed::Store(e)) => return Err(e.into()),
        };
    let mut text = format!(
        "{} lines: {} orders created, {} updated, {} unchanged, {} rejected",
        report.lines,
        report.orders_created,
        report.orders_updated,
        report.orders_unchanged,
        report.orders_rejected
    );
    for r in &report.rejected {
        let column = r.column.map(|c| format!(" [{}]", c.as_str())).unwrap_or_default();
        text.push_str(&format!("\nline {} · {}{column}: {} ({})", r.line, r.order_no, r.message_en, r.code));
    }
    print(&out, text, json!(report))
}
