//! The Groth16 presentation end to end: completeness, soundness (each false statement fails),
//! unlinkability, wire-format strictness, snarkjs export, pinned constraint counts.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use netid_circuits::dev::{adult_request, dev_issuer_key, sample_credential, sample_secret};
use netid_circuits::gadgets::eddsa::{PublicKey, SecretKey, Signature};
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::presentation::circuit::{PartCounts, PresentationCircuit};
use netid_circuits::presentation::{fr_to_bytes, PublicInputs, NUM_PUBLIC_INPUTS};
use netid_circuits::suite::{self, HolderCredential};
use netid_circuits::{snarkjs, CircuitError};
use netid_core::{Attribute, CredentialAttributes, Date, Presentation, PresentationRequest};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn keys() -> &'static ProvingKeys {
    static K: OnceLock<ProvingKeys> = OnceLock::new();
    K.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys");
        ProvingKeys::load_or_dev_setup(&dir, DEV_SEED).unwrap()
    })
}

struct World {
    sk: SecretKey,
    pk: PublicKey,
    tree: RevocationTree,
    attrs: CredentialAttributes,
    sig: Signature,
    today: Date,
}

fn world() -> World {
    let sk = dev_issuer_key("tests");
    let pk = sk.public_key();
    let attrs = sample_credential(42).unwrap();
    let sig = suite::sign_credential(&sk, &attrs).unwrap();
    let tree = RevocationTree::from_revoked([7, 41, 43]).unwrap();
    World {
        sk,
        pk,
        tree,
        attrs,
        sig,
        today: Date::from_ymd(2026, 11, 23).unwrap(),
    }
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

fn prove(
    w: &World,
    attrs: &CredentialAttributes,
    sig: &Signature,
    req: &PresentationRequest,
) -> Result<Presentation, CircuitError> {
    let path = w.tree.path(attrs.rev_index.into()).unwrap();
    suite::prove(
        keys(),
        &w.pk,
        w.tree.root(),
        HolderCredential {
            attributes: attrs,
            signature: sig,
            path: &path,
            secret: &sample_secret(),
        },
        req,
        &mut rng(),
    )
}

fn verify(w: &World, req: &PresentationRequest, p: &Presentation) -> Result<(), CircuitError> {
    suite::verify(keys().verifier(), &w.pk, w.tree.root(), req, p).map(|_| ())
}

#[test]
fn honest_presentation_verifies_and_reveals_only_what_is_asked() {
    let w = world();
    let req = adult_request("shop.example", w.today, [1; 32]);
    let p = prove(&w, &w.attrs, &w.sig, &req).unwrap();
    assert_eq!(p.proof.len(), 128);
    let v = suite::verify(keys().verifier(), &w.pk, w.tree.root(), &req, &p).unwrap();
    assert_eq!(v.disclosed.len(), 1);
    assert!(v.disclosed.get(Attribute::GivenName).is_some());
    assert!(v.pseudonym.is_some());
}

#[test]
fn false_statements_are_refused_by_the_prover() {
    let w = world();
    // Underage: born one day after the cutoff.
    let req = adult_request("shop.example", w.today, [2; 32]);
    let cutoff = req.statements.age_cutoff().unwrap().unwrap();
    let mut young = w.attrs.clone();
    young.birthdate = cutoff.checked_add_days(1).unwrap();
    let sig = suite::sign_credential(&w.sk, &young).unwrap();
    assert!(matches!(
        prove(&w, &young, &sig, &req),
        Err(CircuitError::Statement(_))
    ));
    // Exactly at the cutoff is fine.
    let mut just = w.attrs.clone();
    just.birthdate = cutoff;
    let sig = suite::sign_credential(&w.sk, &just).unwrap();
    assert!(prove(&w, &just, &sig, &req).is_ok());
    // Expired yesterday.
    let mut old = w.attrs.clone();
    old.expiry = w.today.checked_sub_days(1).unwrap();
    let sig = suite::sign_credential(&w.sk, &old).unwrap();
    assert!(matches!(
        prove(&w, &old, &sig, &req),
        Err(CircuitError::Statement(_))
    ));
    // Revoked.
    let mut revoked = w.attrs.clone();
    revoked.rev_index = 41;
    let sig = suite::sign_credential(&w.sk, &revoked).unwrap();
    assert!(matches!(
        prove(&w, &revoked, &sig, &req),
        Err(CircuitError::Statement(_))
    ));
    // Signed by another issuer.
    let other = SecretKey::from_bytes([5; 32]);
    let sig = suite::sign_credential(&other, &w.attrs).unwrap();
    assert!(matches!(
        prove(&w, &w.attrs, &sig, &req),
        Err(CircuitError::Statement(_))
    ));
}

/// Proving a false statement directly in the circuit (bypassing the native pre-check) leaves the
/// constraint system unsatisfied.
#[test]
fn circuit_is_unsatisfied_for_false_statements() {
    let w = world();
    let req = adult_request("shop.example", w.today, [3; 32]);
    let fields = netid_circuits::presentation::attributes_to_fields(&w.attrs);
    let disclosed = w.attrs.disclose(req.statements.disclose).unwrap();
    let ps = netid_circuits::presentation::pseudonym(
        fields[Attribute::Nym.index()],
        netid_circuits::presentation::app_id_to_field("shop.example"),
    );
    let public =
        PublicInputs::for_request(&req, &disclosed, Some(ps), &w.pk, w.tree.root()).unwrap();
    let witness = netid_circuits::presentation::Witness {
        attributes: fields,
        signature: w.sig,
        path: w.tree.path(42).unwrap(),
        secret: netid_circuits::presentation::secret_to_field(&sample_secret()),
    };
    let sat = |public: PublicInputs, witness: netid_circuits::presentation::Witness| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let c = PresentationCircuit {
            public: Some(public),
            witness: Some(witness),
            counts: None,
        };
        match c.generate_constraints(cs.clone()) {
            Ok(()) => cs.is_satisfied().unwrap(),
            Err(_) => false,
        }
    };
    assert!(sat(public.clone(), witness.clone()));
    let mut p = public.clone();
    p.cutoff = w.attrs.birthdate.days() as u64 - 1; // underage by a day
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.today = w.attrs.expiry.days() as u64 + 1; // expired
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.disclosed[Attribute::GivenName.index()] += Fr::one(); // altered disclosed value
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.pseudonym += Fr::one(); // swapped pseudonym
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.rev_root = RevocationTree::from_revoked([42]).unwrap().root(); // revoked now
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.issuer = SecretKey::from_bytes([8; 32]).public_key(); // other issuer
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.mask |= 1 << Attribute::Birthdate.index(); // claims a disclosure it does not make
    assert!(!sat(p, witness.clone()));
    let mut p = public.clone();
    p.flags |= 1 << 4; // unknown flag bit
    assert!(!sat(p, witness.clone()));
    // A copied credential with another wallet's secret (or none: 0) satisfies nothing.
    for wrong in [Fr::one(), Fr::zero(), witness.secret + Fr::one()] {
        let mut stolen = witness.clone();
        stolen.secret = wrong;
        assert!(!sat(public.clone(), stolen));
    }
}

/// The world's credential proven with `secret` by the honest prover, or (`checked` false) by a
/// modified wallet that skips the native check ([`netid_circuits::dev::prove_unchecked`]).
fn prove_with_secret(
    w: &World,
    req: &PresentationRequest,
    secret: &netid_core::HolderSecret,
    checked: bool,
) -> Result<Presentation, CircuitError> {
    let path = w.tree.path(42).unwrap();
    let cred = HolderCredential {
        attributes: &w.attrs,
        signature: &w.sig,
        path: &path,
        secret,
    };
    let prove = if checked {
        suite::prove::<ChaCha20Rng>
    } else {
        netid_circuits::dev::prove_unchecked::<ChaCha20Rng>
    };
    prove(keys(), &w.pk, w.tree.root(), cred, req, &mut rng())
}

/// The native pre-check refuses a copied credential with another wallet's secret before any
/// proving work: the thief's wallet never even produces a proof.
#[test]
fn a_copied_credential_without_its_wallet_secret_is_refused() {
    let w = world();
    let req = adult_request("shop.example", w.today, [4; 32]);
    let thief = netid_core::HolderSecret::from_random(&[0x7f; 32]).unwrap();
    let r = prove_with_secret(&w, &req, &thief, true);
    match r {
        Err(CircuitError::Statement(why)) => assert!(why.contains("wallet secret"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn verifier_rejects_presentations_for_other_contexts() {
    let w = world();
    let req = adult_request("shop.example", w.today, [4; 32]);
    let p = prove(&w, &w.attrs, &w.sig, &req).unwrap();
    verify(&w, &req, &p).unwrap();

    // Other nonce / other app: the request hash no longer matches.
    let other_nonce = adult_request("shop.example", w.today, [5; 32]);
    assert!(verify(&w, &other_nonce, &p).is_err());
    let other_app = adult_request("game.example", w.today, [4; 32]);
    assert!(verify(&w, &other_app, &p).is_err());
    // Even with the request hash field patched to match, the proof fails.
    for other in [&other_nonce, &other_app] {
        let mut q = p.clone();
        q.request_hash = other.request_hash();
        assert!(matches!(
            verify(&w, other, &q),
            Err(CircuitError::InvalidProof)
        ));
    }
    // Altered disclosed value.
    let mut q = p.clone();
    let mut d = netid_core::DisclosedAttributes::new();
    d.insert(
        Attribute::GivenName,
        netid_core::DisclosedValue::Text("明".into()),
    )
    .unwrap();
    q.disclosed = d;
    assert!(matches!(
        verify(&w, &req, &q),
        Err(CircuitError::InvalidProof)
    ));
    // Swapped pseudonym.
    let mut q = p.clone();
    q.pseudonym = Some(fr_to_bytes(&Fr::from(12345u64)).to_vec().into());
    assert!(matches!(
        verify(&w, &req, &q),
        Err(CircuitError::InvalidProof)
    ));
    // Other issuer key, other revocation root.
    let other_pk = SecretKey::from_bytes([6; 32]).public_key();
    assert!(suite::verify(keys().verifier(), &other_pk, w.tree.root(), &req, &p).is_err());
    assert!(suite::verify(keys().verifier(), &w.pk, Fr::zero(), &req, &p).is_err());
}

#[test]
fn proof_bytes_are_strict() {
    let w = world();
    let req = adult_request("shop.example", w.today, [6; 32]);
    let p = prove(&w, &w.attrs, &w.sig, &req).unwrap();
    // Every single-bit flip of the proof is rejected (decoding or verification).
    for i in (0..p.proof.len() * 8).step_by(7) {
        let mut q = p.clone();
        let mut b = q.proof.as_slice().to_vec();
        b[i / 8] ^= 1 << (i % 8);
        q.proof = b.into();
        assert!(verify(&w, &req, &q).is_err(), "bit {i}");
    }
    // Truncated and extended.
    for len in [0, 64, 127, 129] {
        let mut q = p.clone();
        let mut b = p.proof.as_slice().to_vec();
        b.resize(len, 0);
        q.proof = b.into();
        assert!(verify(&w, &req, &q).is_err());
    }
    // A non-canonical pseudonym encoding (value + r) is refused before verification.
    let mut q = p.clone();
    q.pseudonym = Some(vec![0xff; 32].into());
    assert!(matches!(
        verify(&w, &req, &q),
        Err(CircuitError::InvalidPresentation(_))
    ));
}

#[test]
fn unlinkable_across_apps_linkable_within_one() {
    let w = world();
    let a1 = prove(
        &w,
        &w.attrs,
        &w.sig,
        &adult_request("shop.example", w.today, [7; 32]),
    )
    .unwrap();
    let a2 = prove(
        &w,
        &w.attrs,
        &w.sig,
        &adult_request("shop.example", w.today, [8; 32]),
    )
    .unwrap();
    let b = prove(
        &w,
        &w.attrs,
        &w.sig,
        &adult_request("game.example", w.today, [9; 32]),
    )
    .unwrap();
    assert_eq!(a1.pseudonym, a2.pseudonym);
    assert_ne!(a1.pseudonym, b.pseudonym);
    // Proofs share no byte string of 8 bytes or more.
    let shares = |x: &[u8], y: &[u8]| x.windows(8).any(|wnd| y.windows(8).any(|v| v == wnd));
    assert!(!shares(a1.proof.as_slice(), b.proof.as_slice()));
    assert!(!shares(a1.proof.as_slice(), a2.proof.as_slice()));
    assert!(!shares(
        a1.pseudonym.as_ref().unwrap().as_slice(),
        b.pseudonym.as_ref().unwrap().as_slice()
    ));
    // Public inputs of the two apps agree exactly on the public parameters and statement
    // (issuer key, mask, disclosed given name, flags, cutoff, today, root) and nothing else.
    let pi = |req: &PresentationRequest, p: &Presentation| {
        let ps = p.pseudonym.as_ref().map(|b| {
            netid_circuits::presentation::fr_from_bytes(b.as_slice(), "pseudonym").unwrap()
        });
        PublicInputs::for_request(req, &p.disclosed, ps, &w.pk, w.tree.root())
            .unwrap()
            .to_field_elements()
    };
    let x = pi(&adult_request("shop.example", w.today, [7; 32]), &a1);
    let y = pi(&adult_request("game.example", w.today, [9; 32]), &b);
    let differing: Vec<usize> = (0..NUM_PUBLIC_INPUTS).filter(|i| x[*i] != y[*i]).collect();
    assert_eq!(
        differing,
        vec![2, 3, 4],
        "request hash, app id and pseudonym only"
    );
}

#[test]
fn snarkjs_export_round_trips() {
    let w = world();
    let req = adult_request("demo-app", w.today, [10; 32]);
    let p = prove(&w, &w.attrs, &w.sig, &req).unwrap();
    let proof = suite::proof_from_bytes(p.proof.as_slice()).unwrap();
    let vk_json = snarkjs::verification_key_json(keys().verifier().vk());
    assert_eq!(vk_json["nPublic"], NUM_PUBLIC_INPUTS);
    let vk = snarkjs::parse_verification_key(&vk_json).unwrap();
    assert_eq!(&vk, keys().verifier().vk());
    assert_eq!(
        snarkjs::parse_proof(&snarkjs::proof_json(&proof)).unwrap(),
        proof
    );
    let ps =
        netid_circuits::presentation::fr_from_bytes(p.pseudonym.as_ref().unwrap().as_slice(), "p")
            .unwrap();
    let public = PublicInputs::for_request(&req, &p.disclosed, Some(ps), &w.pk, w.tree.root())
        .unwrap()
        .to_field_elements();
    let parsed = snarkjs::parse_public(&snarkjs::public_json(&public)).unwrap();
    assert_eq!(parsed, public);
    // Non-canonical decimals are refused.
    assert!(snarkjs::parse_fr_decimal("01").is_err());
    assert!(snarkjs::parse_fr_decimal(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
    )
    .is_err());
    assert!(snarkjs::parse_fr_decimal("-1").is_err());
}

#[test]
fn pinned_constraint_counts() {
    let counts = Rc::new(RefCell::new(PartCounts::default()));
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    PresentationCircuit {
        public: None,
        witness: None,
        counts: Some(counts.clone()),
    }
    .generate_constraints(cs.clone())
    .unwrap();
    let c = counts.borrow().clone();
    assert_eq!(cs.num_instance_variables(), NUM_PUBLIC_INPUTS + 1);
    assert_eq!(
        c,
        PartCounts {
            inputs: 19,
            commitment: 504,
            signature: 3_974,
            disclosure: 24,
            predicates: 58,
            revocation: 7_746,
            pseudonym: 242,
            binding: 214,
            total: 12_781,
        }
    );
    // Within 2^14, so the prover's FFT domain stays at 2^14 (specs/revocation.md §7).
    assert!(c.total <= 1 << 14);
}

#[test]
fn batch_verification_agrees_with_one_by_one() {
    let w = world();
    let reqs: Vec<PresentationRequest> = [
        ("shop.example", 21u8),
        ("game.example", 22),
        ("bank.example", 23),
    ]
    .iter()
    .map(|(app, n)| adult_request(app, w.today, [*n; 32]))
    .collect();
    let ps: Vec<Presentation> = reqs
        .iter()
        .map(|r| prove(&w, &w.attrs, &w.sig, r).unwrap())
        .collect();
    let vk = keys().verifier();

    // All valid: every item's result equals the single verification's.
    let items: Vec<_> = reqs.iter().zip(&ps).collect();
    let out = suite::verify_batch(vk, &w.pk, w.tree.root(), &items);
    assert_eq!(out.len(), 3);
    for ((req, p), got) in items.iter().zip(&out) {
        let single = suite::verify(vk, &w.pk, w.tree.root(), req, p).unwrap();
        assert_eq!(got.as_ref().unwrap(), &single);
    }

    // The batch equation itself holds for valid proofs (so the results above did not come from
    // the one-by-one fallback) and fails when one public input is changed.
    let bare: Vec<_> = items
        .iter()
        .map(|(req, p)| suite::proof_and_public_inputs(&w.pk, w.tree.root(), req, p).unwrap())
        .collect();
    let refs: Vec<_> = bare.iter().map(|(p, x)| (p, x.as_slice())).collect();
    assert!(suite::verify_proof_batch(vk, &refs));
    let mut changed = bare[1].1.clone();
    changed[NUM_PUBLIC_INPUTS - 1] += Fr::one();
    let mut bad = refs.clone();
    bad[1].1 = &changed;
    assert!(!suite::verify_proof_batch(vk, &bad));
    assert!(!suite::verify_proof_batch(vk, &bad[..2]));
    bad[1].1 = &changed[..3];
    assert!(!suite::verify_proof_batch(vk, &bad));
    // A single proof with the wrong number of public inputs is refused too.
    suite::verify_proof(vk, &bare[1].1, &bare[1].0).unwrap();
    assert!(suite::verify_proof(vk, &bare[1].1[..3], &bare[1].0).is_err());
    let mut longer = bare[1].1.clone();
    longer.push(Fr::zero());
    assert!(suite::verify_proof(vk, &longer, &bare[1].0).is_err());

    // Proofs swapped between two requests (each a valid proof, of another statement), and a
    // changed disclosed value: exactly those items fail, the valid one still passes.
    let mut altered = ps[2].clone();
    altered.pseudonym = Some(fr_to_bytes(&Fr::from(5u64)).to_vec().into());
    let mut swapped0 = ps[1].clone();
    swapped0.request_hash = reqs[0].request_hash();
    swapped0.pseudonym = ps[0].pseudonym.clone();
    let items = [
        (&reqs[0], &swapped0),
        (&reqs[1], &ps[1]),
        (&reqs[2], &altered),
    ];
    let out = suite::verify_batch(vk, &w.pk, w.tree.root(), &items);
    assert!(matches!(out[0], Err(CircuitError::InvalidProof)));
    assert!(out[1].is_ok());
    assert!(matches!(out[2], Err(CircuitError::InvalidProof)));

    // A presentation that does not answer its request fails before any pairing; the others
    // are still checked as a batch.
    let wrong_hash = ps[1].clone();
    let items = [
        (&reqs[0], &ps[0]),
        (&reqs[2], &wrong_hash),
        (&reqs[2], &ps[2]),
    ];
    let out = suite::verify_batch(vk, &w.pk, w.tree.root(), &items);
    assert!(out[0].is_ok() && out[2].is_ok());
    assert!(matches!(out[1], Err(CircuitError::InvalidPresentation(_))));

    // Another revocation root makes every item fail; an empty batch is empty.
    let items: Vec<_> = reqs.iter().zip(&ps).collect();
    let out = suite::verify_batch(vk, &w.pk, Fr::one(), &items);
    assert!(out.iter().all(|r| r.is_err()));
    assert!(suite::verify_batch(vk, &w.pk, w.tree.root(), &[]).is_empty());
}

/// Key files: a corrupt file is an error that names it and is left as it is (never regenerated
/// over); the checksum covers the setup's provenance; development keys are recognised and are
/// no ceremony keys.
#[test]
fn key_files_are_never_silently_replaced() {
    let keys = keys();
    assert!(keys.verifier().is_development());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../target/netid-test-keyfiles-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = keys.to_bytes().unwrap();

    // The cache file of this seed, corrupted in its body.
    let cached =
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| std::fs::read(p).map(|b| b == good).unwrap_or(false))
            .expect("the cached development key file");
    let name = cached.file_name().unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(dir.join(name), &bad).unwrap();
    let e = ProvingKeys::load_or_dev_setup(&dir, DEV_SEED)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&name.to_string_lossy().to_string()), "{e}");
    assert!(e.contains("checksum"), "{e}");
    // The verifier-only load (what the issuer uses) checks the same checksum, although the
    // corrupted byte lies in the proving key it does not decode.
    let e = ProvingKeys::load_or_dev_setup_verifier(&dir, DEV_SEED)
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum"), "{e}");
    assert_eq!(
        std::fs::read(dir.join(name)).unwrap(),
        bad,
        "left untouched"
    );
    // Intact, it reads the same verifying key as the full load.
    std::fs::write(dir.join(name), &good).unwrap();
    let v = ProvingKeys::load_or_dev_setup_verifier(&dir, DEV_SEED).unwrap();
    assert_eq!(v.to_bytes().unwrap(), keys.verifier().to_bytes().unwrap());
    std::fs::remove_file(dir.join(name)).unwrap();

    // Relabelling development keys as a ceremony's breaks the checksum.
    let mut relabelled = good.clone();
    relabelled[41] = 2;
    assert!(ProvingKeys::from_bytes(&relabelled).is_err());
    // A development key file is not accepted where ceremony keys are expected.
    std::fs::write(dir.join("presentation.key"), &good).unwrap();
    let e = ProvingKeys::load_ceremony(&dir).unwrap_err().to_string();
    assert!(e.contains("development"), "{e}");
    let e = ProvingKeys::load_ceremony_verifier(&dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("development"), "{e}");
    // Missing ceremony keys: an error naming the file.
    std::fs::remove_file(dir.join("presentation.key")).unwrap();
    let e = ProvingKeys::load_ceremony(&dir).unwrap_err().to_string();
    assert!(e.contains("presentation.key"), "{e}");
    // Saving never overwrites.
    std::fs::write(dir.join("x.key"), b"keep").unwrap();
    assert!(keys.save(&dir.join("x.key")).is_err());
    assert_eq!(std::fs::read(dir.join("x.key")).unwrap(), b"keep");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A modified wallet that skips the native check ([`netid_circuits::dev::prove_unchecked`]) with
/// a copied credential and its own secret gets a proof, and no verifier accepts it.
#[test]
fn a_modified_prover_without_the_wallet_secret_makes_only_invalid_proofs() {
    let w = world();
    let req = adult_request("shop.example", w.today, [5; 32]);
    let thief = netid_core::HolderSecret::from_random(&[0x7f; 32]).unwrap();
    let p = prove_with_secret(&w, &req, &thief, false).unwrap();
    assert!(matches!(
        suite::verify(keys().verifier(), &w.pk, w.tree.root(), &req, &p),
        Err(CircuitError::InvalidProof)
    ));
    // The same prover with the right secret makes an accepted proof.
    let p = prove_with_secret(&w, &req, &sample_secret(), false).unwrap();
    suite::verify(keys().verifier(), &w.pk, w.tree.root(), &req, &p).unwrap();
}
