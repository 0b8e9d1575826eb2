//! Fixtures shared by the integration tests: an issuer with keys of all suites, apps, requests, proofs.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use ed25519_dalek::SigningKey;
use netid_bbs::netid::{DigitSignatures, NetidBbs};
use netid_bbs::Ciphersuite;
use netid_circuits::dev::{dev_issuer_key, sample_credential, sample_secret};
use netid_circuits::gadgets::eddsa;
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::presentation::fr_to_bytes;
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::{
    AppCertificate, AppPolicy, Attribute, AttributeSet, CredentialAttributes, Date, IssuerMetadata,
    Presentation, PresentationRequest, Suite, METADATA_VERSION,
};
use netid_verifier::service::{Clock, ServiceState};
use netid_verifier::{ApiKey, App, ReplayCache, Verifier};

pub const NOW: u64 = 1_800_000_000;

pub fn groth16_keys() -> &'static ProvingKeys {
    static K: OnceLock<ProvingKeys> = OnceLock::new();
    K.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys");
        ProvingKeys::load_or_dev_setup(&dir, DEV_SEED).unwrap()
    })
}

pub struct BbsIssuer {
    pub bbs: NetidBbs,
    pub sk: netid_bbs::SecretKey,
    pub pk: netid_bbs::PublicKey,
    pub digits: DigitSignatures,
}

pub struct World {
    pub registry: SigningKey,
    pub bbs: Vec<BbsIssuer>,
    pub g16_sk: eddsa::SecretKey,
    pub tree: RevocationTree,
    pub attrs: CredentialAttributes,
}

pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let bbs = [Ciphersuite::Sha256, Ciphersuite::Shake256]
            .into_iter()
            .map(|cs| {
                let bbs = NetidBbs::new(cs);
                let sk = netid_bbs::SecretKey::generate(cs, &mut rand::rng()).unwrap();
                let pk = sk.public_key();
                let digits = bbs.digit_signatures(&sk, &pk).unwrap();
                BbsIssuer {
                    bbs,
                    sk,
                    pk,
                    digits,
                }
            })
            .collect();
        World {
            registry: SigningKey::from_bytes(&[1; 32]),
            bbs,
            g16_sk: dev_issuer_key("verifier tests"),
            tree: RevocationTree::from_revoked([3, 5]).unwrap(),
            attrs: sample_credential(42).unwrap(),
        }
    })
}

pub fn metadata(w: &World, tree: &RevocationTree) -> IssuerMetadata {
    IssuerMetadata {
        version: METADATA_VERSION,
        issuer_id: "test-issuer".into(),
        bbs_sha256_public_key: w.bbs[0].pk.to_bytes().to_vec().into(),
        bbs_shake256_public_key: w.bbs[1].pk.to_bytes().to_vec().into(),
        groth16_public_key: w.g16_sk.public_key().to_bytes().to_vec().into(),
        groth16_setup: netid_core::Groth16Setup::Development,
        groth16_verifying_key: groth16_keys().verifier().to_bytes().unwrap().into(),
        revocation_root: fr_to_bytes(&tree.root()).to_vec().into(),
        epoch: 1,
        app_registry_key: w.registry.verifying_key().to_bytes().to_vec().into(),
        updated_at: NOW,
        metadata_key: metadata_key().verifying_key().to_bytes().into(),
        sequence: 0,
        epoch_start: NOW as i64,
        epoch_length: 86_400,
        grace_epochs: 1,
        previous_epochs: Vec::new(),
        epoch_records: Vec::new(),
    }
}

/// The stand-in issuer's metadata key.
pub fn metadata_key() -> SigningKey {
    SigningKey::from_bytes(&[0x4d; 32])
}

/// `md` as the issuer serves it, signed by [`metadata_key`].
pub fn signed(md: &IssuerMetadata) -> netid_core::SignedMetadata {
    netid_core::SignedMetadata::sign(md, &metadata_key()).unwrap()
}

/// An app whose pseudonyms are in `bbs-sha256`.
pub fn app(registry: &SigningKey, id: &str, key: u8) -> App {
    app_in(registry, id, key, Suite::BbsSha256)
}

/// An app whose pseudonyms are in `suite` (its certificate names one suite).
pub fn app_in(registry: &SigningKey, id: &str, key: u8, suite: Suite) -> App {
    let key = SigningKey::from_bytes(&[key; 32]);
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    let policy = AppPolicy {
        disclose,
        age: true,
        assurance: true,
        pseudonym: true,
        pseudonym_suite: Some(suite),
        not_expired: true,
    };
    let cert = AppCertificate::issue(
        registry,
        id,
        "测试应用",
        "shopping",
        policy,
        key.verifying_key().to_bytes(),
        2_000_000_000,
    )
    .unwrap();
    App::new(&cert.to_bytes(), key).unwrap()
}

pub fn today() -> Date {
    Date::from_ymd(2026, 11, 23).unwrap()
}

/// "Over 18 + given name + not expired", accepting `suites`, plus the app's pseudonym when
/// `suites` is exactly the app's pseudonym suite (one pseudonym per person per app).
pub fn request(app: &App, suites: &[Suite]) -> PresentationRequest {
    let mut b = app
        .request(today())
        .age_at_least(18)
        .disclose(Attribute::GivenName)
        .not_expired()
        .suites(suites);
    if app.certificate().policy.pseudonym_in(suites) {
        b = b.pseudonym();
    }
    b.build(NOW).unwrap()
}

pub fn bbs_present(w: &World, i: usize, req: &PresentationRequest) -> Presentation {
    let b = &w.bbs[i];
    let secret = sample_secret();
    let (commitment, blind) = b.bbs.commit_binding(&secret, &mut rand::rng()).unwrap();
    let sig = b.bbs.issue(&b.sk, &b.pk, &w.attrs, &commitment).unwrap();
    let key = netid_bbs::netid::HolderKey {
        secret: &secret,
        prover_blind: &blind,
    };
    b.bbs
        .present(&b.pk, &b.digits, &w.attrs, &sig, key, req, &mut rand::rng())
        .unwrap()
}

pub fn g16_present(w: &World, req: &PresentationRequest) -> Presentation {
    let sig = g16::sign_credential(&w.g16_sk, &w.attrs).unwrap();
    let path = w.tree.path(w.attrs.rev_index.into()).unwrap();
    g16::prove(
        groth16_keys(),
        &w.g16_sk.public_key(),
        w.tree.root(),
        HolderCredential {
            attributes: &w.attrs,
            signature: &sig,
            path: &path,
            secret: &sample_secret(),
        },
        req,
        &mut rand_core_06::OsRng,
    )
    .unwrap()
}

pub fn verifier(w: &World, cache: Arc<dyn ReplayCache>) -> Verifier {
    Verifier::with_policy(
        metadata(w, &w.tree),
        cache,
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap()
}

/// The status of request `id` at `now`, if known (the request itself dropped).
#[allow(dead_code)] // not every test binary asks
pub async fn status(v: &Verifier, id: &str, now: u64) -> Option<netid_verifier::RequestStatus> {
    v.status(id, now).await.unwrap().map(|(_, s)| s)
}

/// The test API key of `app_id`.
pub fn api_key(app_id: &str) -> ApiKey {
    ApiKey::new(&format!("test-api-key-of-{app_id}-0123456789abcdef")).unwrap()
}

/// Service state for `verifier` running `apps`, each with its [`api_key`].
pub fn keyed_state(verifier: Arc<Verifier>, apps: Vec<App>, clock: Clock) -> ServiceState {
    let ids: Vec<String> = apps.iter().map(|a| a.app_id().to_owned()).collect();
    let mut state = ServiceState::new(verifier, apps, clock);
    for id in ids {
        state = state.with_api_key(&id, &api_key(&id)).unwrap();
    }
    state
}
