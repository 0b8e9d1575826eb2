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
use rand_chacha::rand_core::{CryptoRng, RngCore};

use crate::error::{CircuitError, Result};
use crate::gadgets::eddsa::{PublicKey, SecretKey, Signature};
use crate::gadgets::merkle::MerklePath;
use crate::keys::{ProvingKeys, VerifierKey};
use crate::presentation::{
    attributes_to_fields, check_statement, circuit::PresentationCircuit, credential_commitment,
    fr_from_bytes, fr_to_bytes, PublicInputs, Witness,
};

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
    };
    check_statement(&public, &witness)?;
    let circuit = PresentationCircuit {
        public: Some(public),
        witness: Some(witness),
        counts: None,
    };
    let proof = Groth16::<Bn254>::create_random_proof_with_reduction(circuit, keys.pk(), rng)?;
    Ok(Presentation {
        version: FORMAT_VERSION,
        suite: Suite::Groth16,
        request_hash: request.request_hash(),
        disclosed,
        pseudonym: ps.map(|p| fr_to_bytes(&p).to_vec().into()),
        proof: proof_to_bytes(&proof)?.into(),
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
    verify_proof(vk, &public.to_field_elements(), &proof)?;
    Ok(VerifiedPresentation {
        app_id: request.app_id.clone(),
        statements: request.statements,
        disclosed: presentation.disclosed.clone(),
        pseudonym: ps.map(|p| fr_to_bytes(&p)),
    })
}

/// Verifies a bare proof against public inputs (exactly [`NUM_PUBLIC_INPUTS`] of them).
///
/// [`NUM_PUBLIC_INPUTS`]: crate::presentation::NUM_PUBLIC_INPUTS
pub fn verify_proof(vk: &VerifierKey, public: &[Fr], proof: &Proof<Bn254>) -> Result<()> {
    let ic = &vk.vk().gamma_abc_g1;
    let (Some(ic0), true) = (ic.first(), public.len() + 1 == ic.len()) else {
        return Err(CircuitError::InvalidProof);
    };
    // The public-input combination with the verifier's fixed-base table (crate::fixed_base;
    // arkworks' own `prepare_inputs` does one variable-base scalar multiplication per input).
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
