//! The verifier end to end with real proofs of both suites: honest presentations accepted;
//! replayed, expired, unknown, other-app, tampered and revoked ones rejected.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ed25519_dalek::SigningKey;
use netid_core::{Attribute, DisclosedValue, Suite};
use netid_verifier::store::connect_redis;
use netid_verifier::{
    MemoryReplayCache, RedisReplayCache, RedisRequestStore, RequestStatus, Verifier, VerifierError,
    VerifyLimits, MAX_REJECTIONS,
};

#[tokio::test]
async fn bbs_both_suites_accept_honest_and_reject_replay() {
    let w = world();
    let v = verifier(w, Arc::new(MemoryReplayCache::new()));
    for (i, suite) in [(0, Suite::BbsSha256), (1, Suite::BbsShake256)] {
        // The app's pseudonyms are in the suite under test.
        let shop = app_in(&w.registry, "shop.example", 2, suite);
        let req = request(&shop, &[suite]);
        let id = v.register(&req, NOW).await.unwrap();
        assert_eq!(status(&v, &id, NOW).await, Some(RequestStatus::Pending));
        let p = bbs_present(w, i, &req);
        let claims = v.verify(&req, &p, NOW + 1).await.unwrap();
        assert_eq!(claims.app_id, "shop.example");
        assert_eq!(claims.suite, suite);
        assert_eq!(claims.age_at_least, Some(18));
        assert!(claims.not_expired);
        assert_eq!(
            claims.disclosed.get(Attribute::GivenName),
            Some(&DisclosedValue::Text("丽".into()))
        );
        assert_eq!(claims.pseudonym.as_ref().unwrap().as_bytes().len(), 48);
        assert!(matches!(
            status(&v, &id, NOW + 2).await,
            Some(RequestStatus::Verified { .. })
        ));
        // Replays, through either entry point.
        assert!(matches!(
            v.verify(&req, &p, NOW + 2).await,
            Err(VerifierError::Replayed)
        ));
        assert!(matches!(
            v.receive(&p, NOW + 2).await,
            Err(VerifierError::Replayed)
        ));
        // Nothing identifying in the claims' JSON.
        let json = serde_json::to_string(&claims).unwrap();
        assert!(
            !json.contains("NID7Q2KX9M4") && !json.contains("1990"),
            "{json}"
        );
    }
}

#[tokio::test]
async fn pseudonyms_repeat_within_an_app_and_differ_across_apps() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let game = app(&w.registry, "game.example", 3);
    let v = verifier(w, Arc::new(MemoryReplayCache::new()));
    let mut nyms = Vec::new();
    for a in [&shop, &shop, &game] {
        let req = request(a, &[Suite::BbsSha256]);
        v.register(&req, NOW).await.unwrap();
        let p = bbs_present(w, 0, &req);
        nyms.push(v.receive(&p, NOW).await.unwrap().pseudonym.unwrap());
    }
    assert_eq!(nyms[0], nyms[1]);
    assert_ne!(nyms[0], nyms[2]);
}

#[tokio::test]
async fn rejects_expired_unknown_other_app_and_tampered() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let game = app(&w.registry, "game.example", 3);
    let v = verifier(w, Arc::new(MemoryReplayCache::new()));

    // Expired: a one-minute request answered after 61 s.
    let req = shop
        .request(today())
        .age_at_least(18)
        .suites(&[Suite::BbsSha256])
        .ttl(Duration::from_secs(60))
        .build(NOW)
        .unwrap();
    let id = v.register(&req, NOW).await.unwrap();
    let p = bbs_present(w, 0, &req);
    assert!(matches!(
        v.verify(&req, &p, NOW + 61).await,
        Err(VerifierError::Expired)
    ));
    assert_eq!(
        status(&v, &id, NOW + 61).await,
        Some(RequestStatus::Expired)
    );

    // Unknown: a validly signed request this verifier never registered.
    let req = request(&shop, &[Suite::BbsSha256]);
    let p = bbs_present(w, 0, &req);
    assert!(matches!(
        v.verify(&req, &p, NOW).await,
        Err(VerifierError::UnknownRequest)
    ));
    assert!(matches!(
        v.receive(&p, NOW).await,
        Err(VerifierError::UnknownRequest)
    ));

    // Another app's presentation relayed to the shop's request.
    let shop_req = request(&shop, &[Suite::BbsSha256]);
    v.register(&shop_req, NOW).await.unwrap();
    let game_req = request(&game, &[Suite::BbsSha256]);
    let game_p = bbs_present(w, 0, &game_req);
    assert!(matches!(
        v.verify(&shop_req, &game_p, NOW).await,
        Err(VerifierError::Rejected)
    ));

    // Tampered proof bytes and altered disclosed value.
    let honest = bbs_present(w, 0, &shop_req);
    for i in [1, 60, honest.proof.len() - 1] {
        let mut p = honest.clone();
        let mut bytes = p.proof.as_slice().to_vec();
        bytes[i] ^= 1;
        p.proof = bytes.into();
        assert!(matches!(
            v.verify(&shop_req, &p, NOW).await,
            Err(VerifierError::Rejected)
        ));
    }
    let mut p = honest.clone();
    let mut disclosed = netid_core::DisclosedAttributes::new();
    disclosed
        .insert(Attribute::GivenName, DisclosedValue::Text("伟".into()))
        .unwrap();
    p.disclosed = disclosed;
    assert!(matches!(
        v.verify(&shop_req, &p, NOW).await,
        Err(VerifierError::Rejected)
    ));
    // A wrong suite claimed.
    let mut p = honest.clone();
    p.suite = Suite::Groth16;
    assert!(matches!(
        v.verify(&shop_req, &p, NOW).await,
        Err(VerifierError::Rejected)
    ));
    // The failed attempts did not burn the nonce: the honest presentation still verifies.
    v.verify(&shop_req, &honest, NOW).await.unwrap();
}

/// A request id is public (QR code): after MAX_REJECTIONS rejected presentations the request is
/// closed and nothing more is verified for it.
#[tokio::test]
async fn a_request_closes_after_max_rejections() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = verifier(w, Arc::new(MemoryReplayCache::new()));
    let req = request(&shop, &[Suite::BbsSha256]);
    let id = v.register(&req, NOW).await.unwrap();
    let honest = bbs_present(w, 0, &req);
    let mut bad = honest.clone();
    let mut bytes = bad.proof.as_slice().to_vec();
    bytes[1] ^= 1;
    bad.proof = bytes.into();
    for _ in 0..MAX_REJECTIONS {
        assert!(matches!(
            v.receive(&bad, NOW).await,
            Err(VerifierError::Rejected)
        ));
    }
    assert_eq!(
        status(&v, &id, NOW).await,
        Some(RequestStatus::Rejected {
            attempts: MAX_REJECTIONS
        })
    );
    // Closed: even the honest presentation is refused, through both entry points.
    assert!(matches!(
        v.receive(&honest, NOW).await,
        Err(VerifierError::Closed)
    ));
    assert!(matches!(
        v.verify(&req, &honest, NOW).await,
        Err(VerifierError::Closed)
    ));
    // Other requests of the same app are not affected.
    let req2 = request(&shop, &[Suite::BbsSha256]);
    v.register(&req2, NOW).await.unwrap();
    v.receive(&bbs_present(w, 0, &req2), NOW).await.unwrap();
}

/// A verifier with one verification slot and `queued` waiting, and `n` registered requests
/// with an honest presentation for each.
async fn limited_with_requests(
    queued: usize,
    n: usize,
) -> (
    Verifier,
    Vec<netid_core::PresentationRequest>,
    Vec<netid_core::Presentation>,
) {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = verifier(w, Arc::new(MemoryReplayCache::new())).with_verify_limits(VerifyLimits {
        concurrent: 1,
        queued,
    });
    let reqs: Vec<_> = (0..n)
        .map(|_| request(&shop, &[Suite::BbsSha256]))
        .collect();
    let mut ps = Vec::new();
    for r in &reqs {
        v.register(r, NOW).await.unwrap();
        ps.push(bbs_present(w, 0, r));
    }
    (v, reqs, ps)
}

/// At most `concurrent` verifications run and `queued` wait; one more is refused at once with
/// Busy, unverified and uncounted, and succeeds when retried. (The presentations race: on a
/// loaded machine the thread can be preempted long enough for a verification to end before the
/// next one asks for a slot, so each case is tried a few times and must show the refusal at
/// least once, and never more refusals than the limits allow.)
#[tokio::test]
async fn verification_slots_and_queue_are_bounded() {
    let mut refused = false;
    for _ in 0..5 {
        let (v, reqs, ps) = limited_with_requests(1, 3).await;
        // One takes the slot, one waits, the third finds the queue full.
        let (a, b, c) = tokio::join!(
            v.receive(&ps[0], NOW),
            v.receive(&ps[1], NOW),
            v.receive(&ps[2], NOW)
        );
        let results = [a, b, c];
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(VerifierError::Busy)))
            .count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok + busy, 3, "{results:?}");
        assert!(busy <= 1, "{results:?}");
        for ((r, p), req) in results.iter().zip(&ps).zip(&reqs) {
            if r.is_err() {
                assert_eq!(
                    status(&v, &netid_verifier::request_id(req), NOW).await,
                    Some(RequestStatus::Pending)
                );
                v.receive(p, NOW).await.unwrap();
            }
        }
        if busy == 1 {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "a third presentation was never refused with one slot and one queued"
    );
    // Without a queue, a second verification at the same time is refused.
    let mut refused = false;
    for _ in 0..5 {
        let (v, _, ps) = limited_with_requests(0, 2).await;
        let (a, b) = tokio::join!(v.receive(&ps[0], NOW), v.receive(&ps[1], NOW));
        assert!(a.is_ok() || b.is_ok(), "{a:?} {b:?}");
        if matches!(
            (&a, &b),
            (Ok(_), Err(VerifierError::Busy)) | (Err(VerifierError::Busy), Ok(_))
        ) {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "a second presentation was never refused without a queue"
    );
}

/// A presentation naming a request that already took a rejected one never waits for a slot:
/// while a first attempt is being verified it is refused as busy at once (with a queue that
/// would have let it wait), and it is verified once the slot is idle.
#[tokio::test]
async fn repeated_attempts_use_idle_slots_only() {
    let mut refused = false;
    for _ in 0..5 {
        let (v, _, ps) = limited_with_requests(4, 2).await;
        // Someone who saw request 0's QR code sends a corrupted proof: rejected, counted.
        let mut bad = ps[0].clone();
        let mut proof = bad.proof.as_slice().to_vec();
        proof[40] ^= 1;
        bad.proof = proof.into();
        assert!(matches!(
            v.receive(&bad, NOW).await,
            Err(VerifierError::Rejected)
        ));
        // A first attempt on request 1 takes the slot; the repeat on request 0 does not queue.
        let (a, b) = tokio::join!(v.receive(&ps[1], NOW), v.receive(&ps[0], NOW));
        a.unwrap();
        match b {
            Err(VerifierError::Busy) => {
                refused = true;
                // Idle now: verified.
                v.receive(&ps[0], NOW).await.unwrap();
                break;
            }
            other => {
                other.unwrap();
            }
        }
    }
    assert!(
        refused,
        "a repeated attempt waited in the queue behind a first attempt"
    );
}

#[tokio::test]
async fn register_refuses_unregistered_apps_and_bad_metadata_is_refused() {
    let w = world();
    let v = verifier(w, Arc::new(MemoryReplayCache::new()));
    let rogue = app(&SigningKey::from_bytes(&[66; 32]), "shop.example", 2);
    let req = request(&rogue, &[Suite::BbsSha256]);
    assert!(matches!(
        v.register(&req, NOW).await,
        Err(VerifierError::InvalidApp(_))
    ));
    let mut md = metadata(w, &w.tree);
    let mut k = md.bbs_sha256_public_key.as_slice().to_vec();
    k[5] ^= 0xff;
    md.bbs_sha256_public_key = k.into();
    assert!(matches!(
        Verifier::with_policy(
            md.clone(),
            Arc::new(MemoryReplayCache::new()),
            netid_verifier::KeyPolicy::development(),
        ),
        Err(VerifierError::InvalidMetadata(_))
    ));
    // A bad update keeps the old metadata.
    assert!(v.update_metadata(md).is_err());
    assert_eq!(v.keys().metadata().issuer_id, "test-issuer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groth16_honest_replay_tampered_revoked_with_redis() {
    let w = world();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut r = [0u8; 8];
    rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut r);
    let prefix = format!("netid:test:verify:{}:", hex::encode(r));
    // Two replicas sharing one Redis; each knows the request.
    let a = Arc::new(verifier(
        w,
        Arc::new(RedisReplayCache::connect(&url, &prefix).await.unwrap()),
    ));
    let b = Arc::new(verifier(
        w,
        Arc::new(RedisReplayCache::connect(&url, &prefix).await.unwrap()),
    ));
    let shop = app_in(&w.registry, "shop.example", 2, Suite::Groth16);
    let req = request(&shop, &[Suite::Groth16]);
    a.register(&req, NOW).await.unwrap();
    b.register(&req, NOW).await.unwrap();
    let p = g16_present(w, &req);

    let mut t = p.clone();
    let mut bytes = t.proof.as_slice().to_vec();
    bytes[10] ^= 1;
    t.proof = bytes.into();
    assert!(matches!(
        a.verify(&req, &t, NOW).await,
        Err(VerifierError::Rejected)
    ));

    // Both replicas receive the same presentation at once: exactly one accepts.
    let (ra, rb) = tokio::join!(a.receive(&p, NOW), b.receive(&p, NOW));
    let oks = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks, 1, "{ra:?} {rb:?}");
    let claims = ra.or(rb).unwrap();
    assert_eq!(claims.suite, Suite::Groth16);
    assert_eq!(claims.pseudonym.unwrap().as_bytes().len(), 32);
    assert!(matches!(
        a.verify(&req, &p, NOW).await,
        Err(VerifierError::Replayed)
    ));

    // Revoked after the proof was made: the issuer's new root refuses it.
    let req2 = request(&shop, &[Suite::Groth16]);
    a.register(&req2, NOW).await.unwrap();
    let p2 = g16_present(w, &req2);
    let mut tree = w.tree.clone();
    tree.revoke(w.attrs.rev_index.into()).unwrap();
    a.update_metadata(metadata(w, &tree)).unwrap();
    assert!(matches!(
        a.verify(&req2, &p2, NOW).await,
        Err(VerifierError::Rejected)
    ));
}

/// Two replicas on one Redis (requests, results and the replay cache in it).
async fn redis_replica(w: &World, url: &str, prefix: &str) -> Verifier {
    let conn = connect_redis(url).await.unwrap();
    verifier(
        w,
        Arc::new(RedisReplayCache::from_connection(
            conn.clone(),
            &format!("{prefix}nonce:"),
        )),
    )
    .with_request_store(Arc::new(RedisRequestStore::from_connection(
        conn,
        &format!("{prefix}request:"),
    )))
}

fn unique_prefix(test: &str) -> String {
    let mut r = [0u8; 8];
    rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut r);
    format!("netid:test:{test}:{}:", hex::encode(r))
}

/// A request registered on replica A only is answered on B and its result read on A; rejections
/// sent to either replica count towards one cap.
#[tokio::test]
async fn replicas_share_requests_results_and_rejections_through_redis() {
    let w = world();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = unique_prefix("replicas");
    let (a, b) = (
        redis_replica(w, &url, &prefix).await,
        redis_replica(w, &url, &prefix).await,
    );
    let shop = app(&w.registry, "shop.example", 2);
    let req = request(&shop, &[Suite::BbsSha256]);
    let id = a.register(&req, NOW).await.unwrap();
    assert_eq!(b.request(&id).await.unwrap(), Some(req.clone()));
    let honest = bbs_present(w, 0, &req);
    let mut bad = honest.clone();
    let mut bytes = bad.proof.as_slice().to_vec();
    bytes[1] ^= 1;
    bad.proof = bytes.into();
    assert!(matches!(
        b.receive(&bad, NOW).await,
        Err(VerifierError::Rejected)
    ));
    assert_eq!(
        status(&a, &id, NOW).await,
        Some(RequestStatus::Rejected { attempts: 1 })
    );
    let claims = b.receive(&honest, NOW).await.unwrap();
    match status(&a, &id, NOW).await {
        Some(RequestStatus::Verified { claims: c }) => assert_eq!(c, claims),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        a.receive(&honest, NOW).await,
        Err(VerifierError::Replayed)
    ));
    // The cap on rejected presentations holds across replicas.
    let req2 = request(&shop, &[Suite::BbsSha256]);
    b.register(&req2, NOW).await.unwrap();
    let honest2 = bbs_present(w, 0, &req2);
    let mut bad2 = honest2.clone();
    let mut bytes = bad2.proof.as_slice().to_vec();
    bytes[1] ^= 1;
    bad2.proof = bytes.into();
    for i in 0..MAX_REJECTIONS {
        let replica = if i % 2 == 0 { &a } else { &b };
        assert!(matches!(
            replica.receive(&bad2, NOW).await,
            Err(VerifierError::Rejected)
        ));
    }
    assert!(matches!(
        a.receive(&honest2, NOW).await,
        Err(VerifierError::Closed)
    ));
    // A replica on its own (in-memory) store does not know the others' requests.
    let lone = verifier(w, Arc::new(MemoryReplayCache::new()));
    assert!(matches!(
        lone.receive(&honest2, NOW).await,
        Err(VerifierError::UnknownRequest)
    ));
}
