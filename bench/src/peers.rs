//! Peers measured in the same run: the `zkryptium` crate's IETF BBS operations over the same
//! messages as netid-bbs (the sweep over message counts), and its pseudonym proofs
//! (draft-irtf-cfrg-bbs-per-verifier-linkability) for the `nym` statement.

use elliptic_curve::hash2curve::ExpandMsg;
use indicatif::ProgressBar;
use netid_bbs::{Bbs, Ciphersuite, Proof, SecretKey, Signature};
use zkryptium::bbsplus::ciphersuites::BbsCiphersuite;
use zkryptium::bbsplus::pseudonym::PseudonymSecret;
use zkryptium::keys::pair::KeyPair;
use zkryptium::schemes::algorithms::{BBSplus, BbsBls12381Sha256, BbsBls12381Shake256, Scheme};
use zkryptium::schemes::generics::{
    BlindSignature, Commitment, PoKSignature, Signature as ZSignature,
};

use crate::{BenchError, Config, Report, Result, Sampling, Stats, SuiteName, SweepRow};

const HEADER: &[u8] = b"netid benchmark header";
const PH: &[u8] = b"netid benchmark presentation header";
/// The sweep's operations, in order.
pub const OPERATIONS: [&str; 4] = ["sign", "verify", "proof_gen", "proof_verify"];

fn zerr(e: impl std::fmt::Debug) -> BenchError {
    BenchError::Peer {
        peer: "zkryptium",
        message: format!("{e:?}"),
    }
}

/// `n` messages of moderate length (the criterion bench's shape).
pub fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("attribute-{i}: some value of moderate length").into_bytes())
        .collect()
}

/// Every other index, from 0.
pub fn disclosed_indexes(n: usize) -> Vec<usize> {
    (0..n).step_by(2).collect()
}

/// netid-bbs: sign, verify, proof_gen, proof_verify, and the signature / proof sizes.
fn netid_ops(cs: Ciphersuite, n: usize, s: &Sampling, pb: &ProgressBar) -> Result<Ops> {
    let bbs = Bbs::new(cs);
    let sk = SecretKey::keygen(cs, &[42u8; 32], b"bench", None)?;
    let pk = sk.public_key();
    let msgs = messages(n);
    let idx = disclosed_indexes(n);
    let disclosed: Vec<Vec<u8>> = idx.iter().map(|&i| msgs[i].clone()).collect();
    let sig = bbs.sign(&sk, &pk, HEADER, &msgs)?;
    let sig_bytes = sig.to_bytes();
    let proof = bbs.proof_gen(&pk, &sig, HEADER, PH, &msgs, &idx, &mut rand::rng())?;
    let proof_bytes = proof.to_bytes();
    let sign = s.measure(|| Ok(bbs.sign(&sk, &pk, HEADER, &msgs)?))?;
    pb.inc(1);
    let verify = s.measure(|| {
        let sig = Signature::from_bytes(&sig_bytes)?;
        Ok(bbs.verify(&pk, &sig, HEADER, &msgs)?)
    })?;
    pb.inc(1);
    let proof_gen =
        s.measure(|| Ok(bbs.proof_gen(&pk, &sig, HEADER, PH, &msgs, &idx, &mut rand::rng())?))?;
    pb.inc(1);
    let proof_verify = s.measure(|| {
        let p = Proof::from_bytes(&proof_bytes)?;
        Ok(bbs.proof_verify(&pk, &p, HEADER, PH, &disclosed, &idx)?)
    })?;
    pb.inc(1);
    Ok(Ops {
        stats: [sign, verify, proof_gen, proof_verify],
        sig_bytes: sig_bytes.len(),
        proof_bytes: proof_bytes.len(),
    })
}

struct Ops {
    stats: [Stats; 4],
    sig_bytes: usize,
    proof_bytes: usize,
}

fn zkryptium_ops<S: Scheme>(n: usize, s: &Sampling, pb: &ProgressBar) -> Result<Ops>
where
    S::Ciphersuite: BbsCiphersuite,
    <S::Ciphersuite as BbsCiphersuite>::Expander: for<'a> ExpandMsg<'a>,
{
    let kp = KeyPair::<BBSplus<S::Ciphersuite>>::generate(&[42u8; 32], Some(b"bench"), None)
        .map_err(zerr)?;
    let (zsk, zpk) = (kp.private_key(), kp.public_key());
    let msgs = messages(n);
    let idx = disclosed_indexes(n);
    let disclosed: Vec<Vec<u8>> = idx.iter().map(|&i| msgs[i].clone()).collect();
    let sig = ZSignature::<BBSplus<S::Ciphersuite>>::sign(Some(&msgs), zsk, zpk, Some(HEADER))
        .map_err(zerr)?;
    let sig_bytes = sig.to_bytes();
    let gen = || {
        PoKSignature::<BBSplus<S::Ciphersuite>>::proof_gen(
            zpk,
            &sig_bytes,
            Some(HEADER),
            Some(PH),
            Some(&msgs),
            Some(&idx),
        )
        .map_err(zerr)
    };
    let proof = gen()?;
    let sign = s.measure(|| {
        ZSignature::<BBSplus<S::Ciphersuite>>::sign(Some(&msgs), zsk, zpk, Some(HEADER))
            .map_err(zerr)
    })?;
    pb.inc(1);
    let verify = s.measure(|| sig.verify(zpk, Some(&msgs), Some(HEADER)).map_err(zerr))?;
    pb.inc(1);
    let proof_gen = s.measure(gen)?;
    pb.inc(1);
    let proof_verify = s.measure(|| {
        proof
            .proof_verify(zpk, Some(&disclosed), Some(&idx), Some(HEADER), Some(PH))
            .map_err(zerr)
    })?;
    pb.inc(1);
    Ok(Ops {
        stats: [sign, verify, proof_gen, proof_verify],
        sig_bytes: sig_bytes.len(),
        proof_bytes: proof.to_bytes().len(),
    })
}

/// The IETF sweep over `config.message_counts` for the BBS suites of `config`.
pub fn run_sweep(config: &Config, pb: &ProgressBar, report: &mut Report) -> Result<()> {
    for &suite in &config.suites {
        let Some(cs) = suite.ciphersuite() else {
            continue;
        };
        for &n in &config.message_counts {
            pb.set_message(format!("{}: IETF operations, {n} messages", suite.name()));
            let ours = netid_ops(cs, n, &config.fast, pb)?;
            let theirs = if config.peers {
                pb.set_message(format!(
                    "{}: zkryptium IETF operations, {n} messages",
                    suite.name()
                ));
                Some(match suite {
                    SuiteName::BbsShake256 => {
                        zkryptium_ops::<BbsBls12381Shake256>(n, &config.fast, pb)?
                    }
                    _ => zkryptium_ops::<BbsBls12381Sha256>(n, &config.fast, pb)?,
                })
            } else {
                None
            };
            for (i, op) in OPERATIONS.iter().enumerate() {
                let z = theirs.as_ref().map(|t| t.stats[i].clone());
                let netid = ours.stats[i].clone();
                report.sweep.push(SweepRow {
                    suite,
                    operation: (*op).into(),
                    messages: n,
                    disclosed: disclosed_indexes(n).len(),
                    ratio: z.as_ref().map(|z| netid.median_ms / z.median_ms),
                    netid,
                    zkryptium: z,
                    bytes: if i < 2 {
                        ours.sig_bytes
                    } else {
                        ours.proof_bytes
                    },
                });
            }
            if let Some(t) = &theirs {
                if t.sig_bytes != ours.sig_bytes || t.proof_bytes != ours.proof_bytes {
                    return Err(BenchError::Internal(format!(
                        "zkryptium sizes differ from netid's at {n} messages"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// zkryptium's pseudonym proof: prove, verify, proof + pseudonym bytes.
#[derive(Clone, Debug)]
pub struct NymPeer {
    /// `proof_gen_with_nym`.
    pub prove: Stats,
    /// `proof_verify_with_nym`.
    pub verify: Stats,
    /// Proof plus pseudonym bytes.
    pub bytes: usize,
}

/// zkryptium's pseudonym proof over 12 messages, none disclosed, one nym secret, for `cs`.
pub fn zkryptium_nym(cs: Ciphersuite, s: &Sampling, pb: &ProgressBar) -> Result<NymPeer> {
    match cs {
        Ciphersuite::Sha256 => nym::<BbsBls12381Sha256>(s, pb),
        Ciphersuite::Shake256 => nym::<BbsBls12381Shake256>(s, pb),
    }
}

fn nym<S: Scheme>(s: &Sampling, pb: &ProgressBar) -> Result<NymPeer>
where
    S::Ciphersuite: BbsCiphersuite,
    <S::Ciphersuite as BbsCiphersuite>::Expander: for<'a> ExpandMsg<'a>,
{
    type B<S> = BBSplus<<S as Scheme>::Ciphersuite>;
    let kp = KeyPair::<B<S>>::generate(&[7u8; 32], Some(b"bench"), None).map_err(zerr)?;
    let (sk, pk) = (kp.private_key(), kp.public_key());
    let msgs = messages(12);
    // Issuance with a pseudonym: the holder commits to its nym secret, the issuer blind-signs.
    let prover_nyms = PseudonymSecret::random_vec(1);
    let (commitment, blind) =
        Commitment::<B<S>>::commit_with_nym(None, prover_nyms.clone()).map_err(zerr)?;
    let entropy = PseudonymSecret::random();
    let sig = BlindSignature::<B<S>>::blind_sign_with_nym(
        sk,
        pk,
        Some(&commitment.to_bytes()),
        1,
        Some(HEADER),
        &entropy,
        Some(&msgs),
    )
    .map_err(zerr)?;
    let nym_secrets = sig
        .verify_finalize_with_nym(
            pk,
            Some(HEADER),
            Some(&msgs),
            None,
            prover_nyms,
            Some(&entropy),
            Some(&blind),
        )
        .map_err(zerr)?;
    let sig_bytes = sig.to_bytes();
    let context = crate::world::APP_ID.as_bytes();
    let gen = || {
        PoKSignature::<B<S>>::proof_gen_with_nym(
            pk,
            &sig_bytes,
            Some(HEADER),
            Some(PH),
            &nym_secrets,
            context,
            Some(&msgs),
            None,
            Some(&[]),
            None,
            Some(&blind),
        )
        .map_err(zerr)
    };
    let (proof, pseudonym) = gen()?;
    let prove = s.measure(gen)?;
    pb.inc(1);
    let verify = s.measure(|| {
        proof
            .proof_verify_with_nym(
                pk,
                Some(HEADER),
                Some(PH),
                &pseudonym,
                context,
                1,
                Some(msgs.len()),
                Some(&[]),
                None,
                Some(&[]),
                None,
            )
            .map_err(zerr)
    })?;
    pb.inc(1);
    Ok(NymPeer {
        prove,
        verify,
        bytes: proof.to_bytes().len() + pseudonym.to_bytes().len(),
    })
}
