//! Property tests: round trips over random messages and disclosure sets for both suites; decoding
//! random or mutated bytes never panics; any single-bit change to a signature or proof is rejected.
#![allow(clippy::unwrap_used, missing_docs)]

use netid_bbs::{Bbs, Ciphersuite, Proof, PublicKey, SecretKey, Signature};
use proptest::prelude::*;

fn suite() -> impl Strategy<Value = Ciphersuite> {
    prop_oneof![Just(Ciphersuite::Sha256), Just(Ciphersuite::Shake256)]
}

fn setup(suite: Ciphersuite, seed: u8) -> (Bbs, SecretKey, PublicKey) {
    let sk = SecretKey::keygen(suite, &[seed; 32], b"prop", None).unwrap();
    let pk = sk.public_key();
    (Bbs::new(suite), sk, pk)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sign_verify_prove_round_trip(
        suite in suite(),
        seed in any::<u8>(),
        msgs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..8),
        mask in any::<u16>(),
        header in prop::collection::vec(any::<u8>(), 0..20),
        ph in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let (bbs, sk, pk) = setup(suite, seed);
        let sig = bbs.sign(&sk, &pk, &header, &msgs).unwrap();
        prop_assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
        bbs.verify(&pk, &sig, &header, &msgs).unwrap();
        let idx: Vec<usize> = (0..msgs.len()).filter(|i| mask & (1 << i) != 0).collect();
        let disclosed: Vec<Vec<u8>> = idx.iter().map(|&i| msgs[i].clone()).collect();
        let proof = bbs.proof_gen(&pk, &sig, &header, &ph, &msgs, &idx, &mut rand::rng()).unwrap();
        let bytes = proof.to_bytes();
        prop_assert_eq!(bytes.len(), 3 * 48 + 32 * (4 + msgs.len() - idx.len()));
        let back = Proof::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &proof);
        bbs.proof_verify(&pk, &back, &header, &ph, &disclosed, &idx).unwrap();
        // A different presentation header or a changed disclosed message fails.
        let mut ph2 = ph.clone();
        ph2.push(1);
        prop_assert!(bbs.proof_verify(&pk, &back, &header, &ph2, &disclosed, &idx).is_err());
        if let Some(first) = disclosed.first() {
            let mut d2 = disclosed.clone();
            let mut m = first.clone();
            m.push(0);
            d2[0] = m;
            prop_assert!(bbs.proof_verify(&pk, &back, &header, &ph, &d2, &idx).is_err());
        }
    }

    #[test]
    fn decoding_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Signature::from_bytes(&bytes);
        let _ = Proof::from_bytes(&bytes);
        let _ = PublicKey::from_bytes(&bytes);
        let _ = SecretKey::from_bytes(&bytes);
    }

    #[test]
    fn flipped_bit_in_signature_or_proof_is_rejected(
        suite in suite(),
        sig_bit in 0usize..(80 * 8),
        proof_bit in 0usize..((3 * 48 + 32 * 6) * 8),
    ) {
        let (bbs, sk, pk) = setup(suite, 1);
        let msgs = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        let sig = bbs.sign(&sk, &pk, b"h", &msgs).unwrap();
        let mut sb = sig.to_bytes();
        sb[sig_bit / 8] ^= 1 << (sig_bit % 8);
        let ok = Signature::from_bytes(&sb).and_then(|s| bbs.verify(&pk, &s, b"h", &msgs));
        prop_assert!(ok.is_err());

        let proof = bbs.proof_gen(&pk, &sig, b"h", b"ph", &msgs, &[1], &mut rand::rng()).unwrap();
        let mut pb = proof.to_bytes();
        pb[proof_bit / 8] ^= 1 << (proof_bit % 8);
        let ok = Proof::from_bytes(&pb)
            .and_then(|p| bbs.proof_verify(&pk, &p, b"h", b"ph", &msgs[1..2], &[1]));
        prop_assert!(ok.is_err());
        // Truncation and extension are rejected too.
        let full = proof.to_bytes();
        for cut in [full.len() - 1, full.len() - 32, 3 * 48 + 32 * 4 - 1] {
            let ok = Proof::from_bytes(&full[..cut])
                .and_then(|p| bbs.proof_verify(&pk, &p, b"h", b"ph", &msgs[1..2], &[1]));
            prop_assert!(ok.is_err());
        }
    }
}
