//! `netid-demo`: the whole netid story in one process, over real HTTP on 127.0.0.1 — an issuer
//! (SQLite in a temporary directory, ephemeral keys, the development card authority, phone
//! codes kept in memory), a verifier service with two registered apps, and wallets in the same
//! temporary directory, driven by the same code as the `netid` commands
//! (`netid_holder::cli::ops`). It is the README's first command:
//!
//! ```text
//! cargo run --release -p netid-demo
//! ```
//!
//! It enrols an adult and a 15-year-old (approved by the adult as guardian), proves "over 18 +
//! real-name" to both apps in each suite, with each app's pseudonym in the one suite its
//! certificate names, and shows the refusals: a pseudonym asked in another suite, the minor's
//! "over 18", a replayed presentation (409), a revoked credential. It exits non-zero if any step
//! misbehaves. Its Groth16 suite runs on development keys (public trapdoor, said so on screen)
//! from `$NETID_KEY_DIR` (else `$XDG_DATA_HOME/netid/groth16`); the first run makes them.
//!
//! [`Services`] is the setup on its own; the end-to-end tests drive `netid` child processes
//! against it:
//!
//! ```no_run
//! let svc = netid_demo::Services::start()?;
//! println!("issuer {} · verifier {}", svc.issuer_url, svc.verifier_url);
//! # Ok::<(), netid_holder::cli::CliError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use netid_core::{AppPolicy, AssuranceLevel, AttributeSet, Date, Passphrase, Suite};
use netid_issuer::api::{RegisterAppRequest, RegisterAppResponse, RevokeResponse};
use netid_issuer::evidence::{MemoryCodeSender, PhoneNumber, TrustedCardAuthorities};
use netid_issuer::server::{
    build, dev_card_authority, spawn, IssuerOptions, KeySource, RunningIssuer,
};
use netid_issuer::service::AdminToken;
use netid_verifier::service::{system_clock, CreateRequest, CreatedRequest};
use netid_verifier::{ApiKey, App, MemoryReplayCache, ServiceState, Verifier};
use serde_json::json;

use netid_circuits::gadgets::eddsa;
use netid_circuits::presentation::fr_from_bytes;
use netid_circuits::suite::HolderCredential;
use netid_holder::cli::http;
use netid_holder::cli::ops::{self, FileWallet, PresentOptions, Verdict};
use netid_holder::cli::{CliError, CliResult};
use netid_holder::{present, CredentialRecord, FileStorage, Wallet, WalletError, WalletOptions};

/// The demo's admin token (the issuer only listens on 127.0.0.1).
pub const DEMO_ADMIN_TOKEN: &str = "netid-demo-admin-token-local-only";

/// One app the demo registers: id, display name, category.
pub const DEMO_APPS: [(&str, &str, &str); 2] = [
    ("shop.example", "示例商城 Example Shop", "shopping"),
    ("game.example", "示例游戏 Example Games", "gaming"),
];

/// The suite of each demo app's pseudonyms (its certificate fixes one: one pseudonym per
/// person per app), in [`DEMO_APPS`] order.
pub const DEMO_PSEUDONYM_SUITES: [Suite; 2] = [Suite::BbsSha256, Suite::Groth16];
/// The demo issuer's epoch length (seconds): short, so that step 8 shows a revocation taking
/// effect at an epoch boundary (a deployment's default is a day, specs/revocation.md §2).
pub const DEMO_EPOCH_SECS: u32 = 5;
/// The demo issuer's grace epochs (the default, specs/revocation.md §4).
pub const DEMO_GRACE_EPOCHS: u8 = 1;

fn err(m: impl Into<String>) -> CliError {
    CliError(m.into())
}

/// A running issuer and verifier on 127.0.0.1 (stopped on drop).
pub struct Services {
    /// Base URL of the issuer.
    pub issuer_url: String,
    /// Base URL of the verifier service.
    pub verifier_url: String,
    /// The verifier behind the service (for metadata updates).
    pub verifier: Arc<Verifier>,
    /// Phone codes "delivered" by the issuer.
    pub codes: Arc<MemoryCodeSender>,
    /// The registered apps (certificate and key), in [`DEMO_APPS`] order.
    pub apps: Vec<App>,
    /// The apps' request-signing keys, in [`DEMO_APPS`] order (tests forge requests with them).
    pub app_keys: Vec<SigningKey>,
    /// The apps' API keys for the verifier's app-facing routes, in [`DEMO_APPS`] order (fresh
    /// random ones each start).
    pub api_keys: Vec<ApiKey>,
    /// Temporary directory (database, wallets) when the services own it.
    pub dir: PathBuf,
    _issuer: RunningIssuer,
    _tmp: Option<tempfile::TempDir>,
    rt: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("issuer_url", &self.issuer_url)
            .field("verifier_url", &self.verifier_url)
            .finish_non_exhaustive()
    }
}

fn random_key() -> SigningKey {
    let mut seed = [0u8; 32];
    rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut seed);
    SigningKey::from_bytes(&seed)
}

impl Services {
    /// Starts an issuer (in a fresh temporary directory), registers [`DEMO_APPS`] through the
    /// admin route, and starts a verifier service for them.
    ///
    /// # Errors
    /// Anything that fails to start.
    pub fn start() -> CliResult<Services> {
        let tmp = tempfile::tempdir().map_err(|e| err(format!("temporary directory: {e}")))?;
        let dir = tmp.path().to_owned();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| err(format!("tokio runtime: {e}")))?;
        let codes = Arc::new(MemoryCodeSender::new());
        let mut opts = IssuerOptions::new(
            format!("sqlite://{}", dir.join("issuer.db").display()),
            KeySource::Ephemeral,
            TrustedCardAuthorities::new([dev_card_authority().verifying_key()]),
            codes.clone(),
        );
        opts.admin_token =
            Some(AdminToken::new(DEMO_ADMIN_TOKEN.into()).map_err(|e| err(e.to_string()))?);
        opts.config.epoch_secs = DEMO_EPOCH_SECS;
        opts.config.grace_epochs = DEMO_GRACE_EPOCHS;
        let g16_dir = netid_circuits::keys::default_key_dir_or_err()
            .map_err(|e| err(format!("Groth16 keys: {e}")))?;
        println!(
            "   … issuer keys and Groth16 DEVELOPMENT keys ({}; the first run makes the setup, a \
             minute or more). The demo uses development keys on purpose: their trapdoor is \
             public, so a real deployment imports a ceremony's keys instead (specs/groth16.md §7)",
            g16_dir.display()
        );
        opts.groth16 = netid_issuer::server::Groth16Keys::Development(g16_dir);
        let issuer = rt
            .block_on(async {
                let state = build(opts).await?;
                spawn(state, "127.0.0.1:0").await
            })
            .map_err(|e| err(format!("starting the issuer: {e}")))?;
        let issuer_url = issuer.url();

        let mut apps = Vec::new();
        let mut app_keys = Vec::new();
        for ((id, name, category), nym_suite) in DEMO_APPS.into_iter().zip(DEMO_PSEUDONYM_SUITES) {
            let key = random_key();
            let body = RegisterAppRequest {
                app_id: id.into(),
                name: name.into(),
                category: category.into(),
                policy: AppPolicy {
                    disclose: AttributeSet::new(),
                    age: true,
                    assurance: true,
                    pseudonym: true,
                    pseudonym_suite: Some(nym_suite),
                    not_expired: true,
                },
                app_key: key.verifying_key().to_bytes(),
                valid_days: None,
            };
            let body = serde_json::to_string(&body).map_err(|e| err(e.to_string()))?;
            let r: RegisterAppResponse = http::post_json(
                &format!("{issuer_url}/v1/admin/apps"),
                &body,
                Some(DEMO_ADMIN_TOKEN),
            )?
            .json("registering an app")?;
            apps.push(App::new(&r.certificate, key.clone()).map_err(|e| err(e.to_string()))?);
            app_keys.push(key);
        }

        let meta = ops::fetch_metadata(&issuer_url)?;
        let verifier = Arc::new(
            Verifier::with_policy(
                meta,
                Arc::new(MemoryReplayCache::new()),
                netid_verifier::KeyPolicy::development(),
            )
            .map_err(|e| err(format!("verifier: {e}")))?
            .with_catch_up(&issuer_url),
        );
        // Like `netid-verifier --refresh-seconds 1`: the verifier follows the issuer's epochs.
        {
            let (v, url) = (verifier.clone(), issuer_url.clone());
            rt.spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    // Fetches the epoch records between as well when epochs passed meanwhile.
                    let _ = v.refresh_from(&url).await;
                }
            });
        }
        let mut state = ServiceState::new(verifier.clone(), apps.clone(), system_clock());
        let mut api_keys = Vec::new();
        for (id, _, _) in DEMO_APPS {
            let mut raw = [0u8; 24];
            rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut raw);
            let key = ApiKey::new(&hex::encode(raw)).map_err(|e| err(e.to_string()))?;
            state = state
                .with_api_key(id, &key)
                .map_err(|e| err(e.to_string()))?;
            api_keys.push(key);
        }
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .map_err(|e| err(format!("verifier listen: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| err(format!("verifier listen: {e}")))?;
        let router = netid_verifier::router(state);
        rt.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Services {
            issuer_url,
            verifier_url: format!("http://{addr}"),
            verifier,
            codes,
            apps,
            app_keys,
            api_keys,
            dir,
            _issuer: issuer,
            _tmp: Some(tmp),
            rt,
        })
    }

    /// The last code "sent" to `phone`.
    ///
    /// # Errors
    /// A malformed number, or no code sent.
    pub fn code_for(&self, phone: &str) -> CliResult<String> {
        let p = PhoneNumber::parse(phone).map_err(|e| err(e.to_string()))?;
        self.codes
            .last_code_for(&p)
            .map(|c| c.expose_secret().to_owned())
            .ok_or_else(|| err(format!("no code was sent to {phone}")))
    }

    /// Asks the verifier service for a new request of `app_id` (over `age`, real-name, not
    /// expired, the app's pseudonym if `pseudonym`, `suites`); returns its URL (what the QR code
    /// holds).
    ///
    /// # Errors
    /// Network errors; the service's refusal (a pseudonym in another suite than the app's).
    pub fn request_url(
        &self,
        app_id: &str,
        age: u8,
        suites: &[Suite],
        pseudonym: bool,
    ) -> CliResult<String> {
        let body = CreateRequest {
            app_id: Some(app_id.into()),
            age_at_least: Some(age),
            assurance_at_least: Some(AssuranceLevel::Remote),
            pseudonym,
            not_expired: true,
            suites: Some(suites.to_vec()),
            ..CreateRequest::default()
        };
        let body = serde_json::to_string(&body).map_err(|e| err(e.to_string()))?;
        let key = DEMO_APPS
            .iter()
            .position(|(id, _, _)| *id == app_id)
            .and_then(|i| self.api_keys.get(i))
            .ok_or_else(|| err(format!("{app_id:?} is not a demo app")))?;
        let created: CreatedRequest = http::post_json(
            &format!("{}/v1/requests", self.verifier_url),
            &body,
            Some(key.expose_secret()),
        )?
        .json("creating a request")?;
        Ok(format!("{}/v1/requests/{}", self.verifier_url, created.id))
    }

    /// The administrator revokes a person's credentials.
    ///
    /// # Errors
    /// Network errors; the issuer's refusal.
    pub fn revoke(&self, netid: &str) -> CliResult<RevokeResponse> {
        http::post_json(
            &format!("{}/v1/admin/revocations", self.issuer_url),
            &json!({ "netid": netid }).to_string(),
            Some(DEMO_ADMIN_TOKEN),
        )?
        .json("revocation")
    }

    /// The verifier fetches the issuer's metadata again (new revocation root and epoch).
    ///
    /// # Errors
    /// Network errors; unusable metadata.
    pub fn refresh_verifier(&self) -> CliResult<u64> {
        let meta = ops::fetch_metadata(&self.issuer_url)?;
        let epoch = meta.epoch;
        self.verifier
            .update_metadata(meta)
            .map_err(|e| err(format!("verifier metadata: {e}")))?;
        Ok(epoch)
    }

    /// Runs `f` on the services' runtime (e.g. to await something of the verifier).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

const PASS: &str = "演示口令 demo passphrase";

fn wallet(dir: &Path, name: &str) -> CliResult<(FileWallet, PathBuf)> {
    let path = dir.join(format!("{name}.netid"));
    let w = Wallet::create(
        FileStorage::new(&path),
        &Passphrase::new(PASS.into()),
        WalletOptions::new(),
        ops::now(),
    )?;
    Ok((w, path))
}

fn step(n: u32, title: &str) {
    println!("\n━━ {n}. {title}");
}

fn check(ok: bool, what: &str) -> CliResult<()> {
    if ok {
        println!("   ✓ {what}");
        Ok(())
    } else {
        Err(err(format!("demo step misbehaved: {what}")))
    }
}

/// Step 7: a thief with a copy of `victim`'s credential records (a backup, an intercepted
/// issuance) but not the wallet file: the thief's own wallet refuses to hold them, and a
/// modified wallet that presents them with its own secret is refused by the verifier in every
/// suite.
fn copied_credentials(svc: &Services, victim: &FileWallet) -> CliResult<()> {
    let (mut thief, _) = wallet(&svc.dir, "thief")?;
    let stolen: Vec<CredentialRecord> = victim.credentials().to_vec();
    let first = stolen
        .first()
        .cloned()
        .ok_or_else(|| err("no credential to copy"))?;
    match thief.put_credential(first) {
        Err(WalletError::BindingMismatch) => check(
            true,
            "the thief's wallet refuses the copy: it is bound to another wallet's secret",
        )?,
        other => return Err(err(format!("the copied credential was stored: {other:?}"))),
    }
    let meta = ops::fetch_metadata(&svc.issuer_url)?;
    for suite in Suite::ALL {
        let rec = stolen
            .iter()
            .find(|c| c.suite() == suite)
            .ok_or_else(|| err(format!("no {} credential to copy", suite.name())))?;
        let url = svc.request_url(DEMO_APPS[0].0, 18, &[suite], false)?;
        let request = ops::load_request(&url)?;
        let target = request.response_uri.clone().unwrap_or_default();
        let p = thief_presentation(&meta, rec, thief.holder_secret(), &request)?;
        let json = serde_json::to_string(&p).map_err(|e| err(e.to_string()))?;
        let r = http::post_json(&target, &json, None)?;
        println!(
            "   [{} → {}, the copy with the thief's secret] {}",
            suite.name(),
            DEMO_APPS[0].0,
            r.error_text()
        );
        check(
            r.status == 422,
            &format!("{}: rejected by the verifier", suite.name()),
        )?;
    }
    Ok(())
}

/// A presentation from a stolen credential record with the thief's `secret`: what a modified
/// wallet would build (the Groth16 prover without its native check of the statement).
fn thief_presentation(
    meta: &netid_core::IssuerMetadata,
    rec: &CredentialRecord,
    secret: &netid_core::HolderSecret,
    request: &netid_core::PresentationRequest,
) -> CliResult<netid_core::Presentation> {
    let issuer = rec.issuer_url();
    if rec.suite() != Suite::Groth16 {
        let r = http::get(&format!("{issuer}{}", present::digits_route(meta, rec)?))?;
        return Ok(present::present_bbs(meta, rec, secret, &r.body, request)?);
    }
    // The wallet's own path code: the bucket of the metadata's epoch, turned into the path.
    let path_ = present::merkle_path(&ops::fetch_revocation_path(meta, rec)?)?;
    let root = fr_from_bytes(meta.revocation_root.as_slice(), "revocation root")
        .map_err(|e| err(e.to_string()))?;
    let key = eddsa::PublicKey::from_bytes(meta.groth16_public_key.as_slice())
        .map_err(|e| err(e.to_string()))?;
    let sig = eddsa::Signature::from_bytes(rec.signature()).map_err(|e| err(e.to_string()))?;
    netid_circuits::dev::prove_unchecked(
        ops::proving_keys(meta)?,
        &key,
        root,
        HolderCredential {
            attributes: rec.attributes(),
            signature: &sig,
            path: &path_,
            secret,
        },
        request,
        &mut rand_core_06::OsRng,
    )
    .map_err(|e| err(e.to_string()))
}

/// The demo (`netid-demo`).
///
/// # Errors
/// The first step that does not behave as it should.
#[allow(clippy::too_many_lines)]
pub fn run() -> CliResult<()> {
    let started = Instant::now();
    println!("netid-demo — 国家网络身份认证 (simulated) end to end, over HTTP on 127.0.0.1");
    step(
        1,
        "启动服务 / starting the issuer and a verifier; registering two apps",
    );
    let svc = Services::start()?;
    println!("   issuer:   {}", svc.issuer_url);
    println!("   verifier: {}", svc.verifier_url);
    for ((id, name, cat), nym_suite) in DEMO_APPS.into_iter().zip(DEMO_PSEUDONYM_SUITES) {
        println!(
            "   app registered: {name} ({id}), category {cat}: may ask age, assurance, and a \
             pseudonym in {nym_suite}"
        );
    }
    let today = Date::from_unix_seconds(i64::try_from(ops::now()).unwrap_or(0), 8 * 3600)
        .map_err(|e| err(e.to_string()))?;

    step(2, "成人申领 / an adult enrols (ID card + face + phone)");
    let (mut adult, adult_path) = wallet(&svc.dir, "adult")?;
    let adult_birth = Date::from_ymd(1990, 5, 1).map_err(|e| err(e.to_string()))?;
    let adult_card = ops::sample_card("丽", "王", adult_birth, 123)?;
    let mut code = |p: &str| svc.code_for(p);
    let r = ops::enroll(
        &mut adult,
        &adult_path,
        &svc.issuer_url,
        &adult_card,
        "+8613800000001",
        &mut code,
        0.97,
        &[],
        None,
    )?;
    check(
        r.credentials.len() == 3,
        "three credentials (bbs-sha256, bbs-shake256, groth16)",
    )?;
    let adult_netid = r.netid.clone();
    ops::show(&adult, false)?;

    step(
        3,
        "未成年人申领 / a 15-year-old enrols; the guardian approves; the teen collects",
    );
    let (mut teen, teen_path) = wallet(&svc.dir, "teen")?;
    let teen_birth = today
        .checked_sub_years(15)
        .and_then(|d| d.checked_sub_days(30))
        .ok_or_else(|| err("date out of range"))?;
    let teen_card = ops::sample_card("小明", "王", teen_birth, 124)?;
    let r = ops::enroll(
        &mut teen,
        &teen_path,
        &svc.issuer_url,
        &teen_card,
        "+8613800000002",
        &mut code,
        0.97,
        &[],
        None,
    )?;
    check(
        r.credentials.is_empty() && r.ticket.is_some(),
        "pending: no credential before a guardian approves",
    )?;
    let teen_netid = r.netid.clone();
    println!("   [guardian's wallet]");
    let info = ops::guardian_approve(&mut adult, &svc.issuer_url, &teen_netid, "parent")?;
    check(
        info.masked_name == "*小明",
        "the guardian sees the ward's masked name only",
    )?;
    println!("   [teen's wallet]");
    let r = ops::refresh(&mut teen, &teen_path, &svc.issuer_url)?;
    check(
        r.credentials.len() == 3,
        "the teen collected three credentials with the ticket",
    )?;

    step(
        4,
        "出示 / over 18 + real-name to both apps in each suite; each app's pseudonym in its suite",
    );
    let secrets = [
        ops::plain_netid(&adult_netid),
        adult_netid.clone(),
        adult_card.card.id_number.clone(),
        adult_birth.to_string(),
        serde_json::to_string(&adult_birth).unwrap_or_default(),
    ];
    let mut nyms: BTreeMap<&str, String> = BTreeMap::new();
    let mut last = None;
    let mut yes = || -> CliResult<bool> { Ok(true) };
    for suite in Suite::ALL {
        for ((app_id, _, _), nym_suite) in DEMO_APPS.into_iter().zip(DEMO_PSEUDONYM_SUITES) {
            let pseudonym = suite == nym_suite;
            println!(
                "   [{} → {app_id}{}]",
                suite.name(),
                if pseudonym {
                    ", with its pseudonym"
                } else {
                    ""
                }
            );
            let url = svc.request_url(app_id, 18, &[suite], pseudonym)?;
            let out = ops::present(&mut adult, &url, &PresentOptions::default(), &mut yes)?;
            let Verdict::Accepted(claims) = &out.verdict else {
                return Err(err(format!(
                    "{} to {app_id} was not accepted",
                    suite.name()
                )));
            };
            let text = claims.to_string();
            check(
                secrets
                    .iter()
                    .all(|s| !s.is_empty() && !text.contains(s.as_str())),
                "the verifier learnt no 网号, ID number or birthdate",
            )?;
            if pseudonym {
                let nym = claims["pseudonym"].as_str().unwrap_or_default().to_owned();
                // The same app again: the same pseudonym.
                let url = svc.request_url(app_id, 18, &[suite], true)?;
                let again = ops::present(&mut adult, &url, &PresentOptions::default(), &mut yes)?;
                let Verdict::Accepted(claims) = &again.verdict else {
                    return Err(err("repeat presentation not accepted"));
                };
                check(
                    !nym.is_empty() && claims["pseudonym"].as_str() == Some(nym.as_str()),
                    &format!(
                        "{}: same pseudonym on a second visit to {app_id}",
                        suite.name()
                    ),
                )?;
                nyms.insert(app_id, nym);
            }
            last = Some(out);
        }
    }
    let (shop, game) = (DEMO_APPS[0].0, DEMO_APPS[1].0);
    check(
        nyms.len() == 2 && nyms[shop] != nyms[game],
        "different pseudonyms for the two apps (unlinkable)",
    )?;
    println!("   pseudonyms (化名):");
    for ((app, _, _), suite) in DEMO_APPS.into_iter().zip(DEMO_PSEUDONYM_SUITES) {
        let n = &nyms[app];
        println!("     {app:<13} {suite:<13} {}…", &n[..n.len().min(24)]);
    }
    // One pseudonym per person per app: the shop cannot ask for one in another suite.
    match svc.request_url(shop, 18, &[Suite::Groth16], true) {
        Err(e) => {
            println!("   {e}");
            check(
                e.0.contains("422") || e.0.contains("suite"),
                "a pseudonym in another suite than the app's is refused (one per person per app)",
            )?;
        }
        Ok(_) => return Err(err("a pseudonym request in a second suite was created")),
    }

    step(5, "未成年人 / the 15-year-old is asked \"over 18\"");
    let url = svc.request_url(DEMO_APPS[0].0, 18, &[Suite::BbsSha256], true)?;
    match ops::present(&mut teen, &url, &PresentOptions::default(), &mut yes) {
        Err(e) => {
            println!("   {e}");
            check(
                e.0.contains("refused"),
                "the minor cannot prove \"over 18\": refused",
            )?;
        }
        Ok(_) => return Err(err("the minor's \"over 18\" was not refused")),
    }

    step(6, "重放 / a replayed presentation");
    let last = last.ok_or_else(|| err("no presentation to replay"))?;
    let target = last.sent_to.clone().unwrap_or_default();
    let r = http::post_json(&target, &last.presentation, None)?;
    println!("   {}", r.error_text());
    check(r.status == 409, "the replay is rejected (409)")?;

    step(
        7,
        "复制凭证 / a copied credential file, without the wallet, is useless",
    );
    // The victim's wallet holds credentials of an epoch verifiers accept (what a wallet does
    // once per epoch anyway).
    ops::refresh_if_stale(
        &mut adult,
        &ops::fetch_metadata(&svc.issuer_url)?,
        &svc.issuer_url,
    );
    copied_credentials(&svc, &adult)?;

    step(
        8,
        "吊销 / the administrator revokes the adult: effective at an epoch boundary",
    );
    // Fresh credentials first, so that the moment of the revocation alone decides.
    ops::refresh(&mut adult, &adult_path, &svc.issuer_url)?;
    let rv = svc.revoke(&adult_netid)?;
    let grace = u64::from(DEMO_GRACE_EPOCHS);
    let refused_from = rv.effective_epoch + grace;
    let wait = |epoch: u64| {
        let meta = ops::fetch_metadata(&svc.issuer_url)?;
        Ok::<_, CliError>(
            (i64::try_from(epoch.saturating_sub(meta.epoch)).unwrap_or(i64::MAX)
                * i64::from(meta.epoch_length))
            .max(0),
        )
    };
    println!(
        "   revoked {} credential(s) in epoch {}: logged now; the sealer puts the slot into \
         epoch {}'s tree at its boundary, and verifiers keep accepting epoch {}'s keys through \
         epoch {} (grace K = {grace}): refused from epoch {refused_from}, within {} s",
        rv.revoked,
        rv.epoch,
        rv.effective_epoch,
        rv.epoch,
        refused_from - 1,
        wait(refused_from)?
    );
    println!("   [bbs-sha256 → {} before the boundary]", DEMO_APPS[0].0);
    let url = svc.request_url(DEMO_APPS[0].0, 18, &[Suite::BbsSha256], false)?;
    let before = ops::present(&mut adult, &url, &PresentOptions::default(), &mut yes)?;
    check(
        matches!(before.verdict, Verdict::Accepted(_)),
        "still accepted before the boundary: a revocation takes effect within (K+1) epochs \
         (specs/revocation.md §4)",
    )?;
    // Wait for the epochs to turn (bounded: the epochs to wait, and a few seconds more).
    let deadline = Instant::now()
        + std::time::Duration::from_secs((grace + 2) * u64::from(DEMO_EPOCH_SECS) + 5);
    let mut seen = rv.epoch;
    loop {
        let meta = ops::fetch_metadata(&svc.issuer_url)?;
        if meta.epoch > seen {
            println!(
                "   边界 / epoch boundary: epoch {} sealed (revocation root {}…)",
                meta.epoch,
                hex::encode(&meta.revocation_root.as_slice()[..6])
            );
            seen = meta.epoch;
        }
        if meta.epoch >= refused_from {
            break;
        }
        if Instant::now() > deadline {
            return Err(err(format!(
                "epoch {refused_from} was not sealed in time (the issuer is at {})",
                meta.epoch
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let epoch = svc.refresh_verifier()?;
    check(
        epoch >= refused_from,
        &format!("the verifier holds epoch {epoch}, without the revoked credential's keys"),
    )?;
    for suite in Suite::ALL {
        println!(
            "   [{} → {} with the revoked credential]",
            suite.name(),
            DEMO_APPS[0].0
        );
        let url = svc.request_url(DEMO_APPS[0].0, 18, &[suite], false)?;
        match ops::present(&mut adult, &url, &PresentOptions::default(), &mut yes) {
            Ok(o) if matches!(o.verdict, Verdict::Accepted(_)) => {
                return Err(err(format!(
                    "{}: a revoked credential was accepted",
                    suite.name()
                )))
            }
            Ok(_) => check(true, &format!("{}: rejected by the verifier", suite.name()))?,
            Err(e) => check(
                true,
                &format!("{}: no acceptable proof can be made ({e})", suite.name()),
            )?,
        }
    }
    match ops::refresh(&mut adult, &adult_path, &svc.issuer_url) {
        Err(e) => check(
            true,
            &format!("refresh refused for the revoked holder ({e})"),
        )?,
        Ok(_) => return Err(err("a revoked holder got fresh credentials")),
    }

    println!(
        "\n✓ demo complete: every step behaved as expected ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
