//! Development fixtures: a deterministic issuer key, a sample credential and requests, for the
//! CLI's `demo-proof`, the tests and the benchmarks. Nothing here is secret or for production.

use netid_core::{
    AssuranceLevel, Attribute, AttributeSet, CredentialAttributes, Date, DocType, HolderSecret,
    Nonce, Nym, PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::gadgets::eddsa::SecretKey;

/// The development issuer key derived from `label` (public: anyone can sign with it).
pub fn dev_issuer_key(label: &str) -> SecretKey {
    let d: [u8; 32] = Sha256::new()
        .chain_update(b"netid/v1/groth16/dev-issuer/")
        .chain_update(label.as_bytes())
        .finalize()
        .into();
    SecretKey::from_bytes(d)
}

/// The sample wallet's secret (public: for demos and tests only).
pub fn sample_secret() -> HolderSecret {
    let d: [u8; 32] = Sha256::digest(b"netid sample wallet secret").into();
    HolderSecret::from_random(&d).unwrap_or_else(|_| unreachable!("a SHA-256 output is not 0"))
}

/// A sample adult credential (born 1990-05-04, valid until 2030-01-01, `rev_index`), bound to
/// [`sample_secret`].
pub fn sample_credential(rev_index: u32) -> Result<CredentialAttributes> {
    let nym: [u8; 32] = Sha256::digest(b"netid sample nym").into();
    Ok(CredentialAttributes {
        netid: "NID7Q2KX9M4".into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: Sha256::digest(b"netid sample id").into(),
        birthdate: Date::from_ymd(1990, 5, 4)?,
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        nym: Nym::from_prf_output(&nym),
        binding: crate::presentation::holder_binding(&sample_secret())?,
        expiry: Date::from_ymd(2030, 1, 1)?,
        rev_index,
        guardian_perms: 0,
    })
}

/// The statement of the benchmarks and `demo-proof`: "age ≥ 18 + pseudonym + given_name
/// disclosed + not expired", for `app_id` on `today`, with the given nonce.
pub fn adult_request(app_id: &str, today: Date, nonce: [u8; 32]) -> PresentationRequest {
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    PresentationRequest {
        version: FORMAT_VERSION,
        app_id: app_id.into(),
        nonce: Nonce::new(nonce),
        expires_at: u64::MAX,
        statements: Statements {
            today,
            age_at_least: Some(18),
            assurance_at_least: None,
            disclose,
            pseudonym: true,
            not_expired: true,
        },
        suites: vec![Suite::Groth16],
        app_certificate: Vec::new().into(),
        response_uri: None,
        signature: Vec::new().into(),
    }
}

/// Forges a Groth16 proof for *any* public inputs from a setup's trapdoor — what anyone can do
/// against development keys, whose trapdoor [`crate::keys::development_trapdoor`] recomputes
/// from the public seed. For the tests that show why deployments need ceremony keys.
///
/// With `L = IC_0 + Σ x_i·IC_i` and a random point `P`: `A = α + (γ/β)·L + (δ/β)·P`, `B = β`,
/// `C = P`, so `e(A, B) = e(α, β)·e(L, γ)·e(C, δ)`, the verification equation, holds without
/// any witness. Against keys of another trapdoor the result is just an invalid proof.
pub fn forge_proof<R: rand_chacha::rand_core::RngCore>(
    vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>,
    trapdoor: &crate::keys::Trapdoor,
    public: &[ark_bn254::Fr],
    rng: &mut R,
) -> Result<ark_groth16::Proof<ark_bn254::Bn254>> {
    use ark_bn254::{Fr, G1Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{Field, UniformRand};

    let (ic0, ics) = vk
        .gamma_abc_g1
        .split_first()
        .filter(|(_, ics)| ics.len() == public.len())
        .ok_or_else(|| crate::CircuitError::Statement("wrong number of public inputs".into()))?;
    let l = ics
        .iter()
        .zip(public)
        .fold(G1Projective::from(*ic0), |acc, (ic, x)| acc + *ic * x);
    let beta_inv = trapdoor
        .beta
        .inverse()
        .ok_or_else(|| crate::CircuitError::Keys("β = 0".into()))?;
    let p = G1Projective::generator() * Fr::rand(rng);
    let a = vk.alpha_g1 + l * (trapdoor.gamma * beta_inv) + p * (trapdoor.delta * beta_inv);
    Ok(ark_groth16::Proof {
        a: a.into_affine(),
        b: vk.beta_g2,
        c: p.into_affine(),
    })
}

/// What a modified wallet could run: the Groth16 prover without its native pre-check, so that
/// it "proves" false statements too — e.g. a copied credential with the thief's own wallet
/// secret. The constraint system is then unsatisfied and the proof is one no verifier accepts;
/// the tests and the demo send such proofs to show it.
///
/// # Errors
/// As [`crate::suite::prove`], except that a false statement is not refused.
pub fn prove_unchecked<R: rand_chacha::rand_core::RngCore + rand_chacha::rand_core::CryptoRng>(
    keys: &crate::keys::ProvingKeys,
    issuer: &crate::gadgets::eddsa::PublicKey,
    rev_root: ark_bn254::Fr,
    credential: crate::suite::HolderCredential<'_>,
    request: &PresentationRequest,
    rng: &mut R,
) -> Result<netid_core::Presentation> {
    crate::suite::prove_inner(keys, issuer, rev_root, credential, request, rng, false)
}
