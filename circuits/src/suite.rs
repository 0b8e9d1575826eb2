//! The Groth16 suite over netid-core's types: issue a credential, prove a presentation, verify
//! it (specs/groth16.md §8).
//!
//! Wire formats: the proof is Groth16's `(A, B, C)` compressed, 32 + 64 + 32 = 128 bytes
//! (arkworks' canonical compressed encoding; decoding checks canonicity, curve and subgroup); the
//! pseudonym is a canonical 32-byte little-endian field element.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use netid_core::{
    Attribute, Audience, CredentialAttributes, DisclosedAttributes, Presentation,
    PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use rand_chacha::rand_core::{CryptoRng, RngCore, SeedableRng};

use crate::error::{CircuitError, Result};
use crate::gadgets::eddsa::{PublicKey, SecretKey, Signature};
use crate::gadgets::merkle::MerklePath;
use crate::keys::{ProvingKeys, VerifierKey};
use crate::presentation::{
    attributes_to_fields, check_statement, circuit::PresentationCircuit, credential_commitment,
    fr_from_bytes, fr_to_bytes, PublicInputs, Witness,
};
use crate::prover::CircuitMatrices;
use ark_ff::UniformRand;

/// Length of an encoded proof.
pub const PROOF_LEN: usize = 128;

/// The issuer's signature on a credential: EdDSA-Poseidon on `C = Poseidon(attributes)`.
pub fn sign_credential(sk: &SecretKey, attrs: &CredentialAttributes) -> Result<Signature> {
    attrs.validate()?;
    Ok(sk.sign(credential_commitment(&attributes_to_fields(attrs))))
}

/// Checks an issued credential's signature (the wallet does this on receipt).
pub fn verify_credential(
    pk: &PublicKey,
    attrs: &CredentialAttributes,
    signature: &Signature,
) -> Result<()> {
    pk.verify(
        credential_commitment(&attributes_to_fields(attrs)),
        signature,
    )
}

/// Encodes a proof (128 bytes).
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(PROOF_LEN);
    proof
        .serialize_compressed(&mut out)
        .map_err(|e| CircuitError::encoding("proof", e.to_string()))?;
    Ok(out)
}

/// Decodes a proof: exactly 128 bytes, canonical, points on the curve and in the subgroup.
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>> {
    if bytes.len() != PROOF_LEN {
        return Err(CircuitError::encoding(
            "proof",
            format!("expected {PROOF_LEN} bytes, got {}", bytes.len()),
        ));
    }
    let proof = Proof::<Bn254>::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
        .map_err(|e| CircuitError::encoding("proof", e.to_string()))?;
    if proof_to_bytes(&proof)? != bytes {
        return Err(CircuitError::encoding("proof", "non-canonical encoding"));
    }
    Ok(proof)
}

/// What a verifier learns from an accepted presentation: the proven statements, the disclosed
/// attributes and the per-app pseudonym. Nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPresentation {
    /// The app the presentation was made for.
    pub app_id: String,
    /// The statements proven (as requested).
    pub statements: Statements,
    /// The attributes disclosed in the clear.
    pub disclosed: DisclosedAttributes,
    /// The per-app pseudonym (32 bytes, little-endian field element), if asked.
    pub pseudonym: Option<[u8; 32]>,
}

/// Everything a holder needs besides the request to prove a presentation.
#[derive(Clone)]
pub struct HolderCredential<'a> {
    /// The credential's attributes.
    pub attributes: &'a CredentialAttributes,
    /// The issuer's signature on them.
    pub signature: &'a Signature,
    /// The revocation path of `attributes.rev_index` in the current tree.
    pub path: &'a MerklePath,
    /// The wallet secret the credential is bound to.
    pub secret: &'a netid_core::HolderSecret,
}

/// Proves a presentation answering `request`. Fails with [`CircuitError::Statement`] — and
/// produces nothing — when the credential does not satisfy what is asked, and with
/// [`CircuitError::Core`] when the request is malformed.
pub fn prove<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    issuer: &PublicKey,
    rev_root: Fr,
    credential: HolderCredential<'_>,
    request: &PresentationRequest,
    rng: &mut R,
) -> Result<Presentation> {
    prove_inner(keys, issuer, rev_root, credential, request, rng, true)
}

/// [`prove`], or — for [`crate::dev::prove_unchecked`] only — without the native pre-check.
pub(crate) fn prove_inner<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    issuer: &PublicKey,
    rev_root: Fr,
    credential: HolderCredential<'_>,
    request: &PresentationRequest,
    rng: &mut R,
    checked: bool,
) -> Result<Presentation> {
    request.validate(Audience::for_app_id(&request.app_id))?;
    if !request.suites.contains(&Suite::Groth16) {
        return Err(CircuitError::Statement(
            "the request does not accept the groth16 suite".into(),
        ));
    }
    let st = &request.statements;
    let attrs = credential.attributes;
    let disclosed = attrs.disclose(st.disclose)?;
    let fields = attributes_to_fields(attrs);
    let ps = st.pseudonym.then(|| {
        crate::presentation::pseudonym(
            fields[Attribute::Nym.index()],
            crate::presentation::app_id_to_field(&request.app_id),
        )
    });
    let public = PublicInputs::for_request(request, &disclosed, ps, issuer, rev_root)?;
    let witness = Witness {
        attributes: fields,
        signature: *credential.signature,
        path: credential.path.clone(),
        secret: crate::presentation::secret_to_field(credential.secret),
    };
    if checked {
        check_statement(&public, &witness)?;
    }
    let circuit = PresentationCircuit {
        public: Some(public),
        witness: Some(witness),
        counts: None,
    };
    // The matrices are the circuit's (cached); the witness is synthesised alone (crate::prover).
    let matrices = CircuitMatrices::presentation()?;
    let full = matrices.assignment(circuit)?;
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    let proof = crate::prover::prove(keys.pk(), matrices, &full, r, s)?;
    Ok(Presentation {
        version: FORMAT_VERSION,
        suite: Suite::Groth16,
        request_hash: request.request_hash(),
        disclosed,
        pseudonym: ps.map(|p| fr_to_bytes(&p).to_vec().into()),
        proof: proof_to_bytes(&proof)?.into(),
        epoch: None,
    })
}

/// Verifies a presentation against the request it answers, the issuer key and the issuer's
/// current revocation root. `Err(InvalidProof)` when the proof does not verify (the error says
/// nothing more); `Err(InvalidPresentation)` when it does not even claim to answer the request.
///
/// The caller checks the request's own validity (its signature, expiry, nonce freshness).
pub fn verify(
    vk: &VerifierKey,
    issuer: &PublicKey,
    rev_root: Fr,
    request: &PresentationRequest,
    presentation: &Presentation,
) -> Result<VerifiedPresentation> {
    let (proof, public, verified) = decode(issuer, rev_root, request, presentation)?;
    verify_proof(vk, &public, &proof)?;
    Ok(verified)
}

/// The decoded proof of `presentation` and the public inputs a verifier derives for it from
/// `request`, the issuer key and the revocation root — exactly what [`verify`] checks, for
/// exports (snarkjs's `proof.json` and `public.json`) and for tools that verify proofs in bulk.
///
/// # Errors
/// As [`verify`] before the pairing: [`CircuitError::InvalidPresentation`] when it does not
/// answer the request, [`CircuitError::InvalidProof`] when the proof does not decode.
pub fn proof_and_public_inputs(
    issuer: &PublicKey,
    rev_root: Fr,
    request: &PresentationRequest,
    presentation: &Presentation,
) -> Result<(Proof<Bn254>, Vec<Fr>)> {
    let (proof, public, _) = decode(issuer, rev_root, request, presentation)?;
    Ok((proof, public))
}

/// Decodes a presentation and derives its public inputs; what the verifier will learn if the
/// proof verifies.
fn decode(
    issuer: &PublicKey,
    rev_root: Fr,
    request: &PresentationRequest,
    presentation: &Presentation,
) -> Result<(Proof<Bn254>, Vec<Fr>, VerifiedPresentation)> {
    presentation
        .check_answers(request)
        .map_err(|e| CircuitError::InvalidPresentation(e.to_string()))?;
    if presentation.suite != Suite::Groth16 {
        return Err(CircuitError::InvalidPresentation(format!(
            "suite {} is not groth16",
            presentation.suite
        )));
    }
    let ps = presentation
        .pseudonym
        .as_ref()
        .map(|b| fr_from_bytes(b.as_slice(), "pseudonym"))
        .transpose()
        .map_err(|e| CircuitError::InvalidPresentation(e.to_string()))?;
    let public = PublicInputs::for_request(request, &presentation.disclosed, ps, issuer, rev_root)
        .map_err(|e| CircuitError::InvalidPresentation(e.to_string()))?;
    let proof =
        proof_from_bytes(presentation.proof.as_slice()).map_err(|_| CircuitError::InvalidProof)?;
    Ok((
        proof,
        public.to_field_elements(),
        VerifiedPresentation {
            app_id: request.app_id.clone(),
            statements: request.statements,
            disclosed: presentation.disclosed.clone(),
            pseudonym: ps.map(|p| fr_to_bytes(&p)),
        },
    ))
}

/// Verifies many presentations at once, each against its own request, with one pairing
/// product: the result for item `i` is what [`verify`] would return for it.
///
/// The batch check is the small-exponent test: with fresh random 128-bit `r_j` drawn here from
/// the operating system's randomness (never from a caller's generator: a prover who can predict
/// the `r_j` can make two invalid proofs cancel),
/// `Π e(r_j·A_j, B_j) · e(Σ r_j·L_j, −γ) · e(Σ r_j·C_j, −δ) · e(−(Σ r_j)·α, β) = 1`, where `L_j` is
/// item `j`'s public-input combination. Every proof was decoded with subgroup checks, so a
/// batch containing an invalid proof passes with probability at most 2^-128. It costs one
/// Miller loop per item plus four and a single final exponentiation, against three Miller
/// loops and a final exponentiation per item. When the batch check fails, the items are
/// verified one by one so that each gets its own answer.
pub fn verify_batch(
    vk: &VerifierKey,
    issuer: &PublicKey,
    rev_root: Fr,
    items: &[(&PresentationRequest, &Presentation)],
) -> Vec<Result<VerifiedPresentation>> {
    let decoded: Vec<_> = items
        .iter()
        .map(|(request, presentation)| decode(issuer, rev_root, request, presentation))
        .collect();
    let batch: Vec<(&Proof<Bn254>, &[Fr])> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .map(|(proof, public, _)| (proof, public.as_slice()))
        .collect();
    let all_valid = batch.len() > 1 && verify_proof_batch(vk, &batch);
    decoded
        .into_iter()
        .map(|d| {
            let (proof, public, verified) = d?;
            if !all_valid {
                verify_proof(vk, &public, &proof)?;
            }
            Ok(verified)
        })
        .collect()
}

/// The small-exponent batch test of [`verify_batch`] on bare proofs and their public inputs
/// (points already validated by [`proof_from_bytes`]): `true` when all verify (up to 2^-128),
/// `false` when one does not, an input vector has the wrong length, or the operating system's
/// randomness is unavailable. The weights come from the operating system, never the caller.
pub fn verify_proof_batch(vk: &VerifierKey, batch: &[(&Proof<Bn254>, &[Fr])]) -> bool {
    use rand_core_06::RngCore as _;
    let mut os = rand_core_06::OsRng;
    let mut seed = [0u8; 32];
    if os.try_fill_bytes(&mut seed).is_err() {
        return false;
    }
    let mut rng = <rand_chacha::ChaCha20Rng as SeedableRng>::from_seed(seed);
    verify_proof_batch_with_weights(vk, batch, &mut rng)
}

/// [`verify_proof_batch`] with weights from `rng`.
fn verify_proof_batch_with_weights<R: RngCore + CryptoRng>(
    vk: &VerifierKey,
    batch: &[(&Proof<Bn254>, &[Fr])],
    rng: &mut R,
) -> bool {
    use ark_bn254::{G1Affine, G1Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::Zero;

    let key = vk.vk();
    let Some(ic0) = key.gamma_abc_g1.first() else {
        return false;
    };
    let n_inputs = key.gamma_abc_g1.len() - 1;
    // Non-zero 128-bit multipliers.
    let r: Vec<Fr> = batch
        .iter()
        .map(|_| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            Fr::from(u128::from_le_bytes(b)) + Fr::from(1u64)
        })
        .collect();
    let r_sum: Fr = r.iter().sum();
    // Σ_j r_j·L_j = (Σ r_j)·IC_0 + Σ_i (Σ_j r_j·x_{j,i})·IC_i: one fixed-base MSM.
    let mut combined = vec![Fr::zero(); n_inputs];
    for ((_, public), r_j) in batch.iter().zip(&r) {
        if public.len() != n_inputs {
            return false;
        }
        for (acc, x) in combined.iter_mut().zip(public.iter()) {
            *acc += *r_j * x;
        }
    }
    let Some(inputs) = vk.input_table().msm(&combined) else {
        return false;
    };
    let inputs = inputs + *ic0 * r_sum;
    let cs: Vec<G1Affine> = batch.iter().map(|(p, _)| p.c).collect();
    let Ok(c_sum) = G1Projective::msm(&cs, &r) else {
        return false;
    };
    let mut g1: Vec<G1Projective> = batch
        .iter()
        .zip(&r)
        .map(|((p, _), r_j)| p.a * r_j)
        .collect();
    g1.extend([inputs, c_sum, key.alpha_g1 * (-r_sum)]);
    let g1 = G1Projective::normalize_batch(&g1);
    let pvk = vk.prepared();
    let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> =
        batch.iter().map(|(p, _)| p.b.into()).collect();
    g2.extend([
        pvk.gamma_g2_neg_pc.clone(),
        pvk.delta_g2_neg_pc.clone(),
        key.beta_g2.into(),
    ]);
    let ml = Bn254::multi_miller_loop(g1, g2);
    Bn254::final_exponentiation(ml).is_some_and(|out| out.is_zero())
}

/// Verifies a bare proof against public inputs (exactly [`NUM_PUBLIC_INPUTS`] of them).
///
/// [`NUM_PUBLIC_INPUTS`]: crate::presentation::NUM_PUBLIC_INPUTS
pub fn verify_proof(vk: &VerifierKey, public: &[Fr], proof: &Proof<Bn254>) -> Result<()> {
    let Some(ic0) = vk.vk().gamma_abc_g1.first() else {
        return Err(CircuitError::InvalidProof);
    };
    // The public-input combination with the verifier's fixed-base table (crate::fixed_base;
    // arkworks' own `prepare_inputs` does one variable-base scalar multiplication per input).
    // The table holds `gamma_abc_g1[1..]` and refuses any other number of inputs.
    let prepared = vk
        .input_table()
        .msm(public)
        .ok_or(CircuitError::InvalidProof)?
        + ic0;
    match Groth16::<Bn254>::verify_proof_with_prepared_inputs(vk.prepared(), proof, &prepared) {
        Ok(true) => Ok(()),
        _ => Err(CircuitError::InvalidProof),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::qap::toy::Toy;
    use crate::qap::SnarkjsQap;
    use ark_bn254::G1Projective;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_snark::SNARK;

    /// Why the batch weights come from the operating system: a prover who can predict them
    /// makes two invalid proofs whose errors cancel in the batch equation.
    #[test]
    fn predictable_batch_weights_let_invalid_proofs_cancel() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([9; 32]);
        let (pk, vk) = Groth16::<Bn254, SnarkjsQap>::circuit_specific_setup(
            Toy { x: None, y: None },
            &mut rng,
        )
        .unwrap();
        let vk = VerifierKey::new(vk);
        let prove = |x: u64, rng: &mut rand_chacha::ChaCha20Rng| {
            let c = Toy {
                x: Some(Fr::from(x)),
                y: Some(Fr::from(7u64)),
            };
            Groth16::<Bn254, SnarkjsQap>::prove(&pk, c, rng).unwrap()
        };
        let (mut p1, mut p2) = (prove(3, &mut rng), prove(5, &mut rng));
        let (x1, x2) = ([Fr::from(21u64)], [Fr::from(35u64)]);
        // The weights the verifier would draw from a generator the prover knows.
        let known = rand_chacha::ChaCha20Rng::from_seed([42; 32]);
        let mut peek = known.clone();
        let mut weight = || {
            let mut b = [0u8; 16];
            peek.fill_bytes(&mut b);
            Fr::from(u128::from_le_bytes(b)) + Fr::from(1u64)
        };
        let (r1, r2) = (weight(), weight());
        let delta = G1Projective::generator() * Fr::from(1234u64);
        p1.c = (p1.c + delta).into_affine();
        p2.c = (p2.c - delta * (r1 / r2)).into_affine();
        // Each proof is now invalid…
        assert!(verify_proof(&vk, &x1, &p1).is_err());
        assert!(verify_proof(&vk, &x2, &p2).is_err());
        let batch = [(&p1, &x1[..]), (&p2, &x2[..])];
        // …yet the batch passes under the predicted weights…
        assert!(verify_proof_batch_with_weights(
            &vk,
            &batch,
            &mut known.clone()
        ));
        // …and fails under the operating system's.
        assert!(!verify_proof_batch(&vk, &batch));
    }
}
