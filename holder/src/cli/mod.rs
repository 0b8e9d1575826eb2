//! The `netid` command-line wallet (feature `cli`): argument parsing, the commands over a
//! [`Wallet`](crate::Wallet) file ([`ops`], shared with `netid-demo`), and a small blocking HTTP/1.1
//! client for the issuer's and verifiers' APIs ([`http`]).

pub mod http;
pub mod ops;

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use netid_core::{Passphrase, Suite};

use crate::{FileStorage, Wallet, WalletError, WalletOptions};

/// A command's failure: a message for the holder (never personal data beyond what they typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Messages may quote what a service or a file said: never let it drive the terminal.
        f.write_str(&printable(&self.0, true))
    }
}

/// `s` with its control characters (C0 including carriage return and escape, DEL, C1 such as
/// the one-byte CSI `U+009B`) written as `\u{..}` escapes, newlines kept when `keep_newlines`.
/// Text that came from a service or a file goes through this before it is printed, so that it
/// cannot move the cursor, rewrite earlier lines or change the terminal's state.
pub fn printable(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && !(keep_newlines && c == '\n') {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

impl std::error::Error for CliError {}

impl From<WalletError> for CliError {
    fn from(e: WalletError) -> CliError {
        CliError(match e {
            WalletError::WrongPassphrase => {
                "wrong passphrase (口令错误), or the wallet file is damaged".into()
            }
            WalletError::NotFound => {
                "no wallet at this path: create one with `netid init` (or pass --wallet)".into()
            }
            e => format!("wallet: {e}"),
        })
    }
}

impl From<crate::present::PresentError> for CliError {
    fn from(e: crate::present::PresentError) -> CliError {
        CliError(e.to_string())
    }
}

/// Shorthand.
pub type CliResult<T> = Result<T, CliError>;

/// `netid`: the netid wallet on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "netid",
    version,
    about = "netid wallet: enrol, hold and present your network identity (网络身份) credentials"
)]
pub struct Cli {
    /// Wallet file (default: $XDG_DATA_HOME/netid/wallet.netid or ~/.local/share/netid/wallet.netid).
    #[arg(long, global = true, env = "NETID_WALLET")]
    pub wallet: Option<PathBuf>,
    /// The issuer's base URL.
    #[arg(
        long,
        global = true,
        env = "NETID_ISSUER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub issuer: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty wallet with a fresh device key (passphrase from NETID_PASSPHRASE or asked).
    Init,
    /// Enrol (申领): send your ID card, face check and phone to the issuer and store the credentials.
    Enroll {
        /// The signed ID card (JSON, e.g. from `netid card-sample`).
        #[arg(long)]
        card: PathBuf,
        /// Your phone number (E.164), confirmed with a one-time code.
        #[arg(long, default_value = "+8613800138000")]
        phone: String,
        /// The code delivered to the phone (asked for when missing).
        #[arg(long)]
        code: Option<String>,
        /// The face matcher's score of your live capture (simulated).
        #[arg(long, default_value_t = 0.95)]
        face_score: f64,
        /// Suites to ask for (comma-separated; default: all three).
        #[arg(long, value_delimiter = ',')]
        suites: Vec<String>,
    },
    /// Guardian (监护人) functions.
    Guardian {
        /// What to do.
        #[command(subcommand)]
        action: GuardianCommand,
    },
    /// Show the wallet: masked name, 网号 (with a QR code), credentials, wards.
    Show {
        /// Do not print the QR code.
        #[arg(long)]
        no_qr: bool,
        /// Print only the 网号 (13 characters, no spaces), for scripts; fails without one.
        #[arg(long, conflicts_with = "no_qr")]
        netid: bool,
    },
    /// Answer a presentation request: a verifier URL (…/v1/requests/ID), a file, or JSON text.
    Present {
        /// The request.
        request: String,
        /// Consent without asking.
        #[arg(long)]
        yes: bool,
        /// Print the presentation JSON instead of sending it (it is sent only to the URL the
        /// app signed into the request, its `response_uri`).
        #[arg(long)]
        print: bool,
        /// Use this suite (default: the first the request accepts that the wallet holds).
        #[arg(long)]
        suite: Option<String>,
    },
    /// Ask the issuer for fresh credentials for this device (also: collect them after a guardian approved).
    Refresh,
    /// List the presentations made from this wallet.
    History,
    /// Write a sample ID card signed by the development card authority (for trying things out).
    CardSample {
        /// Given name (名).
        #[arg(long)]
        name: String,
        /// Family name (姓).
        #[arg(long, default_value = "王")]
        family: String,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long)]
        birth: String,
        /// Sequence code (3 digits; odd: male, even: female).
        #[arg(long, default_value_t = 42)]
        seq: u32,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Create an app signing key (for an app operator): writes the 32-byte Ed25519 seed as hex
    /// to FILE (mode 0600, refuses to overwrite) and prints the public key (base64url) to
    /// register with the issuer's `POST /v1/admin/apps`.
    AppKeygen {
        /// Where to write the key.
        file: PathBuf,
    },
}

/// `netid guardian …`.
#[derive(Debug, Subcommand)]
pub enum GuardianCommand {
    /// Approve the enrolment of a 14–17-year-old.
    Approve {
        /// The minor's 网号.
        minor_netid: String,
        /// Relation: parent or legal_guardian.
        #[arg(long, default_value = "parent")]
        relation: String,
    },
    /// List your wards as the issuer records them.
    Wards,
    /// Set which app categories a ward's credential may be shown to.
    Permissions {
        /// The minor's 网号.
        minor_netid: String,
        /// Allowed categories (comma-separated: education, government, travel, health, news,
        /// shopping, social, video, gaming, finance).
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
    },
    /// End your own guardianship of a minor (the issuer forgets the link; other guardians keep
    /// theirs).
    Unlink {
        /// The minor's 网号.
        minor_netid: String,
    },
}

/// The default wallet path.
pub fn default_wallet_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("netid").join("wallet.netid")
}

/// The passphrase: `NETID_PASSPHRASE`, else one line read from the terminal.
///
/// # Errors
/// Nothing could be read, or it is empty.
pub fn passphrase(confirm: bool) -> CliResult<Passphrase> {
    if let Ok(p) = std::env::var("NETID_PASSPHRASE") {
        if !p.is_empty() {
            return Ok(Passphrase::new(p));
        }
    }
    let first = prompt("口令 / passphrase: ")?;
    if confirm && prompt("again / 再次输入: ")? != first {
        return Err(CliError("the passphrases differ".into()));
    }
    if first.is_empty() {
        return Err(CliError("empty passphrase".into()));
    }
    Ok(Passphrase::new(first))
}

/// Prints `question` and reads one line from stdin (without the line end).
///
/// # Errors
/// End of input or an I/O error.
pub fn prompt(question: &str) -> CliResult<String> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("reading stdin: {e}")))?;
    if n == 0 {
        return Err(CliError(format!(
            "no answer to \"{}\" (stdin closed)",
            question.trim()
        )));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Parses a suite name (`bbs-sha256`, `bbs-shake256`, `groth16`).
///
/// # Errors
/// An unknown name.
pub fn parse_suite(name: &str) -> CliResult<Suite> {
    Suite::ALL
        .into_iter()
        .find(|s| s.name() == name.trim())
        .ok_or_else(|| {
            CliError(format!(
                "unknown suite {name:?} (bbs-sha256, bbs-shake256, groth16)"
            ))
        })
}

fn open(path: &PathBuf) -> CliResult<Wallet<FileStorage>> {
    let pass = passphrase(false)?;
    Ok(Wallet::open(
        FileStorage::new(path),
        &pass,
        WalletOptions::new(),
    )?)
}

/// Runs `cli`.
///
/// # Errors
/// Any command's failure.
pub fn run(cli: Cli) -> CliResult<()> {
    let path = cli.wallet.clone().unwrap_or_else(default_wallet_path);
    let issuer = cli.issuer.trim_end_matches('/').to_owned();
    match cli.command {
        Command::Init => ops::init(&path),
        Command::Enroll {
            card,
            phone,
            code,
            face_score,
            suites,
        } => {
            let card = ops::read_card(&card)?;
            let suites = suites
                .iter()
                .map(|s| parse_suite(s))
                .collect::<CliResult<Vec<_>>>()?;
            let mut w = open(&path)?;
            let mut code_source = |_: &str| match &code {
                Some(c) => Ok(c.clone()),
                None => prompt("验证码 / code sent to your phone: "),
            };
            ops::enroll(
                &mut w,
                &path,
                &issuer,
                &card,
                &phone,
                &mut code_source,
                face_score,
                &suites,
                None,
            )
            .map(|_| ())
        }
        Command::Guardian { action } => {
            let mut w = open(&path)?;
            match action {
                GuardianCommand::Approve {
                    minor_netid,
                    relation,
                } => ops::guardian_approve(&mut w, &issuer, &minor_netid, &relation).map(|_| ()),
                GuardianCommand::Wards => ops::guardian_wards(&mut w, &issuer),
                GuardianCommand::Permissions { minor_netid, allow } => {
                    ops::guardian_permissions(&mut w, &issuer, &minor_netid, &allow)
                }
                GuardianCommand::Unlink { minor_netid } => {
                    ops::guardian_unlink(&mut w, &issuer, &minor_netid)
                }
            }
        }
        Command::Show { no_qr, netid } => {
            let w = open(&path)?;
            if netid {
                ops::show_netid(&w)
            } else {
                ops::show(&w, !no_qr)
            }
        }
        Command::Present {
            request,
            yes,
            print,
            suite,
        } => {
            let suite = suite.as_deref().map(parse_suite).transpose()?;
            let mut w = open(&path)?;
            let opts = ops::PresentOptions {
                suite,
                print,
                issuer_fallback: Some(issuer),
            };
            let mut consent = || -> CliResult<bool> {
                if yes {
                    return Ok(true);
                }
                let a = prompt("同意出示？/ Present this? [y/N] ")?;
                Ok(matches!(a.trim(), "y" | "Y" | "yes" | "是"))
            };
            let outcome = ops::present(&mut w, &request, &opts, &mut consent)?;
            match outcome.verdict {
                ops::Verdict::Accepted(_) | ops::Verdict::Printed => Ok(()),
                ops::Verdict::Declined => Err(CliError("declined: nothing was sent".into())),
                ops::Verdict::Rejected(r) => Err(CliError(format!(
                    "the verifier rejected the presentation: {}",
                    r.error_text()
                ))),
            }
        }
        Command::Refresh => {
            let mut w = open(&path)?;
            ops::refresh(&mut w, &path, &issuer).map(|_| ())
        }
        Command::History => ops::history(&open(&path)?),
        Command::CardSample {
            name,
            family,
            birth,
            seq,
            out,
        } => ops::card_sample(&name, &family, &birth, seq, &out),
        Command::AppKeygen { file } => ops::app_keygen(&file),
    }
}

/// The `netid` binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netid: {e}");
            ExitCode::FAILURE
        }
    }
}
