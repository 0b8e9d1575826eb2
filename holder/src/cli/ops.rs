//! The wallet's operations behind the commands (blocking; shared by the commands and `netid-demo`).
//! Each prints readable progress lines to stdout and returns what the caller may need.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use netid_circuits::keys::{default_key_dir_or_err, ProvingKeys, DEV_SEED};
use netid_core::card::{CardAuthority, CardContents, CardName, FaceSample, SignedCard};
use netid_core::issuer_api::GuardianRelation as IssuerRelation;
use netid_core::issuer_api::{
    enrol_pop_message, refresh_pop_message, ApproveRequest, BindingCommitment, EnrolRequest,
    EnrolResponse, GuardianProof, GuardianRequestResponse, IssuedCredential, PermissionsRequest,
    PhoneProof, PhoneStartResponse, RefreshRequest, RevocationBucket, UnlinkRequest, WardInfo,
    WardsRequest, GUARDIAN_CATEGORIES,
};
use netid_core::{
    DocType, Groth16Setup, HolderSecret, IssuerMetadata, Presentation, PresentationRequest,
    Statements, Suite,
};
use serde_json::json;

use super::http::{self, Response};
use super::{passphrase, CliError, CliResult};
use crate::present::{self, describe_statements};
use crate::{
    group_netid, CredentialRecord, CredentialStatus, FileStorage, GuardianRelation, HistoryEntry,
    PseudonymTag, Wallet, WalletOptions, Ward,
};

/// The wallet type the CLI uses.
pub type FileWallet = Wallet<FileStorage>;

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn err(m: impl Into<String>) -> CliError {
    CliError(m.into())
}

fn to_json<T: serde::Serialize>(v: &T) -> CliResult<String> {
    serde_json::to_string(v).map_err(|e| err(format!("encoding JSON: {e}")))
}

/// The 网号 without display spaces or dashes.
pub fn plain_netid(n: &str) -> String {
    n.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// `GET {issuer}/v1/metadata`: the signed document, its signature checked under the key it
/// names, validated. Pins nothing: the wallet's commands use [`fetch_pinned_metadata`].
///
/// # Errors
/// Network, HTTP and format errors; a bad signature.
pub fn fetch_metadata(issuer: &str) -> CliResult<IssuerMetadata> {
    let signed: netid_core::SignedMetadata =
        http::get(&format!("{issuer}/v1/metadata"))?.json("issuer metadata")?;
    signed
        .open(None)
        .map_err(|e| err(format!("issuer metadata: {e}")))
}

/// [`fetch_metadata`] as the wallet accepts it (specs/revocation.md §5): under the metadata
/// key pinned for `issuer` (on first use: the one the document names, pinned and said), and
/// never older than the last document accepted. The pin is saved with the wallet.
///
/// # Errors
/// Network, HTTP and format errors; [`crate::WalletError::MetadataRefused`] (another key, a bad
/// signature, a rollback); saving the wallet.
pub fn fetch_pinned_metadata(w: &mut FileWallet, issuer: &str) -> CliResult<IssuerMetadata> {
    let issuer = issuer.trim_end_matches('/');
    let signed: netid_core::SignedMetadata =
        http::get(&format!("{issuer}/v1/metadata"))?.json("issuer metadata")?;
    let first = w.issuer_pin(issuer).is_none();
    let meta = match w.accept_metadata(issuer, &signed) {
        Err(crate::WalletError::EpochGap { after, before }) => {
            // Several epochs sealed since the wallet last looked: the records between link
            // the new ones to the one it holds.
            let bridge = fetch_epoch_records(issuer, after, before)?;
            w.accept_metadata_bridged(issuer, &signed, &bridge)?
        }
        other => other?,
    };
    if first {
        println!(
            "   签发方密钥 / issuer metadata key pinned on first use: {}",
            hex::encode(meta.metadata_key.as_slice())
        );
    }
    w.save()?;
    Ok(meta)
}

/// The signed epoch records of `issuer` after epoch `after` and before `before`, oldest first
/// (`GET /v1/epochs/records`, page by page, at most [`netid_core::MAX_EPOCH_BRIDGE`]).
/// [`crate::Wallet::accept_metadata_bridged`] checks them.
///
/// # Errors
/// Network, HTTP and format errors; too many records between.
fn fetch_epoch_records(
    issuer: &str,
    after: u64,
    before: u64,
) -> CliResult<Vec<netid_core::SignedEpochRecord>> {
    let mut out = Vec::new();
    let mut from = Some(after);
    while let Some(after) = from {
        let page: netid_core::issuer_api::EpochRecords = http::get(&format!(
            "{issuer}/v1/epochs/records?after={after}&limit={}",
            netid_core::issuer_api::MAX_EPOCH_RECORDS_PAGE
        ))?
        .json("epoch records")?;
        from = netid_core::take_bridge_page(page.records, after, before, &mut out)
            .map_err(|e| err(format!("the issuer's epoch records: {e}")))?;
    }
    Ok(out)
}

/// The Groth16 proving keys matching the issuer's published verifying key (loaded once per
/// process): a ceremony's from `$NETID_GROTH16_KEYS` (the directory `netid-circuits import-zkey`
/// wrote), or — with a warning — the development keys when the issuer runs those.
///
/// # Errors
/// The issuer does not offer the suite, the keys cannot be read or created, or they are not
/// the issuer's.
pub fn proving_keys(meta: &IssuerMetadata) -> CliResult<&'static ProvingKeys> {
    static KEYS: OnceLock<ProvingKeys> = OnceLock::new();
    let keys = match KEYS.get() {
        Some(k) => k,
        None => {
            let keys = match meta.groth16_setup {
                Groth16Setup::None => {
                    return Err(err("the issuer does not offer the groth16 suite"));
                }
                Groth16Setup::Development => {
                    let dir = default_key_dir_or_err().map_err(|e| err(e.to_string()))?;
                    println!(
                        "   ⚠ 警告 / warning: the issuer runs DEVELOPMENT Groth16 keys — their trapdoor \
                         is public and anyone can forge proofs against them; fine for a demo, \
                         never for real use"
                    );
                    println!(
                        "   … Groth16 proving keys from {} (the first run makes the development setup: a minute or more)",
                        dir.display()
                    );
                    ProvingKeys::load_or_dev_setup(&dir, DEV_SEED).map_err(|e| {
                        err(format!("Groth16 proving keys in {}: {e}", dir.display()))
                    })?
                }
                Groth16Setup::Ceremony => {
                    let dir = std::env::var_os("NETID_GROTH16_KEYS")
                        .filter(|d| !d.is_empty())
                        .map(PathBuf::from)
                        .ok_or_else(|| {
                            err(
                                "the issuer runs ceremony Groth16 keys: set NETID_GROTH16_KEYS to \
                                 the directory that `netid-circuits import-zkey` wrote from the \
                                 published .zkey",
                            )
                        })?;
                    ProvingKeys::load_ceremony(&dir).map_err(|e| err(e.to_string()))?
                }
            };
            KEYS.get_or_init(|| keys)
        }
    };
    let ours = keys.verifier().to_bytes().map_err(|e| err(e.to_string()))?;
    if ours != meta.groth16_verifying_key.as_slice() {
        return Err(err(
            "the Groth16 proving keys here do not match the issuer's published verifying key",
        ));
    }
    Ok(keys)
}

/// `netid init`.
///
/// # Errors
/// The wallet exists, or cannot be written.
pub fn init(path: &Path) -> CliResult<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| err(format!("creating {}: {e}", dir.display())))?;
    }
    let pass = passphrase(true)?;
    let w = Wallet::create(FileStorage::new(path), &pass, WalletOptions::new(), now()).map_err(
        |e| match e {
            crate::WalletError::AlreadyExists => {
                err(format!("{} already holds a wallet", path.display()))
            }
            e => CliError::from(e),
        },
    )?;
    println!("已创建钱包 / wallet created: {}", path.display());
    println!(
        "设备密钥 / device key: {}… (bound to the credentials you enrol)",
        &hex::encode(w.device_key().public_key())[..16]
    );
    Ok(())
}

/// Reads a signed ID card (JSON).
///
/// # Errors
/// Unreadable or malformed file.
pub fn read_card(path: &Path) -> CliResult<SignedCard> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("reading the card {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| err(format!("the card {}: {e}", path.display())))
}

/// A GB 11643 ID number in Beijing Xicheng (110105) born on `birth` with sequence code `seq`.
///
/// # Errors
/// A date out of range.
pub fn sample_id_number(birth: netid_core::Date, seq: u32) -> CliResult<String> {
    let (y, m, d) = birth.ymd();
    let body = format!("110105{y:04}{m:02}{d:02}{:03}", seq % 1000);
    let b: [u8; 17] = body
        .as_bytes()
        .try_into()
        .map_err(|_| err("birth year out of range"))?;
    let c = netid_core::card::id_number_check_character(&b).ok_or_else(|| err("bad ID number"))?;
    Ok(format!("{body}{}", c as char))
}

/// A sample card signed by the development card authority.
///
/// # Errors
/// A bad date.
pub fn sample_card(
    given: &str,
    family: &str,
    birth: netid_core::Date,
    seq: u32,
) -> CliResult<SignedCard> {
    Ok(CardAuthority::development().sign(CardContents {
        name: CardName {
            family: family.into(),
            given: given.into(),
        },
        id_number: sample_id_number(birth, seq)?,
        birthdate: birth,
        sex: if seq % 2 == 1 {
            netid_core::card::Sex::Male
        } else {
            netid_core::card::Sex::Female
        },
        doc_type: DocType::ResidentIdCard,
        valid_from: netid_core::Date::from_ymd(2020, 1, 1).map_err(|e| err(e.to_string()))?,
        valid_until: None,
        card_authority: Some("北京市公安局西城分局".into()),
        photo: None,
    }))
}

/// Parses `YYYY-MM-DD`.
///
/// # Errors
/// Malformed or impossible dates.
pub fn parse_date(s: &str) -> CliResult<netid_core::Date> {
    let bad = || err(format!("{s:?}: expected a date YYYY-MM-DD"));
    let mut it = s.trim().splitn(3, '-');
    let mut next = || {
        it.next()
            .and_then(|p| p.parse::<u32>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next()?, next()?, next()?);
    let y = u16::try_from(y).map_err(|_| bad())?;
    let m = u8::try_from(m).map_err(|_| bad())?;
    let d = u8::try_from(d).map_err(|_| bad())?;
    netid_core::Date::from_ymd(y, m, d).map_err(|e| err(format!("{s:?}: {e}")))
}

/// `netid card-sample`.
///
/// # Errors
/// Bad arguments or an unwritable file.
pub fn card_sample(given: &str, family: &str, birth: &str, seq: u32, out: &Path) -> CliResult<()> {
    let card = sample_card(given, family, parse_date(birth)?, seq)?;
    let text = serde_json::to_string_pretty(&card).map_err(|e| err(e.to_string()))?;
    std::fs::write(out, text).map_err(|e| err(format!("writing {}: {e}", out.display())))?;
    println!(
        "sample card for {} written to {} (signed by the development card authority: only an issuer started with --trust-dev-card-authority accepts it)",
        crate::mask_name(family, given),
        out.display()
    );
    Ok(())
}

/// `netid app-keygen FILE`: a fresh app signing key; prints its public half (base64url).
pub fn app_keygen(file: &Path) -> CliResult<()> {
    use rand_core_06::RngCore as _;
    if file.exists() {
        return Err(err(format!(
            "{} exists; not overwriting a key",
            file.display()
        )));
    }
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rand_core_06::OsRng.fill_bytes(&mut *seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    write_private(file, &format!("{}\n", hex::encode(*seed)))?;
    println!(
        "{}",
        netid_core::b64::encode(key.verifying_key().to_bytes())
    );
    Ok(())
}

/// Where a pending enrolment (a 14–17-year-old waiting for a guardian) keeps its ticket.
pub fn pending_path(wallet: &Path) -> PathBuf {
    let mut s = wallet.as_os_str().to_owned();
    s.push(".pending");
    PathBuf::from(s)
}

fn write_private(path: &Path, text: &str) -> CliResult<()> {
    let e = |x: std::io::Error| err(format!("writing {}: {x}", path.display()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(e)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(e)
}

/// The wallet's holder binding for an enrolment or refresh asking for `suites` (empty: the
/// issuer's default, every suite): `Poseidon(s)`, and a fresh Blind BBS commitment to `s` per
/// BBS suite, with the prover blinds to keep beside the credentials issued on them.
struct BindingRequest {
    binding: [u8; 32],
    commitments: Vec<BindingCommitment>,
    blinds: Vec<(Suite, zeroize::Zeroizing<[u8; 32]>)>,
}

fn binding_request(w: &FileWallet, suites: &[Suite]) -> CliResult<BindingRequest> {
    let mut out = BindingRequest {
        binding: w.holder_binding()?.to_be_bytes(),
        commitments: Vec::new(),
        blinds: Vec::new(),
    };
    let made = netid_bbs::netid::NetidBbs::binding_commitments(
        w.holder_secret(),
        suites,
        &mut rand::rng(),
    )
    .map_err(|e| err(format!("committing to the holder secret: {e}")))?;
    for (c, blind) in made {
        out.blinds
            .push((c.suite, zeroize::Zeroizing::new(*blind.to_bytes())));
        out.commitments.push(c);
    }
    Ok(out)
}

fn store_issued(
    w: &mut FileWallet,
    issuer: &str,
    creds: &[IssuedCredential],
    binding: &BindingRequest,
) -> CliResult<()> {
    for c in creds {
        let mut rec = CredentialRecord::new(
            c.suite,
            c.issuer_id.clone(),
            issuer.to_owned(),
            c.attributes.clone(),
            c.signature.clone(),
            now(),
        )?
        .with_epoch(c.epoch);
        if let Some((_, blind)) = binding.blinds.iter().find(|(s, _)| *s == c.suite) {
            rec = rec.with_prover_blind(blind)?;
        }
        // A refreshed Groth16 credential keeps its slot, so the path kept for it still holds.
        let kept = w
            .credentials()
            .iter()
            .find(|o| {
                o.suite() == c.suite
                    && o.issuer_id() == c.issuer_id
                    && o.rev_index() == c.attributes.rev_index
            })
            .and_then(|o| o.revocation_path().cloned());
        if let (Suite::Groth16, Some(path)) = (c.suite, kept) {
            rec = rec.with_revocation_path(path)?;
        }
        w.put_credential(rec)?;
        println!(
            "   ✓ 凭证 / credential {:<13} valid until {}",
            c.suite.name(),
            c.attributes.expiry
        );
    }
    w.save()?;
    Ok(())
}

/// `netid enroll`: phone challenge, then the enrolment; stores the credentials (or, for a
/// 14–17-year-old, the ticket to collect them after a guardian approved).
///
/// # Errors
/// Network errors and the issuer's refusals.
#[allow(clippy::too_many_arguments)]
pub fn enroll(
    w: &mut FileWallet,
    wallet_path: &Path,
    issuer: &str,
    card: &SignedCard,
    phone: &str,
    code: &mut dyn FnMut(&str) -> CliResult<String>,
    face_score: f64,
    suites: &[Suite],
    guardian: Option<GuardianProof>,
) -> CliResult<EnrolResponse> {
    println!(
        "① 读取身份证 / ID card read: {} (chip data signed by the card authority)",
        crate::mask_name(&card.card.name.family, &card.card.name.given)
    );
    let ch: PhoneStartResponse = http::post_json(
        &format!("{issuer}/v1/phone/challenges"),
        // The issuer takes canonical numbers only: drop what a person types between digits.
        &json!({ "phone": phone.replace([' ', '-', '(', ')'], "") }).to_string(),
        None,
    )?
    .json("phone challenge")?;
    let masked_phone = if phone.len() > 4 {
        format!(
            "{}****{}",
            &phone[..phone.len().min(6)],
            &phone[phone.len() - 4..]
        )
    } else {
        phone.to_owned()
    };
    println!("② 短信验证码已发送 / one-time code sent to {masked_phone}");
    let code = code(phone)?;
    let cid: [u8; 16] = hex::decode(&ch.challenge_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| err("the issuer sent a malformed challenge id"))?;
    let dk = w.device_key().public_key();
    let binding = binding_request(w, suites)?;
    println!("③ 人脸核验 / face check: score {face_score:.2} (simulated matcher)");
    #[allow(clippy::cast_possible_truncation)]
    let req = EnrolRequest {
        card: card.clone(),
        face: FaceSample {
            score: Some(face_score as f32),
            image: Vec::new(),
        },
        phone: PhoneProof {
            challenge_id: ch.challenge_id.clone(),
            code: code.trim().to_owned(),
        },
        device_key: dk,
        device_signature: w.device_key().sign(&enrol_pop_message(
            &cid,
            &dk,
            &binding.binding,
            &binding.commitments,
        )),
        binding: binding.binding,
        commitments: binding.commitments.clone(),
        suites: suites.to_vec(),
        guardian,
    };
    println!("④ 提交申领 / enrolling with {issuer} (device key bound) …");
    let resp: EnrolResponse =
        http::post_json(&format!("{issuer}/v1/enrolments"), &to_json(&req)?, None)?
            .json("enrolment")?;
    println!(
        "   网号 / network identity number: {}{}",
        resp.netid,
        if resp.created {
            ""
        } else {
            " (re-enrolment: same 网号)"
        }
    );
    if let Some(ticket) = &resp.ticket {
        write_private(
            &pending_path(wallet_path),
            &json!({ "netid": resp.netid, "ticket": ticket, "issuer": issuer }).to_string(),
        )?;
        println!(
            "   待监护人同意 / waiting for a guardian's approval: ask your guardian to run\n     netid guardian approve \"{}\"\n   then run `netid refresh` to collect your credentials",
            resp.netid
        );
    } else {
        store_issued(w, issuer, &resp.credentials, &binding)?;
        warn_development_groth16(issuer, &resp.credentials);
    }
    // The wallet's first contact with this issuer pins its metadata key. The credentials are
    // stored already: a failure here is said, and the next command pins.
    match fetch_pinned_metadata(w, issuer) {
        Ok(meta) => keep_revocation_paths(w, &meta),
        Err(e) => {
            println!("   ⚠ 警告 / warning: the issuer's metadata key is not pinned yet: {e}");
        }
    }
    Ok(resp)
}

/// Tells the person when a Groth16 credential was issued under development keys (public
/// trapdoor: proofs under them can be forged by anyone, so they prove nothing to a careful app).
/// (The credentials are stored already: a failed metadata fetch here only skips the warning,
/// which proving repeats.)
fn warn_development_groth16(issuer: &str, issued: &[IssuedCredential]) {
    if issued.iter().any(|c| c.suite == Suite::Groth16)
        && fetch_metadata(issuer).is_ok_and(|m| m.groth16_setup == Groth16Setup::Development)
    {
        println!(
            "   ⚠ 警告 / warning: this issuer runs DEVELOPMENT Groth16 keys (public trapdoor: \
             anyone can forge Groth16 proofs); use the groth16 credential for demos only"
        );
    }
}

/// `netid refresh`: fresh credentials for this device key (or the first ones, with the ticket
/// of a pending enrolment).
///
/// # Errors
/// Nothing to refresh; network errors; the issuer's refusal (revoked, suspended).
pub fn refresh(w: &mut FileWallet, wallet_path: &Path, issuer: &str) -> CliResult<EnrolResponse> {
    let pending_file = pending_path(wallet_path);
    let pending: Option<serde_json::Value> = std::fs::read_to_string(&pending_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let (netid, ticket, issuer) = match (&pending, w.credentials().first()) {
        (Some(p), _) => (
            p["netid"].as_str().unwrap_or_default().to_owned(),
            p["ticket"].as_str().map(str::to_owned),
            p["issuer"].as_str().unwrap_or(issuer).to_owned(),
        ),
        (None, Some(c)) => (c.netid().to_owned(), None, c.issuer_url().to_owned()),
        (None, None) => {
            return Err(err(
                "nothing to refresh: this wallet holds no credential and no pending enrolment",
            ))
        }
    };
    let resp = request_fresh(w, &netid, ticket, &issuer)?;
    if pending.is_some() {
        let _ = std::fs::remove_file(&pending_file);
    }
    // A Groth16 credential keeps its slot across refreshes: its path of the current epoch.
    match fetch_pinned_metadata(w, &issuer) {
        Ok(meta) => keep_revocation_paths(w, &meta),
        Err(e) => println!("   ⚠ revocation paths not updated: {e}"),
    }
    Ok(resp)
}

/// `POST {issuer}/v1/credentials` for this device key (with the ticket of a pending
/// enrolment), storing what it issues.
fn request_fresh(
    w: &mut FileWallet,
    netid: &str,
    ticket: Option<String>,
    issuer: &str,
) -> CliResult<EnrolResponse> {
    let ts = i64::try_from(now()).unwrap_or(i64::MAX);
    let dk = w.device_key().public_key();
    let binding = binding_request(w, &[])?;
    let req = RefreshRequest {
        netid: netid.to_owned(),
        device_key: dk,
        timestamp: ts,
        device_signature: w.device_key().sign(&refresh_pop_message(
            netid,
            ts,
            &dk,
            &binding.binding,
            &binding.commitments,
        )),
        binding: binding.binding,
        commitments: binding.commitments.clone(),
        suites: Vec::new(),
        ticket,
    };
    println!("刷新凭证 / asking {issuer} for fresh credentials …");
    let resp: EnrolResponse =
        http::post_json(&format!("{issuer}/v1/credentials"), &to_json(&req)?, None)?
            .json("refresh")?;
    store_issued(w, issuer, &resp.credentials, &binding)?;
    warn_development_groth16(issuer, &resp.credentials);
    Ok(resp)
}

/// The CLI's refresh rule (specs/revocation.md §6): when the issuer's epoch has moved past a
/// BBS credential's, fresh credentials first. A failed refresh (a revoked device, the issuer
/// unreachable) is said, and presenting goes on with the credentials held while verifiers
/// still accept their epoch.
pub fn refresh_if_stale(w: &mut FileWallet, meta: &IssuerMetadata, issuer: &str) {
    if !w
        .credentials()
        .iter()
        .any(|c| present::needs_refresh(meta, c))
    {
        return;
    }
    println!(
        "新纪元 / the issuer is at revocation epoch {}: refreshing the credentials first",
        meta.epoch
    );
    let netid = w
        .credentials()
        .first()
        .map(|c| c.netid().to_owned())
        .unwrap_or_default();
    if let Err(e) = request_fresh(w, &netid, None, issuer) {
        println!("   refresh failed ({e}); going on with the credentials held");
    }
}

/// The revocation path of `cred`'s Groth16 slot in the tree of the metadata's epoch,
/// computed from its bucket (`GET …/buckets/{rev_index / 2^16}`: the issuer learns the bucket,
/// never the slot; specs/revocation.md §8).
///
/// # Errors
/// Network errors; a bucket that does not lead to the root; the slot revoked.
pub fn fetch_revocation_path(
    meta: &IssuerMetadata,
    cred: &CredentialRecord,
) -> CliResult<crate::RevocationPath> {
    let bucket: RevocationBucket = http::get(&format!(
        "{}{}",
        cred.issuer_url(),
        present::bucket_route(meta, cred.rev_index())
    ))?
    .json("revocation bucket")?;
    Ok(present::revocation_path(meta, cred.rev_index(), &bucket)?)
}

/// Keeps, for every active Groth16 credential of the wallet, its revocation path in the tree of
/// the metadata's epoch (specs/revocation.md §8): fetched once an epoch, at enrolment and
/// refresh, never when presenting, so the issuer's logs of bucket fetches do not tell when the
/// wallet presents. Best effort: a failure is said, and presenting falls back to
/// [`ensure_revocation_path`].
pub fn keep_revocation_paths(w: &mut FileWallet, meta: &IssuerMetadata) {
    let due: Vec<CredentialRecord> = w
        .credentials()
        .iter()
        .filter(|c| {
            c.suite() == Suite::Groth16
                && c.status() == CredentialStatus::Active
                && c.revocation_path().map(crate::RevocationPath::epoch) != Some(meta.epoch)
        })
        .cloned()
        .collect();
    if due.is_empty() {
        return;
    }
    for cred in due {
        match fetch_revocation_path(meta, &cred)
            .and_then(|p| Ok(cred.with_revocation_path(p)?))
            .and_then(|c| Ok(w.put_credential(c)?))
        {
            Ok(()) => println!(
                "   撤销路径 / revocation path of epoch {} kept (bucket fetched, slot not named)",
                meta.epoch
            ),
            Err(e) => println!("   ⚠ revocation path of epoch {} not kept: {e}", meta.epoch),
        }
    }
    if let Err(e) = w.save() {
        println!("   ⚠ the wallet was not saved: {e}");
    }
}

/// Before presenting the `suite` credential from `issuer_id`: a Groth16 credential whose kept
/// path is of an epoch verifiers no longer accept (the wallet was idle for more than the
/// grace epochs) fetches its bucket now, and says so; otherwise nothing is fetched.
///
/// # Errors
/// Network errors; the slot revoked; saving the wallet.
pub fn ensure_revocation_path(
    w: &mut FileWallet,
    meta: &IssuerMetadata,
    suite: Suite,
    issuer_id: &str,
) -> CliResult<()> {
    let Some(cred) = w
        .credentials()
        .iter()
        .find(|c| c.suite() == suite && c.issuer_id() == issuer_id)
    else {
        return Ok(());
    };
    if suite != Suite::Groth16 || present::kept_path(meta, cred).is_some() {
        return Ok(());
    }
    println!(
        "   撤销路径 / no revocation path of an accepted epoch kept: fetching the bucket of epoch {} now",
        meta.epoch
    );
    let cred = cred.clone();
    let path = fetch_revocation_path(meta, &cred)?;
    w.put_credential(cred.with_revocation_path(path)?)?;
    w.save()?;
    Ok(())
}

/// Builds a presentation of `cred` answering `request`, fetching the issuer's public data it
/// needs (BBS digit signatures; a Groth16 credential uses the path the wallet keeps, see
/// [`ensure_revocation_path`]).
///
/// # Errors
/// Network errors; the prover's refusal.
pub fn build_presentation(
    meta: &IssuerMetadata,
    cred: &CredentialRecord,
    secret: &HolderSecret,
    request: &PresentationRequest,
) -> CliResult<Presentation> {
    let issuer = cred.issuer_url();
    match cred.suite() {
        Suite::Groth16 => {
            // The path the wallet keeps ([`ensure_revocation_path`]): nothing is fetched now.
            let path = present::kept_path(meta, cred).ok_or_else(|| {
                err("no revocation path of an epoch verifiers accept: run `netid refresh`")
            })?;
            let keys = proving_keys(meta)?;
            Ok(present::present_groth16(
                meta, cred, secret, &path, keys, request,
            )?)
        }
        _ => {
            // The digit signatures of the credential's epoch (the current or a grace one).
            let r = http::get(&format!("{issuer}{}", present::digits_route(meta, cred)?))?;
            if !r.ok() {
                return Err(err(format!("BBS digit signatures: {}", r.error_text())));
            }
            Ok(present::present_bbs(meta, cred, secret, &r.body, request)?)
        }
    }
}

/// A guardian's proof of who they are: the issuer's own request, answered (age ≥ 18, 网号).
///
/// # Errors
/// No usable credential; network errors; a bad request from the issuer.
pub fn guardian_presentation(w: &mut FileWallet, issuer: &str) -> CliResult<Presentation> {
    let meta = fetch_pinned_metadata(w, issuer)?;
    refresh_if_stale(w, &meta, issuer);
    let t = now();
    let today = netid_core::Date::from_unix_seconds(i64::try_from(t).unwrap_or(0), 8 * 3600)
        .map_err(|e| err(e.to_string()))?;
    let suites: Vec<&str> = Suite::ALL
        .iter()
        .filter(|s| w.credential_for(**s, today).is_some())
        .map(|s| s.name())
        .collect();
    if suites.is_empty() {
        return Err(err(
            "this wallet holds no usable credential to prove who you are",
        ));
    }
    let g: GuardianRequestResponse = http::get(&format!(
        "{issuer}/v1/guardian/request?suites={}",
        suites.join(",")
    ))?
    .json("guardian request")?;
    present::check_request(&g.request, &meta, t)?;
    let cred = present::choose_credential(w.credentials(), &g.request, None)?;
    present::check_statements(cred, &g.request.statements)?;
    let chosen = (cred.suite(), cred.issuer_id().to_owned());
    ensure_revocation_path(w, &meta, chosen.0, &chosen.1)?;
    build_presentation(
        &meta,
        chosen_credential(w, &chosen)?,
        w.holder_secret(),
        &g.request,
    )
}

/// The credential of `(suite, issuer_id)` chosen before the wallet was changed.
fn chosen_credential<'w>(
    w: &'w FileWallet,
    (suite, issuer_id): &(Suite, String),
) -> CliResult<&'w CredentialRecord> {
    w.credentials()
        .iter()
        .find(|c| c.suite() == *suite && c.issuer_id() == issuer_id)
        .ok_or_else(|| err("the chosen credential is gone"))
}

fn relation(name: &str) -> CliResult<(IssuerRelation, GuardianRelation)> {
    match name {
        "parent" => Ok((IssuerRelation::Parent, GuardianRelation::Parent)),
        "legal_guardian" | "guardian" => Ok((
            IssuerRelation::LegalGuardian,
            GuardianRelation::LegalGuardian,
        )),
        _ => Err(err(format!(
            "{name:?}: the relation is `parent` or `legal_guardian`"
        ))),
    }
}

fn remember_ward(w: &mut FileWallet, info: &WardInfo, rel: GuardianRelation) -> CliResult<()> {
    let netid = plain_netid(&info.netid);
    if let Some(existing) = w.ward_mut(&netid) {
        existing.set_permissions(info.permissions);
    } else {
        w.put_ward(Ward::new(
            netid,
            info.masked_name.clone(),
            rel,
            now(),
            info.permissions,
        )?)?;
    }
    Ok(())
}

fn print_ward(info: &WardInfo) {
    println!(
        "   {}  {}  {:?}  status {:?}  allowed: {}",
        info.masked_name,
        info.netid,
        info.relation,
        info.status,
        if info.categories.is_empty() {
            "(none)".to_owned()
        } else {
            info.categories.join(", ")
        }
    );
}

/// `netid guardian approve`.
///
/// # Errors
/// Network errors; the issuer's refusal.
pub fn guardian_approve(
    w: &mut FileWallet,
    issuer: &str,
    minor: &str,
    relation_name: &str,
) -> CliResult<WardInfo> {
    let (ir, wr) = relation(relation_name)?;
    println!("监护人认证 / proving who you are to the issuer (a presentation: 网号 + age ≥ 18) …");
    let presentation = guardian_presentation(w, issuer)?;
    let body = ApproveRequest {
        minor_netid: minor.to_owned(),
        guardian: GuardianProof {
            relation: ir,
            presentation,
        },
    };
    let info: WardInfo = http::post_json(
        &format!("{issuer}/v1/guardian/approvals"),
        &to_json(&body)?,
        None,
    )?
    .json("guardian approval")?;
    remember_ward(w, &info, wr)?;
    w.save()?;
    println!("已同意 / approved:");
    print_ward(&info);
    Ok(info)
}

/// `netid guardian wards`.
///
/// # Errors
/// Network errors; the issuer's refusal.
pub fn guardian_wards(w: &mut FileWallet, issuer: &str) -> CliResult<()> {
    let presentation = guardian_presentation(w, issuer)?;
    let list: Vec<WardInfo> = http::post_json(
        &format!("{issuer}/v1/guardian/wards"),
        &to_json(&WardsRequest { presentation })?,
        None,
    )?
    .json("wards")?;
    println!("被监护人 / wards: {}", list.len());
    for info in &list {
        let rel = match info.relation {
            IssuerRelation::LegalGuardian => GuardianRelation::LegalGuardian,
            _ => GuardianRelation::Parent,
        };
        remember_ward(w, info, rel)?;
        print_ward(info);
    }
    w.save()?;
    Ok(())
}

/// `netid guardian unlink`: ends this wallet's guardianship of `minor` (`POST
/// /v1/guardian/unlink`) and forgets the ward locally.
///
/// # Errors
/// Network errors; the issuer's refusal (not this minor's guardian).
pub fn guardian_unlink(w: &mut FileWallet, issuer: &str, minor: &str) -> CliResult<()> {
    let presentation = guardian_presentation(w, issuer)?;
    let body = UnlinkRequest {
        minor_netid: minor.to_owned(),
        presentation,
    };
    let r = http::post_json(
        &format!("{issuer}/v1/guardian/unlink"),
        &to_json(&body)?,
        None,
    )?;
    if !r.ok() {
        return Err(err(format!("unlinking: {}", r.error_text())));
    }
    w.remove_ward(&plain_netid(minor));
    w.save()?;
    println!("已解除监护 / you are no longer this minor's guardian");
    Ok(())
}

/// `netid guardian permissions`.
///
/// # Errors
/// Unknown categories; network errors; the issuer's refusal.
pub fn guardian_permissions(
    w: &mut FileWallet,
    issuer: &str,
    minor: &str,
    allow: &[String],
) -> CliResult<()> {
    let categories: Vec<String> = allow
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    for c in &categories {
        if !GUARDIAN_CATEGORIES.contains(&c.as_str()) {
            return Err(err(format!(
                "unknown category {c:?}; known: {}",
                GUARDIAN_CATEGORIES.join(", ")
            )));
        }
    }
    let presentation = guardian_presentation(w, issuer)?;
    let body = PermissionsRequest {
        minor_netid: minor.to_owned(),
        categories,
        presentation,
    };
    let info: WardInfo = http::post_json(
        &format!("{issuer}/v1/guardian/permissions"),
        &to_json(&body)?,
        None,
    )?
    .json("permissions")?;
    remember_ward(w, &info, GuardianRelation::Parent)?;
    w.save()?;
    println!("权限已更新 / permissions set (refreshing the minor's credential applies them):");
    print_ward(&info);
    Ok(())
}

/// The 网号 as a terminal QR code (two rows per character).
pub fn qr_text(data: &str) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// `netid show --netid`: the 网号 alone, for scripts.
///
/// # Errors
/// The wallet holds no 网号 yet.
pub fn show_netid(w: &FileWallet) -> CliResult<()> {
    let netid = w
        .netid()
        .ok_or_else(|| err("no 网号 yet: run `netid enroll` first"))?;
    println!("{netid}");
    Ok(())
}

/// `netid show`.
///
/// # Errors
/// A bad clock.
pub fn show(w: &FileWallet, qr: bool) -> CliResult<()> {
    match (w.masked_name(), w.netid()) {
        (Some(name), Some(netid)) => {
            println!("姓名 / name:  {name}");
            println!("网号 / netid: {}", group_netid(netid));
            if qr {
                if let Some(q) = qr_text(netid) {
                    println!("{q}");
                }
            }
        }
        _ => println!("(no credential yet: run `netid enroll`)"),
    }
    println!(
        "设备密钥 / device key: {}…",
        &hex::encode(w.device_key().public_key())[..16]
    );
    let today = netid_core::Date::from_unix_seconds(i64::try_from(now()).unwrap_or(0), 8 * 3600)
        .map_err(|e| err(e.to_string()))?;
    println!("凭证 / credentials: {}", w.credentials().len());
    for c in w.credentials() {
        let status = match c.status() {
            CredentialStatus::Revoked => "revoked",
            _ if !c.is_usable_on(today) => "expired",
            _ => "active",
        };
        println!(
            "   {:<13} {:<8} expires {}  issuer {}",
            c.suite().name(),
            status,
            c.expiry(),
            c.issuer_id()
        );
    }
    if !w.wards().is_empty() {
        println!("被监护人 / wards: {}", w.wards().len());
        for ward in w.wards() {
            println!(
                "   {}  {}  permissions {:#x}",
                ward.display_name(),
                group_netid(ward.netid()),
                ward.permissions()
            );
        }
    }
    Ok(())
}

/// `netid history`.
///
/// # Errors
/// None beyond opening the wallet (done by the caller).
pub fn history(w: &FileWallet) -> CliResult<()> {
    println!("出示记录 / presentations: {}", w.history().count());
    for h in w.history().rev() {
        println!(
            "   {}  {} ({})  {}  pseudonym {}",
            h.at(),
            h.app_name(),
            h.app_id(),
            h.suite().name(),
            h.pseudonym_tag().map_or("-".to_owned(), |t| t.to_string())
        );
        for line in describe_statements(h.statements()) {
            println!("       · {line}");
        }
    }
    Ok(())
}

/// Reads a request: a verifier URL of `GET /v1/requests/{id}` (what its QR code holds), a file,
/// or JSON text (a bare request or an object with a `request` field). Where the request came
/// from says nothing about where its answer goes: that is the request's signed `response_uri`.
///
/// # Errors
/// Unreachable, unreadable or malformed.
pub fn load_request(src: &str) -> CliResult<PresentationRequest> {
    let src = src.trim();
    let text = if src.starts_with("http://") || src.starts_with("https://") {
        let r = http::get(src)?;
        if !r.ok() {
            return Err(err(format!("fetching the request: {}", r.error_text())));
        }
        r.text()
    } else if !src.starts_with('{') && Path::new(src).exists() {
        std::fs::read_to_string(src).map_err(|e| err(format!("reading {src}: {e}")))?
    } else {
        src.to_owned()
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| err(format!("the request is not JSON: {e}")))?;
    let inner = if v.get("request").is_some_and(serde_json::Value::is_object) {
        v["request"].clone()
    } else {
        v
    };
    serde_json::from_value(inner).map_err(|e| err(format!("malformed presentation request: {e}")))
}

/// Options of [`present`].
#[derive(Debug, Clone, Default)]
pub struct PresentOptions {
    /// Use this suite only.
    pub suite: Option<Suite>,
    /// Print the presentation instead of sending it (to its `response_uri`).
    pub print: bool,
    /// The issuer when the wallet holds no credential yet (metadata for the checks).
    pub issuer_fallback: Option<String>,
}

/// What became of a presentation.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The verifier accepted it; its claims.
    Accepted(serde_json::Value),
    /// The verifier rejected it.
    Rejected(Response),
    /// Printed, not sent.
    Printed,
    /// The holder said no.
    Declined,
}

/// The result of [`present`].
#[derive(Debug, Clone)]
pub struct PresentOutcome {
    /// The presentation JSON (empty when declined).
    pub presentation: String,
    /// Where it was sent (the request's `response_uri`).
    pub sent_to: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
}

/// `netid present`: check the request, show who asks what, ask consent, prove, send.
///
/// # Errors
/// A request that fails the checks; statements the credential cannot prove; a guardian's
/// restriction; network errors. (A verifier's rejection is a [`Verdict`].)
pub fn present(
    w: &mut FileWallet,
    src: &str,
    opts: &PresentOptions,
    consent: &mut dyn FnMut() -> CliResult<bool>,
) -> CliResult<PresentOutcome> {
    let request = &load_request(src)?;
    let issuer = w
        .credentials()
        .first()
        .map(|c| c.issuer_url().to_owned())
        .or_else(|| opts.issuer_fallback.clone())
        .ok_or_else(|| err("no issuer known: enrol first"))?;
    let meta = fetch_pinned_metadata(w, &issuer)?;
    refresh_if_stale(w, &meta, &issuer);
    let t = now();
    let cert = present::check_request(request, &meta, t).map_err(|e| {
        err(format!(
            "拒绝 / refused: {e} — this request is not from an app the platform registered for what it asks"
        ))
    })?;
    println!(
        "请求方 / who asks: {} ({}), category {}; certified by the platform until {}",
        cert.name,
        cert.app_id,
        cert.category,
        netid_core::Date::from_unix_seconds(
            i64::try_from(cert.not_after).unwrap_or(i64::MAX),
            8 * 3600
        )
        .map_or_else(|_| cert.not_after.to_string(), |d| d.to_string())
    );
    println!("请求内容 / what is asked:");
    for line in describe_statements(&request.statements) {
        println!("   · {line}");
    }
    println!(
        "   (suites accepted: {}; answer within {} s)",
        request
            .suites
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
        request.expires_at.saturating_sub(t)
    );
    // The answer goes to the signed response_uri and nowhere else: whoever relayed the request
    // (a QR code, a page) cannot redirect it.
    match (&request.response_uri, opts.print) {
        (Some(uri), _) => println!("   (answer sent to {uri}, as the app signed it)"),
        (None, false) => {
            return Err(err(
                "拒绝 / refused: the request names no response_uri, so it has no place to be \
                 sent (pass --print to hand the presentation over yourself)",
            ))
        }
        (None, true) => {}
    }
    let cred = present::choose_credential(w.credentials(), request, opts.suite)?;
    present::check_statements(cred, &request.statements)
        .map_err(|e| err(format!("拒绝 / refused: {e}")))?;
    let perms = cred.attributes().guardian_perms;
    if perms & (1 << 31) == 0 {
        let allowed = GUARDIAN_CATEGORIES
            .iter()
            .position(|c| *c == cert.category)
            .is_some_and(|i| perms & (1 << i) != 0);
        if !allowed {
            return Err(err(format!(
                "拒绝 / refused: your guardian has not allowed apps of category {:?}",
                cert.category
            )));
        }
    }
    if !consent()? {
        println!("未出示 / declined: nothing was sent");
        return Ok(PresentOutcome {
            presentation: String::new(),
            sent_to: None,
            verdict: Verdict::Declined,
        });
    }
    let chosen = (cred.suite(), cred.issuer_id().to_owned());
    ensure_revocation_path(w, &meta, chosen.0, &chosen.1)?;
    let cred = chosen_credential(w, &chosen)?;
    println!("生成证明 / proving with {} …", cred.suite().name());
    let started = std::time::Instant::now();
    let p = build_presentation(&meta, cred, w.holder_secret(), request)?;
    println!(
        "   proof ready in {:.2} s ({} bytes)",
        started.elapsed().as_secs_f64(),
        p.proof.as_slice().len()
    );
    let json = to_json(&p)?;
    let entry = HistoryEntry::new(
        t,
        cert.app_id.clone(),
        cert.name.clone(),
        p.suite,
        request.statements,
        p.pseudonym.as_ref().map(|x| PseudonymTag::of(x.as_slice())),
    )?;
    if opts.print {
        println!("{json}");
        w.record_presentation(entry);
        w.save()?;
        return Ok(PresentOutcome {
            presentation: json,
            sent_to: None,
            verdict: Verdict::Printed,
        });
    }
    // The signed response_uri, and nowhere else (checked before consent: see above).
    let target = request.response_uri.clone().unwrap_or_default();
    let r = http::post_json(&target, &json, None)?;
    let verdict = if r.ok() {
        let claims: serde_json::Value = r.json("verifier answer")?;
        w.record_presentation(entry);
        w.save()?;
        println!(
            "✓ 已验证 / accepted by {target}: age ≥ {}, assurance ≥ {}, pseudonym {}",
            claims["age_at_least"],
            claims["assurance_at_least"],
            claims["pseudonym"]
                .as_str()
                .map_or("-".to_owned(), |s| format!("{}…", &s[..s.len().min(16)]))
        );
        Verdict::Accepted(claims)
    } else {
        println!("✗ 被拒绝 / rejected: {}", r.error_text());
        Verdict::Rejected(r)
    };
    Ok(PresentOutcome {
        presentation: json,
        sent_to: Some(target),
        verdict,
    })
}

/// Statements for an "over 18 + real-name + pseudonym" request (used by the demo).
pub fn adult_statements(today: netid_core::Date) -> Statements {
    let mut s = Statements::new(today);
    s.age_at_least = Some(18);
    s.assurance_at_least = Some(netid_core::AssuranceLevel::Remote);
    s.pseudonym = true;
    s.not_expired = true;
    s
}
