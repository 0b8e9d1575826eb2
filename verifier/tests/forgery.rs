//! Why development Groth16 keys must never verify in a deployment: from the development
//! trapdoor (recomputed from the public seed) anyone forges "over 18" for a child. A verifier
//! that accepts development keys accepts the forgery; the default verifier refuses it, as it
//! refuses metadata that passes the development key off as a ceremony's.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use netid_circuits::dev::forge_proof;
use netid_circuits::keys::{development_trapdoor, DEV_SEED};
use netid_circuits::presentation::{app_id_to_field, fr_to_bytes, pseudonym, PublicInputs};
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::{Date, Groth16Setup, Presentation, Suite, FORMAT_VERSION};
use netid_verifier::{KeyPolicy, MemoryReplayCache, Verifier, VerifierError};

fn forged_over_18_for_a_child(req: &netid_core::PresentationRequest) -> Presentation {
    let w = world();
    let mut child = w.attrs.clone();
    child.birthdate = Date::from_ymd(2015, 6, 1).unwrap();
    // The honest prover cannot: the statement is false.
    let sig = g16::sign_credential(&w.g16_sk, &child).unwrap();
    let path = w.tree.path(child.rev_index.into()).unwrap();
    assert!(g16::prove(
        groth16_keys(),
        &w.g16_sk.public_key(),
        w.tree.root(),
        HolderCredential {
            attributes: &child,
            signature: &sig,
            path: &path,
            secret: &netid_circuits::dev::sample_secret(),
        },
        req,
        &mut rand_core_06::OsRng,
    )
    .is_err());
    // The forger needs no signature, no witness: only the public trapdoor.
    let disclosed = child.disclose(req.statements.disclose).unwrap();
    let nym = pseudonym(ark_bn254::Fr::from(77u64), app_id_to_field(&req.app_id));
    let public = PublicInputs::for_request(
        req,
        &disclosed,
        Some(nym),
        &w.g16_sk.public_key(),
        w.tree.root(),
    )
    .unwrap()
    .to_field_elements();
    let proof = forge_proof(
        groth16_keys().verifier().vk(),
        &development_trapdoor(DEV_SEED),
        &public,
        &mut rand_core_06::OsRng,
    )
    .unwrap();
    Presentation {
        version: FORMAT_VERSION,
        suite: Suite::Groth16,
        request_hash: req.request_hash(),
        disclosed,
        pseudonym: Some(fr_to_bytes(&nym).to_vec().into()),
        proof: g16::proof_to_bytes(&proof).unwrap().into(),
        epoch: None,
    }
}

#[tokio::test]
async fn forged_proof_passes_only_where_development_keys_are_accepted() {
    let w = world();
    // Pseudonyms in Groth16, so that the forged presentation carries one.
    let shop = app_in(&w.registry, "shop.example", 7, Suite::Groth16);
    assert!(groth16_keys().verifier().is_development());

    // A verifier that accepts development keys (a demo) is fooled: a child is "over 18".
    let lax = Verifier::with_policy(
        metadata(w, &w.tree),
        Arc::new(MemoryReplayCache::new()),
        KeyPolicy::development(),
    )
    .unwrap();
    let req = request(&shop, &[Suite::Groth16]);
    lax.register(&req, NOW).await.unwrap();
    let forged = forged_over_18_for_a_child(&req);
    let claims = lax.verify(&req, &forged, NOW).await.unwrap();
    assert_eq!(claims.age_at_least, Some(18));

    // The default verifier does not accept the development key at all.
    let strict = Verifier::new(metadata(w, &w.tree), Arc::new(MemoryReplayCache::new())).unwrap();
    assert!(!strict.keys().accepts_groth16());
    assert!(strict
        .keys()
        .groth16_refused()
        .unwrap()
        .contains("--accept-dev-keys"));
    let req = request(&shop, &[Suite::Groth16]);
    strict.register(&req, NOW).await.unwrap();
    let forged = forged_over_18_for_a_child(&req);
    assert!(matches!(
        strict.verify(&req, &forged, NOW).await,
        Err(VerifierError::Rejected)
    ));
    // Honest Groth16 presentations are refused there too: the suite is off, not half-trusted.
    let honest = g16_present(w, &req);
    assert!(matches!(
        strict.verify(&req, &honest, NOW).await,
        Err(VerifierError::Rejected)
    ));
    // BBS keeps working.
    let req = request(&shop, &[Suite::BbsSha256]);
    strict.register(&req, NOW).await.unwrap();
    strict
        .verify(&req, &bbs_present(w, 0, &req), NOW)
        .await
        .unwrap();
}

#[test]
fn metadata_that_calls_the_development_key_a_ceremony_key_is_refused() {
    let w = world();
    let mut md = metadata(w, &w.tree);
    md.groth16_setup = Groth16Setup::Ceremony;
    for policy in [KeyPolicy::default(), KeyPolicy::development()] {
        assert!(matches!(
            Verifier::with_policy(md.clone(), Arc::new(MemoryReplayCache::new()), policy),
            Err(VerifierError::InvalidMetadata(_))
        ));
    }
}

#[test]
fn the_groth16_key_is_pinned() {
    let w = world();
    let v = Verifier::with_policy(
        metadata(w, &w.tree),
        Arc::new(MemoryReplayCache::new()),
        KeyPolicy::development(),
    )
    .unwrap();
    let pinned = v.keys().groth16_fingerprint().unwrap();
    assert_eq!(
        pinned,
        groth16_keys().verifier().fingerprint().unwrap(),
        "the key seen first is pinned"
    );
    // Later metadata with another verifying key (here: one of another development seed) is
    // refused and the pinned one stays.
    let other = netid_circuits::keys::ProvingKeys::dev_setup(b"another seed").unwrap();
    let mut md = metadata(w, &w.tree);
    md.groth16_verifying_key = other.verifier().to_bytes().unwrap().into();
    assert!(matches!(
        v.update_metadata(md.clone()),
        Err(VerifierError::InvalidMetadata(_))
    ));
    assert_eq!(v.keys().groth16_fingerprint(), Some(pinned));
    // Dropping the suite is a change of keys too.
    assert!(v.update_metadata(none_metadata(w)).is_err());
    // Same key, new revocation root: adopted.
    let mut tree = w.tree.clone();
    tree.revoke(9).unwrap();
    v.update_metadata(metadata(w, &tree)).unwrap();
    assert_eq!(
        v.keys().metadata().revocation_root,
        metadata(w, &tree).revocation_root
    );
    // A verifier that started while the issuer offered no Groth16 pins the first key it adopts
    // later, and refuses a change after that.
    let v = Verifier::with_policy(
        none_metadata(w),
        Arc::new(MemoryReplayCache::new()),
        KeyPolicy::development(),
    )
    .unwrap();
    assert!(!v.keys().accepts_groth16());
    v.update_metadata(metadata(w, &w.tree)).unwrap();
    assert_eq!(v.keys().groth16_fingerprint(), Some(pinned));
    assert!(v.update_metadata(md).is_err());
    assert!(v.update_metadata(none_metadata(w)).is_err());
    assert_eq!(v.keys().groth16_fingerprint(), Some(pinned));

    // An explicit pin refuses any other key from the start, and an issuer without one.
    let policy = KeyPolicy {
        accept_dev_keys: true,
        groth16_vk_pin: Some([0; 32]),
    };
    assert!(matches!(
        Verifier::with_policy(
            metadata(w, &w.tree),
            Arc::new(MemoryReplayCache::new()),
            policy
        ),
        Err(VerifierError::InvalidMetadata(_))
    ));
    let policy = KeyPolicy {
        accept_dev_keys: true,
        groth16_vk_pin: Some(pinned),
    };
    assert!(Verifier::with_policy(
        metadata(w, &w.tree),
        Arc::new(MemoryReplayCache::new()),
        policy
    )
    .is_ok());
    assert!(matches!(
        Verifier::with_policy(none_metadata(w), Arc::new(MemoryReplayCache::new()), policy),
        Err(VerifierError::InvalidMetadata(_))
    ));
}

/// The test world's metadata from an issuer that offers no Groth16 suite.
fn none_metadata(w: &World) -> netid_core::IssuerMetadata {
    let mut none = metadata(w, &w.tree);
    none.groth16_setup = Groth16Setup::None;
    none.groth16_verifying_key = Vec::new().into();
    none
}
