//! Deterministic fixtures: issuers of every suite, the sample credential, requests per statement,
//! the app and the issuer metadata a verifier trusts. The keys are derived from public labels
//! (benchmarks only, never production), so separate processes (`serve-issuer` and
//! `throughput --url`) agree on them.

use std::path::Path;

use ed25519_dalek::SigningKey;
use netid_bbs::netid::{DigitSignatures, HolderKey, NetidBbs};
use netid_bbs::{Ciphersuite, Commitment, ProverBlind, PublicKey, SecretKey, Signature};
use netid_circuits::dev::{dev_issuer_key, sample_credential, sample_secret};
use netid_circuits::gadgets::eddsa;
use netid_circuits::gadgets::merkle::{MerklePath, RevocationTree};
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::presentation::fr_to_bytes;
use netid_core::{
    AppCertificate, AppPolicy, Attribute, AttributeSet, CredentialAttributes, Date, HolderSecret,
    IssuerMetadata, Nonce, PresentationRequest, Statements, Suite, FORMAT_VERSION,
    METADATA_VERSION,
};
use netid_verifier::App;

use crate::{Result, Statement};

/// The credential's revocation slot.
pub const REV_INDEX: u32 = 7;
/// Slots revoked in the "with revocation" tree.
pub const REVOKED_SLOTS: u64 = 256;
/// The app id of the benchmark app.
pub const APP_ID: &str = "bench.example";
/// The verifier's date in the matrix.
pub fn today() -> Result<Date> {
    Ok(Date::from_ymd(2026, 11, 23)?)
}

/// A BBS issuer with an issued credential.
#[derive(Debug)]
pub struct BbsIssuer {
    /// The netid BBS suite.
    pub bbs: NetidBbs,
    /// Issuer secret key.
    pub sk: SecretKey,
    /// Issuer public key.
    pub pk: PublicKey,
    /// Range-proof digit signatures.
    pub digits: DigitSignatures,
    /// The credential's signature (blind-signed on [`BbsIssuer::commitment`]).
    pub sig: Signature,
    /// The sample wallet's commitment to its secret.
    pub commitment: Commitment,
    /// The `secret_prover_blind` of that commitment.
    pub blind: ProverBlind,
    /// The sample wallet's secret.
    pub secret: HolderSecret,
}

impl BbsIssuer {
    /// The deterministic issuer of `suite` with `attrs` issued to the sample wallet
    /// ([`sample_secret`]).
    pub fn new(suite: Ciphersuite, attrs: &CredentialAttributes) -> Result<BbsIssuer> {
        let bbs = NetidBbs::new(suite);
        let sk = SecretKey::keygen(suite, &[0x5e; 32], b"netid-bench issuer", None)?;
        let pk = sk.public_key();
        let digits = bbs.digit_signatures(&sk, &pk)?;
        let secret = sample_secret();
        let (commitment, blind) = bbs.commit_binding(&secret, &mut rand::rng())?;
        let sig = bbs.issue(&sk, &pk, attrs, &commitment)?;
        Ok(BbsIssuer {
            bbs,
            sk,
            pk,
            digits,
            sig,
            commitment,
            blind,
            secret,
        })
    }

    /// The holder's half of the credential.
    pub fn holder(&self) -> HolderKey<'_> {
        HolderKey {
            secret: &self.secret,
            prover_blind: &self.blind,
        }
    }
}

/// The Groth16 issuer with an issued credential and its revocation paths.
pub struct G16Issuer {
    /// Proving and verifying keys (development setup).
    pub keys: ProvingKeys,
    /// Issuer EdDSA-Poseidon key.
    pub sk: eddsa::SecretKey,
    /// Its public key.
    pub pk: eddsa::PublicKey,
    /// The credential's signature.
    pub sig: eddsa::Signature,
    /// A tree with three revoked slots (the criterion bench's).
    pub tree: RevocationTree,
    /// The credential's path in `tree`.
    pub path: MerklePath,
    /// A tree with [`REVOKED_SLOTS`] revoked slots.
    pub big_tree: RevocationTree,
    /// The credential's path in `big_tree`.
    pub big_path: MerklePath,
    /// The sample wallet's secret the credential is bound to.
    pub secret: HolderSecret,
}

impl std::fmt::Debug for G16Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("G16Issuer").finish_non_exhaustive()
    }
}

impl G16Issuer {
    /// The deterministic issuer with `attrs` issued, keys from (or cached into) `key_dir`.
    pub fn new(key_dir: &Path, attrs: &CredentialAttributes) -> Result<G16Issuer> {
        let keys = ProvingKeys::load_or_dev_setup(key_dir, DEV_SEED)?;
        let sk = dev_issuer_key("netid-bench");
        let pk = sk.public_key();
        let sig = netid_circuits::suite::sign_credential(&sk, attrs)?;
        let tree = RevocationTree::from_revoked([1, 2, 3])?;
        let path = tree.path(attrs.rev_index.into())?;
        let big_tree = RevocationTree::from_revoked(
            (0..=REVOKED_SLOTS).filter(|&i| i != u64::from(attrs.rev_index)),
        )?;
        let big_path = big_tree.path(attrs.rev_index.into())?;
        Ok(G16Issuer {
            keys,
            sk,
            pk,
            sig,
            tree,
            path,
            big_tree,
            big_path,
            secret: sample_secret(),
        })
    }
}

/// The sample netid/v1 credential (12 attributes, adult, not expired).
pub fn credential() -> Result<CredentialAttributes> {
    Ok(sample_credential(REV_INDEX)?)
}

/// The statements of `statement`.
pub fn statements(statement: Statement, today: Date) -> Statements {
    let mut disclose = AttributeSet::new();
    let (mut age, mut nym, mut not_expired) = (None, false, false);
    match statement {
        Statement::Disclose => {
            disclose.insert(Attribute::GivenName);
        }
        Statement::Age18 => age = Some(18),
        Statement::Age18Nym => {
            age = Some(18);
            nym = true;
        }
        Statement::Full | Statement::Revocation => {
            disclose.insert(Attribute::GivenName);
            age = Some(18);
            nym = true;
            not_expired = true;
        }
        Statement::Nym => nym = true,
    }
    Statements {
        today,
        age_at_least: age,
        assurance_at_least: None,
        disclose,
        pseudonym: nym,
        not_expired,
    }
}

/// An unsigned request for `statement`, accepting `suite` (the suites do not check the app's
/// signature: the verifier does, and the matrix measures the suites).
pub fn request(statement: Statement, suite: Suite, nonce: [u8; 32]) -> Result<PresentationRequest> {
    Ok(PresentationRequest {
        version: FORMAT_VERSION,
        app_id: APP_ID.into(),
        nonce: Nonce::new(nonce),
        expires_at: u64::MAX,
        statements: statements(statement, today()?),
        suites: vec![suite],
        app_certificate: Vec::new().into(),
        response_uri: None,
        signature: Vec::new().into(),
    })
}

/// The app registry's key (deterministic).
pub fn registry() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

/// The benchmark app's signing key seed (deterministic).
pub const APP_KEY_SEED: [u8; 32] = [0x43; 32];

/// The id of the benchmark app whose pseudonyms are in `suite` (one pseudonym suite per app):
/// [`APP_ID`] for `bbs-sha256`, `<suite>.bench.example` for the others.
pub fn app_id(suite: Suite) -> String {
    match suite {
        Suite::BbsSha256 => APP_ID.to_owned(),
        s => format!("{}.{APP_ID}", s.name()),
    }
}

/// The benchmark app's certificate (may ask everything the matrix asks; pseudonyms in
/// `bbs-sha256`).
pub fn app_certificate() -> Result<AppCertificate> {
    app_certificate_for(Suite::BbsSha256)
}

/// The certificate of the benchmark app whose pseudonyms are in `suite` ([`app_id`]).
pub fn app_certificate_for(suite: Suite) -> Result<AppCertificate> {
    let key = SigningKey::from_bytes(&APP_KEY_SEED);
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
    Ok(AppCertificate::issue(
        &registry(),
        &app_id(suite),
        "基准测试",
        "benchmark",
        policy,
        key.verifying_key().to_bytes(),
        4_000_000_000,
    )?)
}

/// The benchmark app (certificate and key).
pub fn app() -> Result<App> {
    Ok(App::new(
        &app_certificate()?.to_bytes(),
        SigningKey::from_bytes(&APP_KEY_SEED),
    )?)
}

/// The API key of benchmark app `app_id` for the verifier's app-facing routes (deterministic,
/// derived from a public label: benchmarks only, like every key here).
pub fn api_key(app_id: &str) -> Result<netid_verifier::ApiKey> {
    Ok(netid_verifier::ApiKey::new(&format!(
        "netid-bench-public-api-key-of-{app_id}"
    ))?)
}

/// The three benchmark apps, one per pseudonym suite ([`app_id`]).
pub fn apps() -> Result<Vec<App>> {
    Suite::ALL
        .into_iter()
        .map(|s| {
            Ok(App::new(
                &app_certificate_for(s)?.to_bytes(),
                SigningKey::from_bytes(&APP_KEY_SEED),
            )?)
        })
        .collect()
}

/// Issuers of all suites, for the throughput run.
#[derive(Debug)]
pub struct World {
    /// The credential.
    pub attrs: CredentialAttributes,
    /// BBS issuers: SHA-256, SHAKE-256.
    pub bbs: [BbsIssuer; 2],
    /// The Groth16 issuer.
    pub g16: G16Issuer,
}

impl World {
    /// Builds every issuer (Groth16 keys from or into `key_dir`).
    pub fn new(key_dir: &Path) -> Result<World> {
        let attrs = credential()?;
        Ok(World {
            bbs: [
                BbsIssuer::new(Ciphersuite::Sha256, &attrs)?,
                BbsIssuer::new(Ciphersuite::Shake256, &attrs)?,
            ],
            g16: G16Issuer::new(key_dir, &attrs)?,
            attrs,
        })
    }

    /// The issuer metadata a verifier trusts for this world.
    pub fn metadata(&self, now: u64) -> Result<IssuerMetadata> {
        Ok(IssuerMetadata {
            version: METADATA_VERSION,
            issuer_id: "netid-bench".into(),
            bbs_sha256_public_key: self.bbs[0].pk.to_bytes().to_vec().into(),
            bbs_shake256_public_key: self.bbs[1].pk.to_bytes().to_vec().into(),
            groth16_public_key: self.g16.pk.to_bytes().to_vec().into(),
            groth16_setup: netid_core::Groth16Setup::Development,
            groth16_verifying_key: self.g16.keys.verifier().to_bytes()?.into(),
            revocation_root: fr_to_bytes(&self.g16.tree.root()).to_vec().into(),
            epoch: 1,
            app_registry_key: registry().verifying_key().to_bytes().to_vec().into(),
            updated_at: now,
            metadata_key: metadata_key().verifying_key().to_bytes().into(),
            sequence: 0,
            epoch_start: i64::try_from(now).unwrap_or(i64::MAX),
            epoch_length: 86_400,
            grace_epochs: 1,
            previous_epochs: Vec::new(),
            epoch_records: Vec::new(),
        })
    }

    /// [`World::metadata`] as an issuer serves it (`GET /v1/metadata`): signed by the
    /// benchmark issuer's metadata key.
    pub fn signed_metadata(&self, now: u64) -> Result<netid_core::SignedMetadata> {
        Ok(netid_core::SignedMetadata::sign(
            &self.metadata(now)?,
            &metadata_key(),
        )?)
    }
}

/// The benchmark issuer's metadata key (deterministic, from a public label: benchmarks only).
fn metadata_key() -> SigningKey {
    SigningKey::from_bytes(&METADATA_KEY_SEED)
}

/// Seed of the benchmark issuer's metadata key.
const METADATA_KEY_SEED: [u8; 32] = [0x4d; 32];
