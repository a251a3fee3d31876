//! The payout console server. With no subcommand (or `serve`) it serves the JSON API and the built
//! SPA on one port until Ctrl-C or SIGTERM; the operators' subcommands (`shop …`, `user …`,
//! `orders import`) use the same store without the web server (SPEC §12.1).

use clap::{Parser, Subcommand};
use payout_server::config::{Config, LogFormat};
use payout_server::operator::{self, OrdersCommand, ShopCommand, UserCommand};

/// mimalloc gives freed memory back to the system: a burst of argon2 hashes (19 MiB each) does
/// not leave the process at its peak size, as glibc's allocator did (105 MiB → 4.7 GB).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "payout-server",
    version,
    about = "Small-amount payout console: JSON API and SPA on one port"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console (what `payout-server` alone does).
    Serve(Box<Config>),
    /// Create, list, suspend shops.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// Accounts: reset a password.
    #[command(subcommand)]
    User(UserCommand),
    /// Orders: import the platform's order file.
    #[command(subcommand)]
    Orders(OrdersCommand),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let done = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(config)) => serve(*config).await,
        // The operators' commands print their result, not logs.
        Some(Command::Shop(command)) => {
            operator::retrying(|| operator::shop(command.clone())).await.map_err(|e| e.to_string())
        }
        Some(Command::User(command)) => {
            operator::retrying(|| operator::user(command.clone())).await.map_err(|e| e.to_string())
        }
        Some(Command::Orders(command)) => {
            operator::retrying(|| operator::orders(command.clone())).await.map_err(|e| e.to_string())
        }
    };
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "payout_server=info,tower_http=info".into());
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        // One JSON object per line, the request's span (its id) on each.
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
    payout_server::serve(config).await.map_err(|e| {
        tracing::error!("server stopped: {e:#}");
        e.to_string()
    })
}

/// A command line clap refused, said in one line on standard error (exit 2), so scripts and
/// operators read it like every other error of the subcommands; `--help` and `--version` print as
/// clap prints them.
fn usage_error(e: clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind::{DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion};
    if matches!(e.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand) {
        e.exit();
    }
    eprintln!("{}", one_line(&e.render().to_string()));
    std::process::ExitCode::from(2)
}

/// clap's message without its usage lines, joined into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join("; ")
}
