//! The netid/v1 presentation relation of the Groth16 suite (specs/groth16.md §6).
//!
//! One circuit, one proving key, for every netid/v1 presentation. With public inputs
//!
//! `x = (Ax, Ay, request_hash, app_id, pseudonym, mask, d_0..d_11, flags, cutoff, today,
//! min_assurance, rev_root)`
//!
//! and witness `w = (m_0..m_11, R8, S, path, s)`, the circuit proves
//!
//! 1. `C = Poseidon(m_0, …, m_11)` and `(R8, S)` is a valid EdDSA-Poseidon signature on `C`
//!    under the issuer key `A = (Ax, Ay)`;
//! 2. `d_i = mask_i · m_i` for each attribute `i` (`mask` is 12 bits): disclosed values equal the
//!    attributes, the others are 0;
//! 3. if `flags.age`: `cutoff − m_birthdate ∈ [0, 2^22)`, i.e. `birthdate ≤ cutoff`;
//!    if `flags.expiry`: `m_expiry − today ∈ [0, 2^22)`, i.e. `expiry ≥ today`;
//!    if `flags.assurance`: `m_assurance − min_assurance ∈ [0, 2^8)`;
//! 4. `m_rev_index < 2^32` and the leaf at `m_rev_index` is `LIVE` under `rev_root`;
//! 5. `pseudonym = flags.pseudonym · Poseidon(m_nym, app_id)`;
//! 6. `m_binding = Poseidon(s)`: the prover knows the wallet secret the credential is bound to
//!    (holder binding, specs/groth16.md §6.6), so a copied credential proves nothing;
//!
//! and binds the proof to `request_hash = Poseidon(app_id, nonce_lo, nonce_hi, h_lo, h_hi)`
//! (`h` = netid-core's SHA-256 request hash, which covers the nonce, expiry, statements and
//! accepted suites; `_lo`/`_hi` are 128-bit halves), which the verifier recomputes from the
//! request. Groth16 binds every public input through the input-consistency rows that both
//! arkworks and snarkjs add to the QAP.

pub mod circuit;

use ark_bn254::Fr;
use ark_ff::{PrimeField, Zero};
use netid_core::{
    dst, Attribute, AttributeSet, CredentialAttributes, DisclosedAttributes, EncodedAttribute,
    HolderBinding, HolderSecret, PresentationRequest, Statements,
};
use sha2::{Digest, Sha256};

use crate::error::{CircuitError, Result};
use crate::gadgets::eddsa::{PublicKey, Signature};
use crate::gadgets::merkle::MerklePath;
use crate::gadgets::poseidon::{poseidon, poseidon2};

/// Number of public inputs of the presentation circuit.
pub const NUM_PUBLIC_INPUTS: usize = 11 + Attribute::COUNT;

/// Bit of `flags`: prove `birthdate ≤ cutoff`.
pub const FLAG_AGE: u64 = 1;
/// Bit of `flags`: prove `expiry ≥ today`.
pub const FLAG_EXPIRY: u64 = 2;
/// Bit of `flags`: prove `assurance ≥ min_assurance`.
pub const FLAG_ASSURANCE: u64 = 4;
/// Bit of `flags`: output the per-app pseudonym.
pub const FLAG_PSEUDONYM: u64 = 8;
/// Number of flag bits.
pub const FLAG_BITS: usize = 4;

/// An attribute encoding as a field element (every encoding is below `2^248`, so this is
/// injective).
pub fn attribute_to_field(a: &EncodedAttribute) -> Fr {
    Fr::from_be_bytes_mod_order(a.as_be_bytes())
}

/// All 12 attributes of a credential as field elements, in index order.
pub fn attributes_to_fields(attrs: &CredentialAttributes) -> [Fr; Attribute::COUNT] {
    let enc = attrs.encode();
    let mut out = [Fr::zero(); Attribute::COUNT];
    for (o, a) in out.iter_mut().zip(enc.as_array()) {
        *o = attribute_to_field(a);
    }
    out
}

/// The message the issuer signs: `C = Poseidon(m_0, …, m_11)`.
pub fn credential_commitment(fields: &[Fr; Attribute::COUNT]) -> Fr {
    match poseidon(fields) {
        Ok(c) => c,
        // 12 inputs always have parameters; unreachable.
        Err(_) => Fr::zero(),
    }
}

/// The wallet secret as a field element (the integer itself: `< 2^248`, never reduced).
pub fn secret_to_field(secret: &HolderSecret) -> Fr {
    Fr::from_be_bytes_mod_order(secret.expose_secret())
}

/// The holder binding of a wallet secret: `Poseidon(s)` (circomlib's one-input Poseidon), the
/// value the wallet sends at enrolment and refresh and the issuer signs as `binding`.
pub fn holder_binding(secret: &HolderSecret) -> Result<HolderBinding> {
    let h = poseidon(&[secret_to_field(secret)])?;
    let mut be = fr_to_bytes(&h);
    be.reverse();
    Ok(HolderBinding::from_be_bytes(&be)?)
}

/// The app id as a field element: `SHA-256(u32_be(len) ‖ "netid/v1/groth16/app-id" ‖ app_id)`
/// truncated to 248 bits (big-endian), so it is canonical.
pub fn app_id_to_field(app_id: &str) -> Fr {
    let mut h = Sha256::new();
    h.update((dst::groth16::APP_ID.len() as u32).to_be_bytes());
    h.update(dst::groth16::APP_ID);
    h.update(app_id.as_bytes());
    let d: [u8; 32] = h.finalize().into();
    Fr::from_be_bytes_mod_order(&d[..31])
}

/// The two 128-bit halves (little-endian order: low half first) of 32 bytes read big-endian.
fn halves(bytes: &[u8; 32]) -> [Fr; 2] {
    [
        Fr::from_be_bytes_mod_order(&bytes[16..]),
        Fr::from_be_bytes_mod_order(&bytes[..16]),
    ]
}

/// The request-hash public input: `Poseidon(app_id, nonce_lo, nonce_hi, h_lo, h_hi)`.
pub fn request_hash_to_field(request: &PresentationRequest) -> Fr {
    let [n_lo, n_hi] = halves(request.nonce.as_bytes());
    let [h_lo, h_hi] = halves(&request.request_hash());
    match poseidon(&[app_id_to_field(&request.app_id), n_lo, n_hi, h_lo, h_hi]) {
        Ok(h) => h,
        Err(_) => Fr::zero(),
    }
}

/// The per-app pseudonym of the Groth16 suite: `Poseidon(nym, app_id)`.
pub fn pseudonym(nym: Fr, app_id: Fr) -> Fr {
    poseidon2(nym, app_id)
}

/// Canonical 32-byte little-endian encoding of a field element.
pub fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(x.into_bigint().0) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

/// Decodes a canonical 32-byte little-endian field element (rejects values `≥ r`).
pub fn fr_from_bytes(bytes: &[u8], what: &'static str) -> Result<Fr> {
    if bytes.len() != 32 {
        return Err(CircuitError::encoding(
            what,
            format!("expected 32 bytes, got {}", bytes.len()),
        ));
    }
    crate::gadgets::poseidon::fr_from_le_canonical(bytes)
        .ok_or_else(|| CircuitError::encoding(what, "not a canonical field element"))
}

/// The public inputs of one presentation, in circuit order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInputs {
    /// Issuer EdDSA key, circomlib coordinates.
    pub issuer: PublicKey,
    /// [`request_hash_to_field`].
    pub request_hash: Fr,
    /// [`app_id_to_field`].
    pub app_id: Fr,
    /// The pseudonym, or 0 when not asked.
    pub pseudonym: Fr,
    /// Disclosure mask: bit `i` set iff attribute `i` is disclosed.
    pub mask: u16,
    /// Disclosed values (0 where not disclosed).
    pub disclosed: [Fr; Attribute::COUNT],
    /// [`FLAG_AGE`] | [`FLAG_EXPIRY`] | [`FLAG_ASSURANCE`] | [`FLAG_PSEUDONYM`].
    pub flags: u64,
    /// Birthdate cutoff in days since 1900-01-01 (0 when no age is asked).
    pub cutoff: u64,
    /// The verifier's date in days (0 when expiry is not asked).
    pub today: u64,
    /// Minimum assurance level (0 when not asked).
    pub min_assurance: u64,
    /// The issuer's current revocation root.
    pub rev_root: Fr,
}

impl PublicInputs {
    /// The public inputs a verifier derives from a request, the disclosed values and pseudonym
    /// a presentation carries, and the issuer's metadata.
    pub fn for_request(
        request: &PresentationRequest,
        disclosed: &DisclosedAttributes,
        pseudonym: Option<Fr>,
        issuer: &PublicKey,
        rev_root: Fr,
    ) -> Result<PublicInputs> {
        let st = &request.statements;
        let mut values = [Fr::zero(); Attribute::COUNT];
        for (attr, enc) in disclosed.encode()? {
            values[attr.index()] = attribute_to_field(&enc);
        }
        let (flags, cutoff, today, min_assurance) = statement_words(st)?;
        let pseudonym = match (st.pseudonym, pseudonym) {
            (true, Some(p)) => p,
            (false, None) => Fr::zero(),
            _ => {
                return Err(CircuitError::InvalidPresentation(
                    "pseudonym present iff asked".into(),
                ))
            }
        };
        Ok(PublicInputs {
            issuer: *issuer,
            request_hash: request_hash_to_field(request),
            app_id: app_id_to_field(&request.app_id),
            pseudonym,
            mask: disclosed.attributes().bits(),
            disclosed: values,
            flags,
            cutoff,
            today,
            min_assurance,
            rev_root,
        })
    }

    /// The field elements in circuit order (what Groth16 verifies against; snarkjs's
    /// `public.json`).
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let (ax, ay) = self.issuer.coordinates();
        let mut v = Vec::with_capacity(NUM_PUBLIC_INPUTS);
        v.extend([ax, ay, self.request_hash, self.app_id, self.pseudonym]);
        v.push(Fr::from(self.mask));
        v.extend_from_slice(&self.disclosed);
        v.extend([
            Fr::from(self.flags),
            Fr::from(self.cutoff),
            Fr::from(self.today),
            Fr::from(self.min_assurance),
            self.rev_root,
        ]);
        v
    }
}

/// `(flags, cutoff, today, min_assurance)` for a set of statements.
pub fn statement_words(st: &Statements) -> Result<(u64, u64, u64, u64)> {
    let mut flags = 0;
    let mut cutoff = 0;
    let mut today = 0;
    let mut min_assurance = 0;
    if let Some(c) = st.age_cutoff()? {
        flags |= FLAG_AGE;
        cutoff = c.days().into();
    }
    if st.not_expired {
        flags |= FLAG_EXPIRY;
        today = st.today.days().into();
    }
    if let Some(level) = st.assurance_at_least {
        flags |= FLAG_ASSURANCE;
        min_assurance = level.level().into();
    }
    if st.pseudonym {
        flags |= FLAG_PSEUDONYM;
    }
    Ok((flags, cutoff, today, min_assurance))
}

/// The private witness of one presentation.
#[derive(Clone)]
pub struct Witness {
    /// The 12 attributes as field elements.
    pub attributes: [Fr; Attribute::COUNT],
    /// The issuer's signature on `C`.
    pub signature: Signature,
    /// Authentication path of the credential's revocation leaf.
    pub path: MerklePath,
    /// The wallet secret `s` (`attributes[binding] = Poseidon(s)`).
    pub secret: Fr,
}

impl core::fmt::Debug for Witness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Witness(<redacted>)")
    }
}

/// Checks natively what the circuit will enforce, so a false statement is refused with a clear
/// error before any proving work (and so no proof is ever attempted for it).
pub fn check_statement(public: &PublicInputs, witness: &Witness) -> Result<()> {
    let m = &witness.attributes;
    let small = |a: Attribute| -> Result<u64> {
        let v = m[a.index()].into_bigint();
        if v.0[1..].iter().any(|l| *l != 0) {
            return Err(CircuitError::Statement(format!(
                "{} is not a small integer",
                a.name()
            )));
        }
        Ok(v.0[0])
    };
    public
        .issuer
        .verify(credential_commitment(m), &witness.signature)
        .map_err(|_| CircuitError::Statement("the issuer's signature does not verify".into()))?;
    if public.flags & FLAG_AGE != 0 && small(Attribute::Birthdate)? > public.cutoff {
        return Err(CircuitError::Statement(
            "the age condition does not hold".into(),
        ));
    }
    if public.flags & FLAG_EXPIRY != 0 && small(Attribute::Expiry)? < public.today {
        return Err(CircuitError::Statement("the credential has expired".into()));
    }
    if public.flags & FLAG_ASSURANCE != 0 && small(Attribute::Assurance)? < public.min_assurance {
        return Err(CircuitError::Statement(
            "the assurance level is too low".into(),
        ));
    }
    let rev_index = small(Attribute::RevIndex)?;
    if rev_index >= crate::gadgets::merkle::CAPACITY
        || witness.path.root(rev_index, crate::gadgets::merkle::LIVE) != public.rev_root
    {
        return Err(CircuitError::Statement(
            "the credential is revoked (or the revocation path is stale)".into(),
        ));
    }
    if poseidon(&[witness.secret]).ok() != Some(m[Attribute::Binding.index()]) {
        return Err(CircuitError::Statement(
            "the wallet secret is not the one this credential is bound to".into(),
        ));
    }
    let expected_ps = if public.flags & FLAG_PSEUDONYM != 0 {
        pseudonym(m[Attribute::Nym.index()], public.app_id)
    } else {
        Fr::zero()
    };
    if expected_ps != public.pseudonym {
        return Err(CircuitError::Statement("pseudonym mismatch".into()));
    }
    for (i, (d, v)) in public.disclosed.iter().zip(m).enumerate() {
        let want = if public.mask & (1 << i) != 0 {
            *v
        } else {
            Fr::zero()
        };
        if *d != want {
            return Err(CircuitError::Statement(
                "disclosed values differ from the credential".into(),
            ));
        }
    }
    if public.mask >> Attribute::COUNT != 0 || public.flags >> FLAG_BITS != 0 {
        return Err(CircuitError::Statement("unknown mask or flag bits".into()));
    }
    Ok(())
}

/// The mask of an attribute set (bit `i` for attribute index `i`).
pub fn mask_of(set: AttributeSet) -> u16 {
    set.bits()
}

#[cfg(test)]
mod binding_tests {
    use super::*;

    /// The holder-binding vector of netid-core's credential vector (`core/tests/encoding.rs`,
    /// specs/credential.md §13.2): `Poseidon(s)` for `s = 0x00 ‖ 0x33 × 31`.
    #[test]
    fn holder_binding_vector() {
        let mut s = [0x33u8; 32];
        s[0] = 0;
        let secret = HolderSecret::from_be_bytes(&s).unwrap_or_else(|e| panic!("{e}"));
        let b = holder_binding(&secret).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            hex::encode(b.to_be_bytes()),
            "131769d8ef4af9366b5cd997fa0ee52f38b1a0e137ed1a6d9e8fa1ea49ee9695"
        );
        // The same integer as the field element the circuit computes.
        assert_eq!(
            attribute_to_field(&b.encode()),
            poseidon(&[secret_to_field(&secret)]).unwrap_or_else(|e| panic!("{e}"))
        );
    }
}
