//! Proving and verifying a netid presentation in the BBS suite (specs/bbs.md §5.2–§5.6).
//!
//! The prover works in three phases — commit ([`Commitments`]), challenge (one merlin
//! transcript), respond — each consuming the previous one, so a blinding can never be reused
//! with a second challenge.
#![allow(non_snake_case)]

use bls12_381::Scalar;
use ff::Field;
use group13::prime::PrimeCurveAffine as _;
use group13::{Curve as _, Group as _};
use merlin::Transcript;
use netid_core::{
    dst, Attribute, Audience, CredentialAttributes, DisclosedAttributes, Presentation,
    PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::pok::{verify_sig_part, Bases, SigCommit};
use super::range::{DigitSignatures, DIGIT_BITS, DIGIT_HEADER};
use super::transcript::TranscriptProtocol;
use super::{disclosed_scalars, HolderKey, NetidBbs, CREDENTIAL_HEADER, SIGNED_MESSAGES};
use crate::blst_backend::{decode_g1_point, pairing_is_one_blst};
use crate::codec::decode_nonzero_scalar;
use crate::error::{BbsError, Result};
use crate::keys::PublicKey;
use crate::msm::blst::{
    self as b, glv_msm, glv_tables, odd_straus, G1Affine, G1Projective, WindowTables,
};
use crate::proof::{calculate_random_scalars, split_indexes};
use crate::pseudonym::verifier_point_cached;
use crate::signature::Signature;
use crate::signature::{calculate_domain, neg_bp2_prepared};
use crate::suite::{scalar_to_be, POINT_LEN, SCALAR_LEN};

/// Version byte of the presentation proof encoding (3: every signature proof in the form of
/// `netid::pok`, without `D`; 2 was the draft's CoreProofGen form, 1 predates holder binding).
pub const PRESENTATION_VERSION: u8 = 3;

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

/// `Ā ‖ B̄ ‖ T` of one signature proof, affine (as hashed and encoded).
#[derive(Clone, Copy)]
struct SigPoints {
    A_bar: G1Affine,
    B_bar: G1Affine,
    T: G1Affine,
}

fn append_sig(t: &mut Transcript, p: &SigPoints) {
    append_point(t, b"A_bar", &p.A_bar);
    append_point(t, b"B_bar", &p.B_bar);
    append_point(t, b"T", &p.T);
}

/// Appends a compressed G1 point (the encoding of `TranscriptProtocol::append_point`).
fn append_point(t: &mut Transcript, label: &'static [u8], p: &G1Affine) {
    t.append_message(label, &p.to_compressed());
}

/// First phase of proving: everything committed, nothing answered yet.
struct Commitments {
    cred: SigCommit,
    cred_points: SigPoints,
    /// `m̃_j` of the undisclosed messages, in index order.
    m_tilde: Vec<Scalar>,
    undisclosed_msgs: Vec<Scalar>,
    cred_domain: Scalar,
    pseudonym: Option<(G1Affine, G1Affine)>,
    digit_domain: Scalar,
    digits: Vec<DigitCommitment>,
}

struct DigitCommitment {
    sig: SigCommit,
    points: SigPoints,
    d: Scalar,
    d_tilde: Scalar,
    /// Whether the response travels in the proof (all digits but a range's first).
    sent: bool,
}

/// The prover's secrets (blindings, hidden attribute scalars, digits) are wiped as soon as the
/// responses are computed or the proof is abandoned; each [`SigCommit`] wipes its own.
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
        self.d.zeroize();
        self.d_tilde.zeroize();
    }
}

impl Commitments {
    fn wipe(&mut self) {
        self.m_tilde.zeroize();
        self.undisclosed_msgs.zeroize();
        for d in &mut self.digits {
            d.wipe();
        }
    }

    /// Appends the commitments and draws the challenge (second phase).
    fn challenge(&self, t: &mut Transcript, ranges: &[RangeSpec]) -> Scalar {
        draw_challenge(
            t,
            &self.cred_points,
            &self.cred_domain,
            self.pseudonym.as_ref(),
            &self.digit_domain,
            self.digits.iter().map(|d| &d.points),
            ranges,
        )
    }

    /// Third phase: the responses, encoded (specs/bbs.md §5.6).
    fn respond(self, c: Scalar) -> Vec<u8> {
        let mut out = vec![PRESENTATION_VERSION];
        put_sig(&mut out, &self.cred_points, self.cred.respond(&c));
        for (t, m) in self.m_tilde.iter().zip(&self.undisclosed_msgs) {
            out.extend_from_slice(&scalar_to_be(&(t + m * c)));
        }
        for d in &self.digits {
            put_sig(&mut out, &d.points, d.sig.respond(&c));
            if d.sent {
                out.extend_from_slice(&scalar_to_be(&(d.d_tilde + d.d * c)));
            }
        }
        out.extend_from_slice(&scalar_to_be(&c));
        out
    }
}

/// `Ā ‖ B̄ ‖ α̂ ‖ β̂`.
fn put_sig(out: &mut Vec<u8>, p: &SigPoints, (alpha_hat, beta_hat): (Scalar, Scalar)) {
    out.extend_from_slice(&p.A_bar.to_compressed());
    out.extend_from_slice(&p.B_bar.to_compressed());
    out.extend_from_slice(&scalar_to_be(&alpha_hat));
    out.extend_from_slice(&scalar_to_be(&beta_hat));
}

/// One signature proof as read by the verifier.
struct SigProof {
    A_bar: G1Affine,
    B_bar: G1Affine,
    alpha_hat: Scalar,
    beta_hat: Scalar,
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
        decode_g1_point(self.take(POINT_LEN)?).ok_or(BbsError::InvalidProof)
    }
    fn scalar(&mut self) -> Result<Scalar> {
        decode_nonzero_scalar(self.take(SCALAR_LEN)?, "presentation scalar")
            .map_err(|_| BbsError::InvalidProof)
    }
    fn sig(&mut self) -> Result<SigProof> {
        Ok(SigProof {
            A_bar: self.point()?,
            B_bar: self.point()?,
            alpha_hat: self.scalar()?,
            beta_hat: self.scalar()?,
        })
    }
}

/// Bytes of one signature proof: `Ā ‖ B̄ ‖ α̂ ‖ β̂`.
const SIG_PROOF_LEN: usize = 2 * POINT_LEN + 2 * SCALAR_LEN;

/// Length of the proof encoding for `u` undisclosed messages and the given ranges.
fn proof_len(u: usize, ranges: &[RangeSpec]) -> usize {
    let digits: usize = ranges.iter().map(|r| r.digits).sum();
    let sent: usize = ranges.iter().map(|r| r.digits - 1).sum();
    1 + SIG_PROOF_LEN + u * SCALAR_LEN + digits * SIG_PROOF_LEN + sent * SCALAR_LEN + SCALAR_LEN
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

        // Commit: the credential (r, α̃, β̃, then m̃_j for each undisclosed j).
        let mut cred_rand = calculate_random_scalars(rng, u + 3);
        let m_tilde: Vec<Scalar> = cred_rand[3..].to_vec();
        let m_tilde_of = |a: Attribute| -> Option<Scalar> {
            undisclosed
                .iter()
                .position(|&j| j == a.index())
                .map(|p| m_tilde[p])
        };
        let gens = self.signed_generators()?;
        let cred_domain = calculate_domain(pk, &gens, CREDENTIAL_HEADER, self.cred.api_id());
        // B = P1 + Q_1·domain + Σ H_i·m_i.
        let mut b_terms: Vec<(usize, Scalar)> = Vec::with_capacity(msgs.len() + 1);
        b_terms.push((0, cred_domain));
        b_terms.extend(msgs.iter().enumerate().map(|(i, m)| (i + 1, *m)));
        let B = gens.lincomb_blst(&b_terms, true) + b::from_zk(&self.suite.p1());
        b_terms.zeroize();
        let cred = SigCommit::new(
            Bases::AB(&WindowTables::new(&[
                G1Projective::from(b::from_zk(&signature.A)),
                B,
            ])),
            &signature.e,
            &[cred_rand[0], cred_rand[1], cred_rand[2]],
        )?;
        cred_rand.zeroize();
        let mut hj: Vec<(usize, Scalar)> = undisclosed
            .iter()
            .zip(&m_tilde)
            .map(|(&j, m)| (j + 1, -*m))
            .collect();
        let T_cred = cred.T_sig + gens.lincomb_blst(&hj, true);
        hj.zeroize();
        let pseudonym = if st.pseudonym {
            let H =
                WindowTables::new(&[
                    verifier_point_cached(self.suite, request.app_id.as_bytes()).into()
                ]);
            let nym = msgs[Attribute::Nym.index()];
            let nym_tilde = m_tilde_of(Attribute::Nym).ok_or(BbsError::Degenerate("nym"))?;
            let mut aff = [G1Affine::identity(); 2];
            G1Projective::batch_normalize(&[H.mul_ct(0, &nym), H.mul_ct(0, &nym_tilde)], &mut aff);
            Some((aff[0], aff[1]))
        } else {
            None
        };
        // Each digit: (r, α̃, β̃) random, d̃_i random for i ≥ 1 and d̃_0 fixed by
        // s·m̃_a = Σ 2^(8·i)·d̃_i.
        let digit_gens = self.digit.generators(2)?;
        let digit_domain = calculate_domain(pk, &digit_gens, DIGIT_HEADER, self.digit.api_id());
        let prepared = if ranges.is_empty() {
            &[][..]
        } else {
            digits.prepared(&self.digit)?
        };
        let mut digit_sigs = Vec::new();
        let mut digit_t = Vec::new();
        for r in &ranges {
            let value = integer_value(attrs, r.attr).ok_or(BbsError::Degenerate("integer"))?;
            let delta = match forged_delta {
                Some(d) => d,
                None => r.delta(value).ok_or(BbsError::Degenerate("range"))?,
            };
            let a_tilde = m_tilde_of(r.attr).ok_or(BbsError::Degenerate("range attribute"))?;
            let mut d_tilde = calculate_random_scalars(rng, r.digits);
            let rest: Scalar = (1..r.digits).map(|i| digit_weight(i) * d_tilde[i]).sum();
            d_tilde[0] = r.sign(a_tilde) - rest;
            for (i, dt) in d_tilde.iter().enumerate() {
                let digit = ((delta >> (DIGIT_BITS as usize * i)) & ((1 << DIGIT_BITS) - 1)) as u8;
                let (mut bases, mut e) = digits.select_ct(prepared, digit);
                let mut rand = calculate_random_scalars(rng, 3);
                let sig = SigCommit::new(
                    Bases::Split(&WindowTables::new(&bases.map(G1Projective::from))),
                    &e,
                    &[rand[0], rand[1], rand[2]],
                );
                b::wipe(&mut bases);
                e.zeroize();
                rand.zeroize();
                let sig = sig?;
                digit_t.push(sig.T_sig + digit_gens.lincomb_blst(&[(1, -*dt)], true));
                digit_sigs.push((sig, Scalar::from(u64::from(digit)), *dt, i != 0));
            }
            d_tilde.zeroize();
        }
        // One batched normalisation for every point of the proof.
        let mut proj = vec![cred.A_bar, cred.B_bar, T_cred];
        for ((s, ..), t) in digit_sigs.iter().zip(&digit_t) {
            proj.extend([s.A_bar, s.B_bar, *t]);
        }
        let mut aff = vec![G1Affine::identity(); proj.len()];
        G1Projective::batch_normalize(&proj, &mut aff);
        let sig_points = |k: usize| SigPoints {
            A_bar: aff[3 * k],
            B_bar: aff[3 * k + 1],
            T: aff[3 * k + 2],
        };
        let commitments = Commitments {
            cred,
            cred_points: sig_points(0),
            undisclosed_msgs: undisclosed.iter().map(|&j| msgs[j]).collect(),
            m_tilde,
            cred_domain,
            pseudonym,
            digit_domain,
            digits: digit_sigs
                .into_iter()
                .enumerate()
                .map(|(k, (sig, d, d_tilde, sent))| DigitCommitment {
                    sig,
                    points: sig_points(k + 1),
                    d,
                    d_tilde,
                    sent,
                })
                .collect(),
        };
        msgs.zeroize();

        // Challenge, then respond.
        let mut t = open_transcript(self, pk, request, &d_idx, &d_scalars);
        let c = commitments.challenge(&mut t, &ranges);
        let pseudonym = commitments.pseudonym.map(|(P, _)| P.to_compressed());
        let proof = commitments.respond(c);
        debug_assert_eq!(proof.len(), proof_len(u, &ranges));
        Ok(Presentation {
            version: FORMAT_VERSION,
            suite: self.core_suite(),
            request_hash: request.request_hash(),
            disclosed,
            pseudonym: pseudonym.map(|p| p.to_vec().into()),
            proof: proof.into(),
            epoch: None,
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
        let cred = rd.sig()?;
        let m_hat = (0..u).map(|_| rd.scalar()).collect::<Result<Vec<_>>>()?;
        // Each digit's proof and d̂ (None for a range's first digit: derived below).
        let mut digit_proofs = Vec::new();
        for r in &ranges {
            for i in 0..r.digits {
                let p = rd.sig()?;
                let d_hat = if i == 0 { None } else { Some(rd.scalar()?) };
                digit_proofs.push((p, d_hat));
            }
        }
        let c = rd.scalar()?;
        let m_hat_of = |a: Attribute| -> Option<Scalar> {
            undisclosed
                .iter()
                .position(|&j| j == a.index())
                .map(|p| m_hat[p])
        };

        // T = α̂·B̄ + β̂·Ā − Σ_{j∉D} m̂_j·H_j − c·C_D for the credential and every digit; −c·P1
        // is shared.
        let gens = self.signed_generators()?;
        let cred_domain = calculate_domain(pk, &gens, CREDENTIAL_HEADER, self.cred.api_id());
        let mut p1c = G1Projective::identity();
        gens.add_p1_blst(&mut p1c, &-c, false);
        let mut terms = Vec::with_capacity(SIGNED_MESSAGES + 1);
        terms.push((0, -(c * cred_domain)));
        terms.extend(
            d_idx
                .iter()
                .zip(&d_scalars)
                .map(|(&i, m)| (i + 1, -(c * m))),
        );
        terms.extend(undisclosed.iter().zip(&m_hat).map(|(&j, m)| (j + 1, -*m)));
        let (t_cred, _) = verify_sig_part(
            cred.A_bar.into(),
            cred.B_bar.into(),
            &cred.alpha_hat,
            &cred.beta_hat,
        );
        let mut proj = vec![t_cred + gens.lincomb_blst(&terms, false) + p1c];
        let pseudonym = match (&presentation.pseudonym, st.pseudonym) {
            (Some(p), true) => {
                let P = decode_g1_point(p.as_slice()).ok_or(BbsError::InvalidProof)?;
                let H = verifier_point_cached(self.suite, request.app_id.as_bytes());
                let nym_hat = m_hat_of(Attribute::Nym).ok_or(BbsError::InvalidProof)?;
                proj.push(glv_msm(&glv_tables(&[H.into(), P.into()]), &[nym_hat, -c]));
                Some(P)
            }
            (None, false) => None,
            _ => return Err(BbsError::InvalidProof),
        };
        let digit_gens = self.digit.generators(2)?;
        let digit_domain = calculate_domain(pk, &digit_gens, DIGIT_HEADER, self.digit.api_id());
        let c_digit = digit_gens.lincomb_blst(&[(0, -(c * digit_domain))], false) + p1c;
        let mut k = 0;
        let mut digit_tables = Vec::with_capacity(digit_proofs.len());
        for r in &ranges {
            let a_hat = m_hat_of(r.attr).ok_or(BbsError::InvalidProof)?;
            let rest: Scalar = (1..r.digits)
                .map(|i| digit_weight(i) * digit_proofs[k + i].1.unwrap_or(Scalar::ZERO))
                .sum();
            digit_proofs[k].1 = Some(r.sign(a_hat - c * Scalar::from(r.bound)) - rest);
            for (p, d_hat) in &digit_proofs[k..k + r.digits] {
                let d_hat = d_hat.ok_or(BbsError::InvalidProof)?;
                let (t, tables) =
                    verify_sig_part(p.A_bar.into(), p.B_bar.into(), &p.alpha_hat, &p.beta_hat);
                proj.push(t + digit_gens.lincomb_blst(&[(1, -d_hat)], false) + c_digit);
                digit_tables.push(tables);
            }
            k += r.digits;
        }
        let mut aff = vec![G1Affine::identity(); proj.len()];
        G1Projective::batch_normalize(&proj, &mut aff);
        let cred_points = SigPoints {
            A_bar: cred.A_bar,
            B_bar: cred.B_bar,
            T: aff[0],
        };
        let first_digit = 1 + usize::from(pseudonym.is_some());
        let digit_points: Vec<SigPoints> = digit_proofs
            .iter()
            .zip(&aff[first_digit..])
            .map(|((p, _), t)| SigPoints {
                A_bar: p.A_bar,
                B_bar: p.B_bar,
                T: *t,
            })
            .collect();
        let pseudonym = pseudonym.map(|P| (P, aff[1]));

        let mut t = open_transcript(self, pk, request, &d_idx, &d_scalars);
        let c2 = draw_challenge(
            &mut t,
            &cred_points,
            &cred_domain,
            pseudonym.as_ref(),
            &digit_domain,
            digit_points.iter(),
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
            // The tables over [B̄, φ(B̄), Ā, φ(Ā)] of every digit proof are reused (entries 0
            // and 2; the weights are below 2^128, no split needed).
            let a_terms: Vec<_> = digit_tables
                .iter()
                .zip(&rho)
                .map(|(t, r)| (t, 2, *r))
                .collect();
            let b_terms: Vec<_> = digit_tables
                .iter()
                .zip(&rho)
                .map(|(t, r)| (t, 0, *r))
                .collect();
            let mut aff = [G1Affine::identity(); 2];
            G1Projective::batch_normalize(
                &[
                    odd_straus(&a_terms) + G1Projective::from(cred.A_bar),
                    odd_straus(&b_terms) + G1Projective::from(cred.B_bar),
                ],
                &mut aff,
            );
            (aff[0], aff[1])
        };
        if !pairing_is_one_blst(&[(&A, pk.prepared()), (&B, neg_bp2_prepared())]) {
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
    cred: &SigPoints,
    cred_domain: &Scalar,
    pseudonym: Option<&(G1Affine, G1Affine)>,
    digit_domain: &Scalar,
    mut digits: impl Iterator<Item = &'a SigPoints>,
    ranges: &[RangeSpec],
) -> Scalar {
    t.append_message(dst::bbs::BBS_COMMITMENTS, b"credential");
    append_sig(t, cred);
    t.append_scalar(b"domain", cred_domain);
    if let Some((P, T)) = pseudonym {
        append_point(t, dst::bbs::PSEUDONYM, P);
        append_point(t, dst::bbs::PSEUDONYM_COMMITMENT, T);
    }
    if !ranges.is_empty() {
        t.append_scalar(b"digit-domain", digit_domain);
    }
    for r in ranges {
        t.append_message(r.label, &[r.digits as u8]);
        for d in digits.by_ref().take(r.digits) {
            append_sig(t, d);
        }
    }
    t.challenge_scalar(dst::bbs::CHALLENGE)
}

#[cfg(test)]
mod wipe_tests {
    use super::*;

    #[test]
    fn commitments_wipe_every_secret() {
        let x = Scalar::from(5u64);
        let g = G1Projective::generator();
        let sig = || {
            SigCommit::new(
                Bases::AB(&WindowTables::new(&[g, g])),
                &x,
                &[Scalar::ONE, x, x],
            )
            .unwrap_or_else(|_| unreachable!("r = 1"))
        };
        let p = SigPoints {
            A_bar: G1Affine::generator(),
            B_bar: G1Affine::generator(),
            T: G1Affine::generator(),
        };
        let mut c = Commitments {
            cred: sig(),
            cred_points: p,
            m_tilde: vec![x; 7],
            undisclosed_msgs: vec![x; 2],
            cred_domain: x,
            pseudonym: None,
            digit_domain: x,
            digits: vec![DigitCommitment {
                sig: sig(),
                points: p,
                d: x,
                d_tilde: x,
                sent: true,
            }],
        };
        c.wipe();
        let zero = Scalar::zero();
        // Vec::zeroize clears the elements and the length.
        assert!(c.m_tilde.is_empty() && c.undisclosed_msgs.is_empty());
        let d = &c.digits[0];
        assert_eq!((d.d, d.d_tilde), (zero, zero));
    }
}
