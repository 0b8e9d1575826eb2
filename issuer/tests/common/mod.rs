//! Fixtures of the service tests: an issuer over SQLite (or PostgreSQL), sample people, an HTTP
//! helper over `router().oneshot(..)` and one over a real TCP connection, and the wallet's side
//! of presentations for both suites.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ed25519_dalek::{Signer as _, SigningKey};
use netid_bbs::netid::NetidBbs;
use netid_circuits::gadgets::eddsa;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::presentation::fr_from_bytes;
use netid_circuits::presentation::holder_binding;
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::issuer_api::BindingCommitment;
use netid_core::{
    AppPolicy, Attribute, AttributeSet, Date, DocType, HolderSecret, IssuerMetadata, Presentation,
    PresentationRequest, Suite,
};
use netid_issuer::api::{
    enrol_pop_message, refresh_pop_message, EnrolRequest, IssuedCredential, PhoneProof,
    RefreshRequest, RevocationBucket,
};
use netid_issuer::clock::Clock;
use netid_issuer::evidence::{
    CardContents, CardName, ChallengeId, FaceSample, MemoryCodeSender, PhoneNumber, SignedCard,
};
use netid_issuer::id_number::{check_character, Sex};
use netid_issuer::server::{build, dev_card_authority, IssuerOptions, KeySource};
use netid_issuer::service::{AdminToken, ServiceState};
use netid_issuer::storage::AnyStorage;
use netid_verifier::App;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;

pub const ADMIN: &str = "test-admin-token-0123456789";

pub fn key_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys")
}

pub fn groth16_keys() -> &'static ProvingKeys {
    static K: OnceLock<ProvingKeys> = OnceLock::new();
    K.get_or_init(|| ProvingKeys::load_or_dev_setup(&key_dir(), DEV_SEED).unwrap())
}

/// An issuer over `db` with the development card authority, codes kept in memory, and
/// day-long epochs.
pub async fn issuer(
    db: &str,
    clock: Option<Arc<dyn Clock>>,
) -> (ServiceState<AnyStorage>, Arc<MemoryCodeSender>) {
    issuer_with_epochs(db, clock, netid_issuer::DEFAULT_EPOCH_SECS).await
}

/// [`issuer`] with epochs of `epoch_secs` seconds, keeping the stored tree of 3 epochs.
pub async fn issuer_with_epochs(
    db: &str,
    clock: Option<Arc<dyn Clock>>,
    epoch_secs: u32,
) -> (ServiceState<AnyStorage>, Arc<MemoryCodeSender>) {
    let sender = Arc::new(MemoryCodeSender::new());
    let mut opts = IssuerOptions::new(
        db,
        KeySource::Ephemeral,
        netid_issuer::evidence::TrustedCardAuthorities::new([dev_card_authority().verifying_key()]),
        sender.clone(),
    );
    opts.groth16 = netid_issuer::server::Groth16Keys::Development(key_dir());
    opts.admin_token = Some(AdminToken::new(ADMIN.into()).unwrap());
    if let Some(c) = clock {
        opts.clock = c;
    }
    opts.config.epoch_secs = epoch_secs;
    if epoch_secs != netid_issuer::DEFAULT_EPOCH_SECS {
        opts.config.retain_epochs = 3;
    }
    (build(opts).await.unwrap(), sender)
}

/// A temporary SQLite URL (the directory lives as long as the returned guard).
pub fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("issuer.db").display());
    (url, dir)
}

/// A valid GB 11643 number born on `birth` with sequence `seq`.
pub fn id_number(birth: Date, seq: u32) -> String {
    let (y, m, d) = birth.ymd();
    let body = format!("110105{y:04}{m:02}{d:02}{:03}", seq % 1000);
    let b: [u8; 17] = body.as_bytes().try_into().unwrap();
    format!("{body}{}", check_character(&b).unwrap() as char)
}

pub fn card(given: &str, birth: Date, seq: u32) -> SignedCard {
    dev_card_authority().sign(CardContents {
        name: CardName {
            family: "王".into(),
            given: given.into(),
        },
        id_number: id_number(birth, seq),
        birthdate: birth,
        sex: if seq % 2 == 1 { Sex::Male } else { Sex::Female },
        doc_type: DocType::ResidentIdCard,
        valid_from: Date::from_ymd(2020, 1, 1).unwrap(),
        valid_until: None,
        card_authority: Some("北京市公安局西城分局".into()),
        photo: None,
    })
}

/// Someone born `years` years before 2026-06-01 (the tests' cards).
pub fn born(years: u16) -> Date {
    Date::from_ymd(2026 - years, 6, 1).unwrap()
}

pub fn device(seed: u32) -> SigningKey {
    let mut s = [7u8; 32];
    s[..4].copy_from_slice(&seed.to_be_bytes());
    SigningKey::from_bytes(&s)
}

pub fn phone(i: u32) -> String {
    format!("+86138{:08}", i)
}

/// The test wallets' holder secret: derived from the device public key, so a test holds a
/// device and its wallet secret together.
pub fn holder_secret(dk: &[u8; 32]) -> HolderSecret {
    let d: [u8; 32] = Sha256::new()
        .chain_update(b"netid test holder secret")
        .chain_update(dk)
        .finalize()
        .into();
    HolderSecret::from_random(&d).unwrap()
}

/// The Blind BBS commitment of device `dk`'s wallet for `suite`, deterministic (seeded random
/// scalars) so that the prover blind can be recomputed when presenting.
fn bbs_commitment(dk: &[u8; 32], suite: Suite) -> (netid_bbs::Commitment, netid_bbs::ProverBlind) {
    let n = NetidBbs::for_suite(suite).unwrap();
    let seed = [dk.as_slice(), suite.name().as_bytes()].concat();
    let rs = netid_bbs::seeded_random_scalars(n.ciphersuite(), &seed, b"netid test commitment", 3)
        .unwrap();
    n.blind_interface()
        .commit_with_random_scalars(&[NetidBbs::secret_scalar(&holder_secret(dk))], &rs)
        .unwrap()
}

/// Which device each holder binding of the tests belongs to (filled by [`binding_for`]).
fn wallets() -> &'static std::sync::Mutex<std::collections::HashMap<[u8; 32], [u8; 32]>> {
    static W: OnceLock<std::sync::Mutex<std::collections::HashMap<[u8; 32], [u8; 32]>>> =
        OnceLock::new();
    W.get_or_init(Default::default)
}

/// The holder binding and commitments device `dk`'s wallet sends for `suites` (empty: all).
pub fn binding_for(dk: &[u8; 32], suites: &[Suite]) -> ([u8; 32], Vec<BindingCommitment>) {
    let binding = holder_binding(&holder_secret(dk)).unwrap().to_be_bytes();
    wallets().lock().unwrap().insert(binding, *dk);
    let suites = if suites.is_empty() {
        vec![Suite::BbsSha256, Suite::BbsShake256]
    } else {
        suites.to_vec()
    };
    let commitments = suites
        .into_iter()
        .filter(|s| *s != Suite::Groth16)
        .map(|suite| BindingCommitment {
            suite,
            commitment: bbs_commitment(dk, suite).0.to_bytes(),
        })
        .collect();
    (binding, commitments)
}

/// The device whose wallet a credential is bound to (it must have been through [`binding_for`]).
fn device_of(cred: &IssuedCredential) -> [u8; 32] {
    *wallets()
        .lock()
        .unwrap()
        .get(&cred.attributes.binding.to_be_bytes())
        .expect("a credential of a test wallet")
}

/// A signed refresh request of `dev` for `netid`.
pub fn refresh_request(
    netid: &str,
    dev: &SigningKey,
    suites: &[Suite],
    ticket: Option<String>,
) -> RefreshRequest {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let dk = dev.verifying_key().to_bytes();
    let (binding, commitments) = binding_for(&dk, suites);
    RefreshRequest {
        netid: netid.to_owned(),
        device_key: dk,
        timestamp: ts,
        device_signature: dev
            .sign(&refresh_pop_message(netid, ts, &dk, &binding, &commitments))
            .to_bytes(),
        binding,
        commitments,
        suites: suites.to_vec(),
        ticket,
    }
}

/// The enrolment request body for `card`, after a phone challenge with `challenge` and `code`.
pub fn enrol_request(
    card: &SignedCard,
    dev: &SigningKey,
    challenge: &str,
    code: &str,
    suites: &[Suite],
    guardian: Option<netid_issuer::api::GuardianProof>,
) -> EnrolRequest {
    let id = ChallengeId::parse(challenge).unwrap();
    let dk = dev.verifying_key().to_bytes();
    let (binding, commitments) = binding_for(&dk, suites);
    EnrolRequest {
        card: card.clone(),
        face: FaceSample {
            score: Some(0.97),
            image: Vec::new(),
        },
        phone: PhoneProof {
            challenge_id: challenge.into(),
            code: code.into(),
        },
        device_key: dk,
        device_signature: dev
            .sign(&enrol_pop_message(
                id.as_bytes(),
                &dk,
                &binding,
                &commitments,
            ))
            .to_bytes(),
        binding,
        commitments,
        suites: suites.to_vec(),
        guardian,
    }
}

/// `router.oneshot(..)` with a JSON body (or raw text), returning status and JSON (or
/// `{"text": ..}` for a non-JSON answer).
pub async fn call(
    app: &Router,
    method: &str,
    path: &str,
    body: Option<&str>,
    admin: bool,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(path);
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    if admin {
        b = b.header("authorization", format!("Bearer {ADMIN}"));
    }
    let req = b
        .body(body.map_or_else(Body::empty, |s| Body::from(s.to_owned())))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({"text": String::from_utf8_lossy(&bytes), "len": bytes.len()}));
    (status, v)
}

pub async fn call_bytes(app: &Router, path: &str) -> Vec<u8> {
    let (status, bytes) = get_bytes(app, path).await;
    assert_eq!(status, StatusCode::OK);
    bytes
}

/// `GET path`: the status and the body's bytes.
pub async fn get_bytes(app: &Router, path: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::builder().uri(path).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, bytes)
}

/// A phone challenge through the router; returns (challenge id, code).
pub async fn challenge(app: &Router, sender: &MemoryCodeSender, phone: &str) -> (String, String) {
    let (s, v) = call(
        app,
        "POST",
        "/v1/phone/challenges",
        Some(&json!({ "phone": phone }).to_string()),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let code = sender
        .last_code_for(&PhoneNumber::parse(phone).unwrap())
        .unwrap();
    (
        v["challenge_id"].as_str().unwrap().to_owned(),
        code.expose_secret().to_owned(),
    )
}

/// Enrols `card` through the router; returns status and answer.
pub async fn enrol(
    app: &Router,
    sender: &MemoryCodeSender,
    card: &SignedCard,
    dev: &SigningKey,
    phone_no: &str,
    suites: &[Suite],
    guardian: Option<netid_issuer::api::GuardianProof>,
) -> (StatusCode, Value) {
    let (id, code) = challenge(app, sender, phone_no).await;
    let req = enrol_request(card, dev, &id, &code, suites, guardian);
    call(
        app,
        "POST",
        "/v1/enrolments",
        Some(&serde_json::to_string(&req).unwrap()),
        true,
    )
    .await
}

/// Registers an app through the admin route; returns the app (certificate + key). The policy
/// names no pseudonym suite: the registry picks its default.
pub async fn register_app(app: &Router, id: &str, key_seed: u8, disclose: &[Attribute]) -> App {
    register_app_in(app, id, key_seed, disclose, None).await
}

/// [`register_app`] with the app's pseudonym suite named in the registration.
pub async fn register_app_in(
    app: &Router,
    id: &str,
    key_seed: u8,
    disclose: &[Attribute],
    pseudonym_suite: Option<Suite>,
) -> App {
    let key = SigningKey::from_bytes(&[key_seed; 32]);
    let policy = AppPolicy {
        disclose: disclose.iter().copied().collect::<AttributeSet>(),
        age: true,
        assurance: true,
        pseudonym: true,
        pseudonym_suite,
        not_expired: true,
    };
    let body = json!({
        "app_id": id, "name": "测试商城", "category": "shopping", "policy": policy,
        "app_key": netid_core::b64::encode(key.verifying_key().to_bytes()),
    });
    let (s, v) = call(app, "POST", "/v1/admin/apps", Some(&body.to_string()), true).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let cert = netid_core::b64::decode(v["certificate"].as_str().unwrap(), "certificate").unwrap();
    App::new(&cert, key).unwrap()
}

/// `GET /v1/metadata`: the signed document, opened (its signature checked).
pub async fn metadata(app: &Router) -> IssuerMetadata {
    let (s, v) = call(app, "GET", "/v1/metadata", None, false).await;
    assert_eq!(s, StatusCode::OK);
    let signed: netid_core::SignedMetadata = serde_json::from_value(v).unwrap();
    signed.open(None).unwrap()
}

pub fn credential(resp: &Value, suite: Suite) -> IssuedCredential {
    let creds: Vec<IssuedCredential> = serde_json::from_value(resp["credentials"].clone()).unwrap();
    creds.into_iter().find(|c| c.suite == suite).unwrap()
}

/// The wallet's side: a presentation of `cred` answering `req` (BBS: with the digit signatures
/// fetched from the issuer; Groth16: with the revocation path fetched from the issuer).
pub async fn present(
    app: &Router,
    meta: &IssuerMetadata,
    cred: &IssuedCredential,
    req: &PresentationRequest,
) -> Result<Presentation, String> {
    match cred.suite {
        Suite::Groth16 => {
            let path = served_path(app, meta, cred.attributes.rev_index).await?;
            present_groth16(meta, cred, &path, req)
        }
        bbs => {
            // The keys and digit signatures of the credential's epoch, if still accepted.
            let keys = meta
                .epoch_keys(cred.epoch)
                .ok_or_else(|| format!("credential of epoch {} is stale", cred.epoch))?;
            let name = serde_json::to_value(bbs).unwrap();
            let (status, digits) = get_bytes(
                app,
                &format!(
                    "/v1/bbs/{}/epochs/{}/digits",
                    name.as_str().unwrap(),
                    cred.epoch
                ),
            )
            .await;
            if status != StatusCode::OK {
                return Err(format!(
                    "digit signatures of epoch {}: {status}",
                    cred.epoch
                ));
            }
            let b = NetidBbs::for_suite(bbs).unwrap();
            let pk_bytes = match bbs {
                Suite::BbsSha256 => &keys.bbs_sha256_public_key,
                _ => &keys.bbs_shake256_public_key,
            };
            let pk = netid_bbs::PublicKey::from_bytes(pk_bytes.as_slice()).unwrap();
            let digits = b
                .load_digit_signatures(&digits)
                .map_err(|e| e.to_string())?;
            let sig =
                netid_bbs::Signature::from_bytes(&cred.signature).map_err(|e| e.to_string())?;
            let dk = device_of(cred);
            let (_, blind) = bbs_commitment(&dk, bbs);
            let key = netid_bbs::netid::HolderKey {
                secret: &holder_secret(&dk),
                prover_blind: &blind,
            };
            b.present(
                &pk,
                &digits,
                &cred.attributes,
                &sig,
                key,
                req,
                &mut rand::rng(),
            )
            .map(|mut p| {
                p.epoch = Some(cred.epoch);
                p
            })
            .map_err(|e| e.to_string())
        }
    }
}

/// The wallet's path of slot `rev_index`, computed from the bucket of the metadata's epoch
/// that the issuer serves (specs/revocation.md §8); checked to lead to the metadata's root.
pub async fn served_path(
    app: &Router,
    meta: &IssuerMetadata,
    rev_index: u32,
) -> Result<netid_circuits::gadgets::merkle::MerklePath, String> {
    use netid_circuits::gadgets::merkle::{path_from_bucket, LIVE, UPPER};
    let (s, v) = call(
        app,
        "GET",
        &format!(
            "/v1/revocation/epochs/{}/buckets/{}",
            meta.epoch,
            rev_index >> 16
        ),
        None,
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let bucket: RevocationBucket = serde_json::from_value(v).unwrap();
    let revoked = netid_core::issuer_api::decode_revoked_offsets(&bucket.revoked)
        .map_err(|e| e.to_string())?;
    let upper: Vec<_> = bucket
        .siblings
        .iter()
        .map(|s| fr_from_bytes(s.as_slice(), "sibling").unwrap())
        .collect();
    let upper: [_; UPPER] = upper.try_into().map_err(|_| "sibling count".to_string())?;
    let path =
        path_from_bucket(u64::from(rev_index), &revoked, &upper).map_err(|e| e.to_string())?;
    let root = fr_from_bytes(meta.revocation_root.as_slice(), "root").unwrap();
    if path.root(u64::from(rev_index), LIVE) != root {
        return Err("the bucket does not lead to the metadata's root (revoked?)".into());
    }
    Ok(path)
}

pub fn present_groth16(
    meta: &IssuerMetadata,
    cred: &IssuedCredential,
    path: &netid_circuits::gadgets::merkle::MerklePath,
    req: &PresentationRequest,
) -> Result<Presentation, String> {
    let issuer = eddsa::PublicKey::from_bytes(meta.groth16_public_key.as_slice()).unwrap();
    let sig = eddsa::Signature::from_bytes(&cred.signature).map_err(|e| e.to_string())?;
    let root = fr_from_bytes(meta.revocation_root.as_slice(), "root").unwrap();
    g16::prove(
        groth16_keys(),
        &issuer,
        root,
        HolderCredential {
            attributes: &cred.attributes,
            signature: &sig,
            path,
            secret: &holder_secret(&device_of(cred)),
        },
        req,
        &mut rand_core_06::OsRng,
    )
    .map(|mut p| {
        p.epoch = Some(meta.epoch);
        p
    })
    .map_err(|e| e.to_string())
}

/// An "over 18 + real-name verified" request of `app`, plus its pseudonym when `suites` is
/// exactly the app's pseudonym suite (one pseudonym per person per app).
pub fn adult_request(app: &App, today: Date, now: u64, suites: &[Suite]) -> PresentationRequest {
    let mut b = app
        .request(today)
        .age_at_least(18)
        .assurance_at_least(netid_core::AssuranceLevel::Remote)
        .not_expired()
        .suites(suites);
    if app.certificate().policy.pseudonym_in(suites) {
        b = b.pseudonym();
    }
    b.build(now).unwrap()
}

/// Minimal HTTP/1.1 over a fresh TCP connection (for the real-server tests): status and body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let (status, _, body) = http_full(addr, method, path, body).await;
    (status, body)
}

/// As [`http`], with the response head (status line and headers) too.
pub async fn http_full(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}
