//! Proving and verifying a netid presentation in the BBS suite (specs/bbs.md §5.2–§5.6).
//!
//! The prover works in three phases — commit ([`Commitments`]), challenge (one merlin
//! transcript), respond — each consuming the previous one, so a blinding can never be reused
//! with a second challenge.
#![allow(non_snake_case)]

use bls12_381::{G1Affine, G1Projective, Scalar};
use ff::Field;
use merlin::Transcript;
use netid_core::{
    dst, Attribute, Audience, CredentialAttributes, DisclosedAttributes, Presentation,
    PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::range::{DigitSignatures, DIGIT_BITS, DIGIT_HEADER};
use super::transcript::TranscriptProtocol;
use super::{disclosed_scalars, HolderKey, NetidBbs, CREDENTIAL_HEADER, SIGNED_MESSAGES};
use crate::codec::{decode_g1, decode_nonzero_scalar};
use crate::error::{BbsError, Result};
use crate::keys::PublicKey;
use crate::msm::{msm_ct, msm_vartime};
use crate::proof::{
    calculate_random_scalars, pairing_check, proof_finalize, proof_init, proof_verify_init,
    split_indexes, Blindings, InitRes, Proof,
};
use crate::pseudonym::verifier_point;
use crate::signature::Signature;
use crate::suite::{scalar_to_be, POINT_LEN, SCALAR_LEN};

/// Version byte of the presentation proof encoding (2: the credential proof covers the 14 signed
/// messages of a holder-bound credential).
pub const PRESENTATION_VERSION: u8 = 2;

/// Digits used for date ranges: 16 bits, i.e. date differences below 179 years (an age minus the
/// asked age, a remaining validity).
const DATE_DIGITS: usize = 2;
/// Digits used for small integers (assurance level).
const SMALL_DIGITS: usize = 1;

/// What a verifier learns from an accepted presentation: the proven statements, the disclosed
/// attributes and the per-app pseudonym. Nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPresentation {
    /// The suite the proof was in.
    pub suite: Suite,
    /// The app the presentation was made for.
    pub app_id: String,
    /// The statements proven (as requested).
    pub statements: Statements,
    /// The attributes disclosed in the clear.
    pub disclosed: DisclosedAttributes,
    /// The per-app pseudonym (compressed G1 point), if asked.
    pub pseudonym: Option<[u8; POINT_LEN]>,
}

/// One range statement `δ = s·(m_a − k) ∈ [0, 2^(8·digits))`.
#[derive(Debug, Clone, Copy)]
struct RangeSpec {
    attr: Attribute,
    label: &'static [u8],
    negate: bool,
    bound: u64,
    digits: usize,
}

impl RangeSpec {
    fn holds(&self, value: u64) -> bool {
        self.delta(value).is_some()
    }

    /// `δ` for a plain value, if in range.
    fn delta(&self, value: u64) -> Option<u64> {
        let d = if self.negate {
            self.bound.checked_sub(value)?
        } else {
            value.checked_sub(self.bound)?
        };
        (d < 1u64 << (DIGIT_BITS as usize * self.digits)).then_some(d)
    }

    fn sign(&self, x: Scalar) -> Scalar {
        if self.negate {
            -x
        } else {
            x
        }
    }
}

/// The range statements a request asks for, in canonical order (birthdate, expiry, assurance).
fn range_specs(st: &Statements) -> Result<Vec<RangeSpec>> {
    let mut out = Vec::new();
    let cutoff = st
        .age_cutoff()
        .map_err(|e| BbsError::Statement(e.to_string()))?;
    if let Some(cutoff) = cutoff {
        out.push(RangeSpec {
            attr: Attribute::Birthdate,
            label: dst::bbs::RANGE_BIRTHDATE,
            negate: true,
            bound: cutoff.days().into(),
            digits: DATE_DIGITS,
        });
    }
    if st.not_expired {
        out.push(RangeSpec {
            attr: Attribute::Expiry,
            label: dst::bbs::RANGE_EXPIRY,
            negate: false,
            bound: st.today.days().into(),
            digits: DATE_DIGITS,
        });
    }
    if let Some(level) = st.assurance_at_least {
        out.push(RangeSpec {
            attr: Attribute::Assurance,
            label: RANGE_ASSURANCE,
            negate: false,
            bound: level.level().into(),
            digits: SMALL_DIGITS,
        });
    }
    Ok(out)
}

/// Transcript label of the assurance range proof.
const RANGE_ASSURANCE: &[u8] = b"range/assurance";

/// Integer value of an integer attribute of a credential.
fn integer_value(attrs: &CredentialAttributes, a: Attribute) -> Option<u64> {
    attrs.encode()[a].as_u64()
}

/// `2^(8·i)` as a scalar.
fn digit_weight(i: usize) -> Scalar {
    Scalar::from(1u64 << (DIGIT_BITS as usize * i))
}

/// The transcript's opening: suite, issuer key, request, disclosed values.
fn open_transcript(
    netid: &NetidBbs,
    pk: &PublicKey,
    request: &PresentationRequest,
    d_idx: &[usize],
    d_scalars: &[Scalar],
) -> Transcript {
    let mut t = Transcript::new(dst::bbs::TRANSCRIPT);
    t.append_message(dst::bbs::SUITE, netid.suite.id());
    t.append_message(dst::bbs::ISSUER_KEY, &pk.to_bytes());
    t.append_message(dst::bbs::REQUEST_HASH, &request.request_hash());
    t.append_message(dst::bbs::APP_ID, request.app_id.as_bytes());
    t.append_message(dst::bbs::NONCE, request.nonce.as_bytes());
    t.append_message(dst::bbs::STATEMENTS, &request.statements.to_bytes());
    t.append_u64(b"disclosed-count", d_idx.len() as u64);
    for (i, s) in d_idx.iter().zip(d_scalars) {
        t.append_u64(b"disclosed-index", *i as u64);
        t.append_scalar(b"disclosed-value", s);
    }
    t
}

fn append_init(t: &mut Transcript, init: &InitRes) {
    t.append_point(b"A_bar", &init.A_bar);
    t.append_point(b"B_bar", &init.B_bar);
    t.append_point(b"D", &init.D);
    t.append_point(b"T1", &init.T1);
    t.append_point(b"T2", &init.T2);
    t.append_scalar(b"domain", &init.domain);
}

/// First phase of proving: everything committed, nothing answered yet.
struct Commitments {
    cred_init: InitRes,
    cred_rand: Vec<Scalar>,
    undisclosed_msgs: Vec<Scalar>,
    e: Scalar,
    pseudonym: Option<(G1Affine, G1Affine)>,
    digits: Vec<DigitCommitment>,
}

struct DigitCommitment {
    init: InitRes,
    rand: Vec<Scalar>,
    d: Scalar,
    e: Scalar,
    /// Whether the response travels in the proof (all digits but a range's first).
    sent: bool,
}

/// The prover's secrets (blindings, hidden attribute scalars, the signature's `e`, digits) are
/// wiped as soon as the responses are computed or the proof is abandoned.
impl Drop for Commitments {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl Drop for DigitCommitment {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl DigitCommitment {
    fn wipe(&mut self) {
        self.rand.zeroize();
        self.d.zeroize();
        self.e.zeroize();
    }
}

impl Commitments {
    fn wipe(&mut self) {
        self.cred_rand.zeroize();
        self.undisclosed_msgs.zeroize();
        self.e.zeroize();
        for d in &mut self.digits {
            d.wipe();
        }
    }

    /// Appends the commitments and draws the challenge (second phase).
    fn challenge(&self, t: &mut Transcript, ranges: &[RangeSpec]) -> Scalar {
        draw_challenge(
            t,
            &self.cred_init,
            self.pseudonym.as_ref(),
            self.digits.iter().map(|d| &d.init),
            ranges,
        )
    }

    /// Third phase: the responses, encoded (specs/bbs.md §5.6).
    fn respond(self, c: Scalar) -> Result<Vec<u8>> {
        let u = self.undisclosed_msgs.len();
        let bl = Blindings::from_slice(&self.cred_rand, u)?;
        let cred = proof_finalize(&self.cred_init, c, &self.e, &bl, &self.undisclosed_msgs)?;
        let mut out = vec![PRESENTATION_VERSION];
        put_proof_body(&mut out, &cred, true);
        for d in &self.digits {
            let bl = Blindings::from_slice(&d.rand, 1)?;
            let p = proof_finalize(&d.init, c, &d.e, &bl, &[d.d])?;
            put_proof_body(&mut out, &p, d.sent);
        }
        out.extend_from_slice(&scalar_to_be(&c));
        Ok(out)
    }
}

/// `Ā ‖ B̄ ‖ D ‖ ê ‖ r̂1 ‖ r̂3 ‖ [m̂…]` (no challenge).
fn put_proof_body(out: &mut Vec<u8>, p: &Proof, with_m_hat: bool) {
    for q in [&p.A_bar, &p.B_bar, &p.D] {
        out.extend_from_slice(&q.to_compressed());
    }
    for s in [&p.e_hat, &p.r1_hat, &p.r3_hat] {
        out.extend_from_slice(&scalar_to_be(s));
    }
    if with_m_hat {
        for s in &p.m_hat {
            out.extend_from_slice(&scalar_to_be(s));
        }
    }
}

/// Reads proof bodies back, validating every point and scalar.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .bytes
            .get(self.pos..self.pos + n)
            .ok_or(BbsError::InvalidProof)?;
        self.pos += n;
        Ok(s)
    }
    fn point(&mut self) -> Result<G1Affine> {
        decode_g1(self.take(POINT_LEN)?, "presentation point").map_err(|_| BbsError::InvalidProof)
    }
    fn scalar(&mut self) -> Result<Scalar> {
        decode_nonzero_scalar(self.take(SCALAR_LEN)?, "presentation scalar")
            .map_err(|_| BbsError::InvalidProof)
    }
    fn body(&mut self, m_hats: usize) -> Result<Proof> {
        Ok(Proof {
            A_bar: self.point()?,
            B_bar: self.point()?,
            D: self.point()?,
            e_hat: self.scalar()?,
            r1_hat: self.scalar()?,
            r3_hat: self.scalar()?,
            m_hat: (0..m_hats)
                .map(|_| self.scalar())
                .collect::<Result<Vec<_>>>()?,
            c: Scalar::zero(),
        })
    }
}

/// Length of the proof encoding for `u` undisclosed attributes and the given ranges.
fn proof_len(u: usize, ranges: &[RangeSpec]) -> usize {
    let body = 3 * POINT_LEN + 3 * SCALAR_LEN;
    let digits: usize = ranges.iter().map(|r| r.digits).sum();
    let sent: usize = ranges.iter().map(|r| r.digits - 1).sum();
    1 + body + u * SCALAR_LEN + digits * body + sent * SCALAR_LEN + SCALAR_LEN
}

impl NetidBbs {
    /// Proves a presentation answering `request` from a credential (`attrs`, `signature`) issued
    /// under `pk`, with the holder's secret and the credential's blind (`holder`). `digits` are
    /// the issuer's digit signatures (needed for range statements).
    ///
    /// With a wrong secret or blind the result is a presentation that no verifier accepts (the
    /// prover does not check the signature first: that is the verifier's job).
    ///
    /// Fails with [`BbsError::Statement`] — and produces nothing — when the credential does not
    /// satisfy what is asked (e.g. the holder is under age, the credential expired) or the request
    /// is malformed or does not accept this suite.
    #[allow(clippy::too_many_arguments)]
    pub fn present<R: CryptoRng + ?Sized>(
        &self,
        pk: &PublicKey,
        digits: &DigitSignatures,
        attrs: &CredentialAttributes,
        signature: &Signature,
        holder: HolderKey<'_>,
        request: &PresentationRequest,
        rng: &mut R,
    ) -> Result<Presentation> {
        self.present_inner(pk, digits, attrs, signature, holder, request, rng, None)
    }

    /// [`NetidBbs::present`], or — in this crate's soundness tests only — a cheating prover that
    /// skips the predicate checks and claims `forged_delta` as every range value.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn present_inner<R: CryptoRng + ?Sized>(
        &self,
        pk: &PublicKey,
        digits: &DigitSignatures,
        attrs: &CredentialAttributes,
        signature: &Signature,
        holder: HolderKey<'_>,
        request: &PresentationRequest,
        rng: &mut R,
        forged_delta: Option<u64>,
    ) -> Result<Presentation> {
        let st = &request.statements;
        request
            .validate(Audience::for_app_id(&request.app_id))
            .map_err(|e| BbsError::Statement(e.to_string()))?;
        if !request.suites.contains(&self.core_suite()) {
            return Err(BbsError::Statement(format!(
                "the request does not accept {}",
                self.core_suite()
            )));
        }
        let disclosed = attrs
            .disclose(st.disclose)
            .map_err(|e| BbsError::Statement(e.to_string()))?;
        let all_ranges = range_specs(st)?;
        for r in &all_ranges {
            let v =
                integer_value(attrs, r.attr).ok_or(BbsError::Degenerate("integer attribute"))?;
            if !r.holds(v) && forged_delta.is_none() {
                return Err(BbsError::Statement(format!(
                    "the credential does not satisfy the {} statement",
                    String::from_utf8_lossy(r.label)
                )));
            }
        }
        let ranges: Vec<RangeSpec> = all_ranges
            .into_iter()
            .filter(|r| !st.disclose.contains(r.attr))
            .collect();
        if !ranges.is_empty() && digits.public_key() != pk {
            return Err(BbsError::Statement(
                "digit signatures are for another issuer key".into(),
            ));
        }
        let mut msgs = self.signed_scalars(attrs, holder);
        let (d_idx, d_scalars) = disclosed_scalars(&disclosed)?;
        let undisclosed = split_indexes(msgs.len(), &d_idx)?;
        let u = undisclosed.len();

        // Commit.
        let cred_rand = calculate_random_scalars(rng, u + 5);
        let m_tilde_of = |a: Attribute| -> Option<Scalar> {
            undisclosed
                .iter()
                .position(|&j| j == a.index())
                .map(|p| cred_rand[5 + p])
        };
        let gens = self.signed_generators()?;
        let bl = Blindings::from_slice(&cred_rand, u)?;
        let cred_init = proof_init(
            pk,
            signature,
            &gens,
            &bl,
            CREDENTIAL_HEADER,
            &msgs,
            &undisclosed,
            self.cred.api_id(),
        )?;
        let pseudonym = if st.pseudonym {
            let H = verifier_point(self.suite, request.app_id.as_bytes());
            let nym = msgs[Attribute::Nym.index()];
            let nym_tilde = m_tilde_of(Attribute::Nym).ok_or(BbsError::Degenerate("nym"))?;
            let mut aff = [G1Affine::identity(); 2];
            G1Projective::batch_normalize(
                &[msm_ct(&[(H, nym)]), msm_ct(&[(H, nym_tilde)])],
                &mut aff,
            );
            Some((aff[0], aff[1]))
        } else {
            None
        };
        let digit_gens = self.digit.generators(2)?;
        let mut digit_commits = Vec::new();
        for r in &ranges {
            let value = integer_value(attrs, r.attr).ok_or(BbsError::Degenerate("integer"))?;
            let delta = match forged_delta {
                Some(d) => d,
                None => r.delta(value).ok_or(BbsError::Degenerate("range"))?,
            };
            let a_tilde = m_tilde_of(r.attr).ok_or(BbsError::Degenerate("range attribute"))?;
            // d̃_i random for i ≥ 1, d̃_0 fixed by s·m̃_a = Σ 2^(8·i)·d̃_i.
            let mut d_tilde = calculate_random_scalars(rng, r.digits);
            let rest: Scalar = (1..r.digits).map(|i| digit_weight(i) * d_tilde[i]).sum();
            d_tilde[0] = r.sign(a_tilde) - rest;
            for (i, dt) in d_tilde.iter().enumerate() {
                let digit = ((delta >> (DIGIT_BITS as usize * i)) & ((1 << DIGIT_BITS) - 1)) as u8;
                let mut sig = digits.select_ct(digit);
                let mut rand = calculate_random_scalars(rng, 5);
                rand.push(*dt);
                let dbl = Blindings::from_slice(&rand, 1)?;
                let d = Scalar::from(u64::from(digit));
                let init = proof_init(
                    pk,
                    &sig,
                    &digit_gens,
                    &dbl,
                    DIGIT_HEADER,
                    &[d],
                    &[0],
                    self.digit.api_id(),
                );
                drop(dbl);
                let sig_e = sig.e;
                sig.A.zeroize();
                sig.e.zeroize();
                let init = init?;
                digit_commits.push(DigitCommitment {
                    init,
                    rand,
                    d,
                    e: sig_e,
                    sent: i != 0,
                });
            }
            d_tilde.zeroize();
        }
        drop(bl);
        let commitments = Commitments {
            cred_init,
            undisclosed_msgs: undisclosed.iter().map(|&j| msgs[j]).collect(),
            cred_rand,
            e: signature.e,
            pseudonym,
            digits: digit_commits,
        };
        msgs.zeroize();

        // Challenge, then respond.
        let mut t = open_transcript(self, pk, request, &d_idx, &d_scalars);
        let c = commitments.challenge(&mut t, &ranges);
        let pseudonym = commitments.pseudonym.map(|(P, _)| P.to_compressed());
        let proof = commitments.respond(c)?;
        debug_assert_eq!(proof.len(), proof_len(u, &ranges));
        Ok(Presentation {
            version: FORMAT_VERSION,
            suite: self.core_suite(),
            request_hash: request.request_hash(),
            disclosed,
            pseudonym: pseudonym.map(|p| p.to_vec().into()),
            proof: proof.into(),
        })
    }

    /// Verifies a presentation against the request it answers and the issuer key. Returns the
    /// proven claims and the pseudonym; `Err(InvalidProof)` when the proof does not verify (for
    /// whatever reason: the error says nothing more), `Err(InvalidPresentation)` when it does
    /// not even claim to answer this request.
    ///
    /// The caller checks the request's own validity (its signature, expiry, nonce freshness).
    pub fn verify_presentation(
        &self,
        pk: &PublicKey,
        request: &PresentationRequest,
        presentation: &Presentation,
    ) -> Result<VerifiedPresentation> {
        let st = &request.statements;
        presentation
            .check_answers(request)
            .map_err(|e| BbsError::InvalidPresentation(e.to_string()))?;
        if presentation.suite != self.core_suite() {
            return Err(BbsError::InvalidPresentation(format!(
                "suite {} is not {}",
                presentation.suite,
                self.core_suite()
            )));
        }
        let (d_idx, d_scalars) = disclosed_scalars(&presentation.disclosed)?;
        let all_ranges = range_specs(st).map_err(|_| BbsError::InvalidProof)?;
        // Predicates on disclosed attributes are checked on the values themselves.
        for r in all_ranges.iter().filter(|r| st.disclose.contains(r.attr)) {
            let v = presentation
                .disclosed
                .get(r.attr)
                .and_then(|v| v.encode(r.attr).ok())
                .and_then(|e| e.as_u64())
                .ok_or(BbsError::InvalidProof)?;
            if !r.holds(v) {
                return Err(BbsError::InvalidProof);
            }
        }
        let ranges: Vec<RangeSpec> = all_ranges
            .into_iter()
            .filter(|r| !st.disclose.contains(r.attr))
            .collect();
        let undisclosed = split_indexes(SIGNED_MESSAGES, &d_idx)?;
        let u = undisclosed.len();
        let bytes = presentation.proof.as_slice();
        if bytes.len() != proof_len(u, &ranges) || bytes[0] != PRESENTATION_VERSION {
            return Err(BbsError::InvalidProof);
        }
        let mut rd = Reader { bytes, pos: 1 };
        let mut cred = rd.body(u)?;
        let mut digit_proofs = Vec::new();
        for r in &ranges {
            for i in 0..r.digits {
                digit_proofs.push(rd.body(usize::from(i != 0))?);
            }
        }
        let c = rd.scalar()?;
        cred.c = c;
        let m_hat_of = |a: Attribute| -> Option<Scalar> {
            undisclosed
                .iter()
                .position(|&j| j == a.index())
                .map(|p| cred.m_hat[p])
        };

        let gens = self.signed_generators()?;
        let cred_init = proof_verify_init(
            pk,
            &cred,
            &gens,
            CREDENTIAL_HEADER,
            &d_scalars,
            &d_idx,
            self.cred.api_id(),
        )?;
        let pseudonym = match (&presentation.pseudonym, st.pseudonym) {
            (Some(p), true) => {
                let P = decode_g1(p.as_slice(), "pseudonym").map_err(|_| BbsError::InvalidProof)?;
                let H = verifier_point(self.suite, request.app_id.as_bytes());
                let nym_hat = m_hat_of(Attribute::Nym).ok_or(BbsError::InvalidProof)?;
                let T = msm_vartime(&[(H, nym_hat), (G1Projective::from(P), -c)]);
                Some((P, G1Affine::from(T)))
            }
            (None, false) => None,
            _ => return Err(BbsError::InvalidProof),
        };
        let digit_gens = self.digit.generators(2)?;
        let mut digit_inits = Vec::with_capacity(digit_proofs.len());
        let mut k = 0;
        for r in &ranges {
            let a_hat = m_hat_of(r.attr).ok_or(BbsError::InvalidProof)?;
            let rest: Scalar = (1..r.digits)
                .map(|i| digit_weight(i) * digit_proofs[k + i].m_hat[0])
                .sum();
            let d0_hat = r.sign(a_hat - c * Scalar::from(r.bound)) - rest;
            digit_proofs[k].m_hat = vec![d0_hat];
            for p in &mut digit_proofs[k..k + r.digits] {
                p.c = c;
                digit_inits.push(proof_verify_init(
                    pk,
                    p,
                    &digit_gens,
                    DIGIT_HEADER,
                    &[],
                    &[],
                    self.digit.api_id(),
                )?);
            }
            k += r.digits;
        }

        let mut t = open_transcript(self, pk, request, &d_idx, &d_scalars);
        let c2 = draw_challenge(
            &mut t,
            &cred_init,
            pseudonym.as_ref(),
            digit_inits.iter(),
            &ranges,
        );
        if !bool::from(c2.ct_eq(&c)) {
            return Err(BbsError::InvalidProof);
        }
        // One pairing check for the credential and every digit, with random weights.
        let (A, B) = if digit_proofs.is_empty() {
            (cred.A_bar, cred.B_bar)
        } else {
            // 128-bit weights: a false proof passes with probability at most 2^-128.
            let rho: Vec<Scalar> = (0..digit_proofs.len())
                .map(|_| {
                    let mut w = [0u8; 64];
                    rand::fill(&mut w[..16]);
                    Scalar::from_bytes_wide(&w)
                })
                .collect();
            let mut a_terms = vec![(G1Projective::from(cred.A_bar), Scalar::ONE)];
            let mut b_terms = vec![(G1Projective::from(cred.B_bar), Scalar::ONE)];
            for (p, r) in digit_proofs.iter().zip(&rho) {
                a_terms.push((G1Projective::from(p.A_bar), *r));
                b_terms.push((G1Projective::from(p.B_bar), *r));
            }
            let mut aff = [G1Affine::identity(); 2];
            G1Projective::batch_normalize(
                &[msm_vartime(&a_terms), msm_vartime(&b_terms)],
                &mut aff,
            );
            (aff[0], aff[1])
        };
        if !pairing_check(pk, &A, &B) {
            return Err(BbsError::InvalidProof);
        }
        Ok(VerifiedPresentation {
            suite: presentation.suite,
            app_id: request.app_id.clone(),
            statements: *st,
            disclosed: presentation.disclosed.clone(),
            pseudonym: pseudonym.map(|(P, _)| P.to_compressed()),
        })
    }
}

/// Appends every commitment of the presentation, in the order of specs/bbs.md §5.5, and draws
/// the challenge. Prover and verifier both call this, so their transcripts cannot drift apart.
fn draw_challenge<'a>(
    t: &mut Transcript,
    cred: &InitRes,
    pseudonym: Option<&(G1Affine, G1Affine)>,
    mut digits: impl Iterator<Item = &'a InitRes>,
    ranges: &[RangeSpec],
) -> Scalar {
    t.append_message(dst::bbs::BBS_COMMITMENTS, b"credential");
    append_init(t, cred);
    if let Some((P, T)) = pseudonym {
        t.append_point(dst::bbs::PSEUDONYM, P);
        t.append_point(dst::bbs::PSEUDONYM_COMMITMENT, T);
    }
    for r in ranges {
        t.append_message(r.label, &[r.digits as u8]);
        for d in digits.by_ref().take(r.digits) {
            append_init(t, d);
        }
    }
    t.challenge_scalar(dst::bbs::CHALLENGE)
}

#[cfg(test)]
mod wipe_tests {
    use super::*;

    fn init() -> InitRes {
        let g = G1Affine::generator();
        InitRes {
            A_bar: g,
            B_bar: g,
            D: g,
            T1: g,
            T2: g,
            domain: Scalar::one(),
        }
    }

    #[test]
    fn commitments_wipe_every_secret() {
        let x = Scalar::from(5u64);
        let mut c = Commitments {
            cred_init: init(),
            cred_rand: vec![x; 7],
            undisclosed_msgs: vec![x; 2],
            e: x,
            pseudonym: None,
            digits: vec![DigitCommitment {
                init: init(),
                rand: vec![x; 6],
                d: x,
                e: x,
                sent: true,
            }],
        };
        c.wipe();
        let zero = Scalar::zero();
        // Vec::zeroize clears the elements and the length.
        assert!(c.cred_rand.is_empty() && c.undisclosed_msgs.is_empty());
        assert_eq!(c.e, zero);
        let d = &c.digits[0];
        assert!(d.rand.is_empty());
        assert_eq!((d.d, d.e), (zero, zero));
    }
}
