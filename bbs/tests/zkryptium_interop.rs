//! Interoperability with an independent implementation of the same draft (`zkryptium` 0.8), in
//! both directions and for both ciphersuites: keys, signatures and proofs made by one verify
//! under the other.
#![allow(clippy::unwrap_used, missing_docs)]

use elliptic_curve::hash2curve::ExpandMsg;
use netid_bbs::{Bbs, Ciphersuite, Proof, PublicKey, SecretKey, Signature};
use zkryptium::bbsplus::ciphersuites::BbsCiphersuite;
use zkryptium::keys::pair::KeyPair;
use zkryptium::schemes::algorithms::{BBSplus, BbsBls12381Sha256, BbsBls12381Shake256, Scheme};
use zkryptium::schemes::generics::{PoKSignature, Signature as ZSignature};

fn check<S: Scheme>(suite: Ciphersuite)
where
    S::Ciphersuite: BbsCiphersuite,
    <S::Ciphersuite as BbsCiphersuite>::Expander: for<'a> ExpandMsg<'a>,
{
    let bbs = Bbs::new(suite);
    let material = [0x5au8; 40];
    let kp =
        KeyPair::<BBSplus<S::Ciphersuite>>::generate(&material, Some(b"interop"), None).unwrap();
    let sk = SecretKey::keygen(suite, &material, b"interop", None).unwrap();
    let pk = sk.public_key();
    assert_eq!(sk.to_bytes().as_ref(), &kp.private_key().to_bytes());
    assert_eq!(pk.to_bytes(), kp.public_key().to_bytes());

    let msgs: Vec<Vec<u8>> = (0..7u8).map(|i| vec![i; 1 + 5 * i as usize]).collect();
    let header = b"interop header";
    let ph = b"interop ph";
    let idx = [1usize, 4, 6];
    let disclosed: Vec<Vec<u8>> = idx.iter().map(|&i| msgs[i].clone()).collect();

    // netid signs, zkryptium verifies; and the deterministic signatures are equal.
    let ours = bbs.sign(&sk, &pk, header, &msgs).unwrap();
    let theirs = ZSignature::<BBSplus<S::Ciphersuite>>::sign(
        Some(&msgs),
        kp.private_key(),
        kp.public_key(),
        Some(header),
    )
    .unwrap();
    assert_eq!(ours.to_bytes(), theirs.to_bytes());
    let z_from_ours = ZSignature::<BBSplus<S::Ciphersuite>>::from_bytes(&ours.to_bytes()).unwrap();
    z_from_ours
        .verify(kp.public_key(), Some(&msgs), Some(header))
        .unwrap();
    let ours_from_theirs = Signature::from_bytes(&theirs.to_bytes()).unwrap();
    bbs.verify(&pk, &ours_from_theirs, header, &msgs).unwrap();

    // netid proves, zkryptium verifies.
    let proof = bbs
        .proof_gen(&pk, &ours, header, ph, &msgs, &idx, &mut rand::rng())
        .unwrap();
    let zproof = PoKSignature::<BBSplus<S::Ciphersuite>>::from_bytes(&proof.to_bytes()).unwrap();
    zproof
        .proof_verify(
            kp.public_key(),
            Some(&disclosed),
            Some(&idx),
            Some(header),
            Some(ph),
        )
        .unwrap();
    assert!(zproof
        .proof_verify(
            kp.public_key(),
            Some(&disclosed),
            Some(&idx),
            Some(header),
            Some(b"x")
        )
        .is_err());

    // zkryptium proves, netid verifies.
    let zp = PoKSignature::<BBSplus<S::Ciphersuite>>::proof_gen(
        kp.public_key(),
        &theirs.to_bytes(),
        Some(header),
        Some(ph),
        Some(&msgs),
        Some(&idx),
    )
    .unwrap();
    let p = Proof::from_bytes(&zp.to_bytes()).unwrap();
    bbs.proof_verify(&pk, &p, header, ph, &disclosed, &idx)
        .unwrap();
    assert!(bbs
        .proof_verify(&pk, &p, header, b"x", &disclosed, &idx)
        .is_err());
    let _ = PublicKey::from_bytes(&kp.public_key().to_bytes()).unwrap();
}

#[test]
fn sha256_interop() {
    check::<BbsBls12381Sha256>(Ciphersuite::Sha256);
}

#[test]
fn shake256_interop() {
    check::<BbsBls12381Shake256>(Ciphersuite::Shake256);
}
