//! The issuer service through `router().oneshot(..)` and through a real listening server: bad
//! inputs, issuance for both suites and revocation, minors and guardians, concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use netid_core::{Attribute, IssuerMetadata, Suite};
use netid_issuer::api::{GuardianProof, RefreshRequest, RevocationBucket};
use netid_issuer::clock::{today, Clock, ManualClock, SystemClock};
use netid_issuer::minors::GuardianRelation;
use netid_issuer::service::router;
use netid_issuer::storage::{CredentialStatus, Storage};
use netid_verifier::{MemoryReplayCache, Verifier};
use serde_json::json;
use tower::ServiceExt as _;

fn now() -> i64 {
    SystemClock.now_unix()
}

#[tokio::test]
async fn bad_inputs_get_clear_4xx_errors() {
    let (db, _dir) = sqlite_url();
    let clock = Arc::new(ManualClock::new(now()));
    let (state, sender) = issuer(&db, Some(clock.clone())).await;
    let app = router(state);
    let dev = device(1);
    let alice = card("丽", born(30), 1);

    let expect = |got: (StatusCode, serde_json::Value), status: StatusCode, code: &str| {
        assert_eq!(got.0, status, "{}", got.1);
        assert_eq!(got.1["error"], code, "{}", got.1);
        assert!(!got.1["message"].as_str().unwrap().is_empty());
    };

    // Malformed JSON, unknown fields, wrong content type, too large, unknown route.
    expect(
        call(&app, "POST", "/v1/enrolments", Some("{not json"), false).await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    expect(
        call(
            &app,
            "POST",
            "/v1/phone/challenges",
            Some(r#"{"phone":"+8613800000000","x":1}"#),
            false,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    let big = format!(r#"{{"phone":"{}"}}"#, "1".repeat(300 * 1024));
    expect(
        call(&app, "POST", "/v1/phone/challenges", Some(&big), false).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );
    expect(
        call(&app, "GET", "/v1/nothing", None, false).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    expect(
        call(
            &app,
            "POST",
            "/v1/phone/challenges",
            Some(r#"{"phone":"12345"}"#),
            false,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_phone_number",
    );
    // A JSON array is not the documented object, even with the fields in order.
    expect(
        call(
            &app,
            "POST",
            "/v1/phone/challenges",
            Some(r#"["+8613800000000"]"#),
            false,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );

    // A card whose ID number has a wrong check character (re-signed, so only the number is bad).
    let mut contents = alice.card.clone();
    let mut id = contents.id_number.clone();
    let last = id.pop().unwrap();
    id.push(if last == '0' { '1' } else { '0' });
    contents.id_number = id;
    let bad_id = netid_issuer::server::dev_card_authority().sign(contents);
    let r = enrol(&app, &sender, &bad_id, &dev, &phone(1), &[], None).await;
    expect(
        r.clone(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_id_number",
    );
    assert!(
        r.1["message"].as_str().unwrap().contains("check"),
        "{}",
        r.1
    );

    // Card signature invalid.
    let mut forged = alice.clone();
    forged.card.name.given = "伟".into();
    expect(
        enrol(&app, &sender, &forged, &dev, &phone(2), &[], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "card_signature",
    );

    // Face score below the threshold.
    let (cid, code) = challenge(&app, &sender, &phone(3)).await;
    let mut req = enrol_request(&alice, &dev, &cid, &code, &[], None);
    req.face.score = Some(0.2);
    expect(
        call(
            &app,
            "POST",
            "/v1/enrolments",
            Some(&serde_json::to_string(&req).unwrap()),
            false,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "face_mismatch",
    );

    // Wrong code, then the right one, then reusing it.
    let (cid, code) = challenge(&app, &sender, &phone(4)).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let req = enrol_request(&alice, &dev, &cid, wrong, &[Suite::BbsSha256], None);
    expect(
        call(
            &app,
            "POST",
            "/v1/enrolments",
            Some(&serde_json::to_string(&req).unwrap()),
            false,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "phone_code_wrong",
    );
    let req = enrol_request(&alice, &dev, &cid, &code, &[Suite::BbsSha256], None);
    let body = serde_json::to_string(&req).unwrap();
    let ok = call(&app, "POST", "/v1/enrolments", Some(&body), false).await;
    assert_eq!(ok.0, StatusCode::CREATED, "{}", ok.1);
    expect(
        call(&app, "POST", "/v1/enrolments", Some(&body), false).await,
        StatusCode::CONFLICT,
        "phone_code_reused",
    );

    // Expired code.
    let (cid, code) = challenge(&app, &sender, &phone(5)).await;
    clock.advance(3600);
    let req = enrol_request(&alice, &dev, &cid, &code, &[Suite::BbsSha256], None);
    expect(
        call(
            &app,
            "POST",
            "/v1/enrolments",
            Some(&serde_json::to_string(&req).unwrap()),
            false,
        )
        .await,
        StatusCode::GONE,
        "phone_code_expired",
    );

    // A ten-year-old enrolling alone.
    let child = card("小明", born(10), 3);
    expect(
        enrol(&app, &sender, &child, &device(2), &phone(6), &[], None).await,
        StatusCode::FORBIDDEN,
        "minor_needs_guardian",
    );

    // A device signature that does not verify.
    let (cid, code) = challenge(&app, &sender, &phone(7)).await;
    let mut req = enrol_request(&alice, &dev, &cid, &code, &[], None);
    req.device_signature[0] ^= 1;
    expect(
        call(
            &app,
            "POST",
            "/v1/enrolments",
            Some(&serde_json::to_string(&req).unwrap()),
            false,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );

    // The holder binding: the device signature covers it; each BBS suite needs one verifying
    // commitment to one message; the binding is a canonical BN254 element. Each refused with
    // 422 before the phone code is consumed (the same challenge serves every case).
    let (cid, code) = challenge(&app, &sender, &phone(8)).await;
    let base = enrol_request(&alice, &dev, &cid, &code, &[], None);
    let resign = |mut r: netid_issuer::api::EnrolRequest| {
        let id = netid_issuer::evidence::ChallengeId::parse(&cid).unwrap();
        r.device_signature = ed25519_dalek::Signer::sign(
            &dev,
            &netid_issuer::api::enrol_pop_message(
                id.as_bytes(),
                &r.device_key,
                &r.binding,
                &r.commitments,
            ),
        )
        .to_bytes();
        r
    };
    let mut swapped = base.clone();
    swapped.binding[31] ^= 1; // someone in the path swaps the binding: the signature fails
    let mut missing = base.clone();
    missing.commitments.pop();
    let mut bad_proof = base.clone();
    bad_proof.commitments[0].commitment[100] ^= 1;
    let mut twice = base.clone();
    twice.commitments[1] = twice.commitments[0].clone();
    let mut for_groth16 = base.clone();
    for_groth16.commitments[1].suite = Suite::Groth16;
    let mut not_canonical = base.clone();
    not_canonical.binding = netid_core::BN254_ORDER_BE;
    for (req, why) in [
        (swapped, "device_signature"),
        (resign(missing), "needs a commitment"),
        (resign(bad_proof), "does not verify"),
        (resign(twice), "two commitments"),
        (resign(for_groth16), "BBS suites only"),
        (resign(not_canonical), "canonical"),
    ] {
        let got = call(
            &app,
            "POST",
            "/v1/enrolments",
            Some(&serde_json::to_string(&req).unwrap()),
            false,
        )
        .await;
        assert!(
            got.1["message"].as_str().unwrap().contains(why),
            "{why}: {}",
            got.1
        );
        expect(got, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    // The code was not consumed: the untouched request enrols.
    let (s, v) = call(
        &app,
        "POST",
        "/v1/enrolments",
        Some(&serde_json::to_string(&base).unwrap()),
        false,
    )
    .await;
    assert!(s.is_success(), "{v}");

    // A refresh timestamp is the client's: any i64, far from the clock, is refused without
    // overflowing the skew check (schemathesis found the panic).
    let zeros = |n: usize| netid_core::b64::encode(vec![0u8; n]);
    for timestamp in [i64::MIN + 1, i64::MAX] {
        let body = serde_json::json!({
            "netid": "7Q2KX9M4ABCD5", "device_key": zeros(32), "timestamp": timestamp,
            "device_signature": zeros(64), "binding": zeros(32),
        });
        expect(
            call(
                &app,
                "POST",
                "/v1/credentials",
                Some(&body.to_string()),
                false,
            )
            .await,
            StatusCode::FORBIDDEN,
            "not_allowed",
        );
    }

    // Admin routes: no token, wrong token.
    expect(
        call(&app, "GET", "/v1/admin/apps", None, false).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let (s, v) = call(&app, "GET", "/v1/admin/apps", None, true).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Revocation buckets and digits: bad parameters.
    for (path, status, code) in [
        (
            "/v1/revocation/epochs/-1/buckets/0",
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/v1/revocation/epochs/0/buckets/65536",
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/v1/revocation/epochs/0/buckets/x",
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/v1/revocation/epochs/18446744073709551616/buckets/0",
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        // An epoch that has not begun has no bucket yet.
        (
            "/v1/revocation/epochs/9999/buckets/0",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // Paths by slot are gone: a wallet never names its slot (specs/revocation.md §8).
        ("/v1/revocation/paths/0", StatusCode::NOT_FOUND, "not_found"),
        // Digit signatures of an epoch: only the current and the grace epochs have them.
        (
            "/v1/bbs/bbs-sha256/epochs/x/digits",
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/v1/bbs/bbs-sha256/epochs/1/digits",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/v1/bbs/groth16/epochs/0/digits",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
    ] {
        expect(call(&app, "GET", path, None, false).await, status, code);
    }
    expect(
        call(&app, "GET", "/v1/bbs/rsa/digits", None, false).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );

    // Health and the OpenAPI document.
    let (s, v) = call(&app, "GET", "/healthz", None, false).await;
    assert_eq!((s, v["text"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, doc) = call(&app, "GET", "/openapi.json", None, false).await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/v1/enrolments",
        "/v1/credentials",
        "/v1/admin/revocations",
        "/v1/guardian/approvals",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
}

/// Credentials of every suite verify, with and without pseudonyms; a revocation is logged and
/// takes effect at epoch boundaries (specs/revocation.md §2–§4): before the seal nothing moves
/// for anyone; through the grace epoch the revoked credential is still accepted under the
/// previous epoch's keys and root, as everybody else's is; from the epoch after, it is refused
/// in every suite while the other holder's Groth16 credential and refreshed BBS credentials
/// verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_credentials_verify_in_both_suites_until_revoked() {
    let (db, _dir) = sqlite_url();
    let clock = Arc::new(ManualClock::new(now()));
    let (state, sender) = issuer_with_epochs(&db, Some(clock.clone()), 60).await;
    let app = router(state.clone());
    let shop = register_app(&app, "shop.example", 9, &[Attribute::GivenName]).await;

    let (s, resp) = enrol(
        &app,
        &sender,
        &card("丽", born(30), 11),
        &device(11),
        &phone(11),
        &[],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{resp}");
    assert_eq!(resp["status"], "active");
    assert_eq!(resp["credentials"].as_array().unwrap().len(), 3);
    let netid = resp["netid"].as_str().unwrap().to_owned();

    let meta = metadata(&app).await;
    let verifier = Verifier::with_policy(
        meta.clone(),
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap();
    let n = u64::try_from(now()).unwrap();
    let day = today(now()).unwrap();
    // The registry fixed the default pseudonym suite for the shop, which named none.
    assert_eq!(
        shop.certificate().policy.pseudonym_suite,
        Some(Suite::BbsSha256)
    );
    for (k, suite) in [Suite::BbsSha256, Suite::BbsShake256, Suite::Groth16]
        .into_iter()
        .enumerate()
    {
        let cred = credential(&resp, suite);
        // Without a pseudonym, any suite; with one, an app whose certificate names the suite.
        let req = adult_request(&shop, day, n, &[suite]);
        verifier.register(&req, n).await.unwrap();
        let p = present(&app, &meta, &cred, &req).await.unwrap();
        let claims = verifier.verify(&req, &p, n).await.unwrap();
        assert_eq!(claims.suite, suite);
        assert_eq!(claims.age_at_least, Some(18));
        assert_eq!(claims.pseudonym.is_some(), suite == Suite::BbsSha256);
        let id = format!("{}.nym.example", suite.name());
        let nym_app = register_app_in(&app, &id, 20 + k as u8, &[], Some(suite)).await;
        let req = adult_request(&nym_app, day, n, &[suite]);
        assert!(req.statements.pseudonym);
        verifier.register(&req, n).await.unwrap();
        let p = present(&app, &meta, &cred, &req).await.unwrap();
        let claims = verifier.verify(&req, &p, n).await.unwrap();
        assert!(claims.pseudonym.is_some(), "{suite:?}");
    }

    // A second holder, who presents through the first one's revocation.
    let (s, bob) = enrol(
        &app,
        &sender,
        &card("强", born(40), 12),
        &device(12),
        &phone(12),
        &[],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{bob}");
    let bob_netid = bob["netid"].as_str().unwrap().to_owned();

    // Revocation by the admin: logged now, sealed at the next epoch boundary
    // (specs/revocation.md §2, §3).
    let (s, v) = call(
        &app,
        "POST",
        "/v1/admin/revocations",
        Some(&json!({ "netid": netid }).to_string()),
        true,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["revoked"], 3);
    let boundary = state.issuer().schedule().start(meta.epoch + 1);
    assert_eq!(v["epoch"], meta.epoch);
    assert_eq!(v["effective_epoch"], meta.epoch + 1);
    assert_eq!(v["effective_at"], boundary);
    // Until the boundary nothing moves, for anyone: the revoked credentials are still
    // accepted (the bound of specs/revocation.md §4), and so is everybody else's.
    clock.set(boundary - 1);
    assert_eq!(state.issuer().seal_due().await.unwrap(), None);
    let same = metadata(&app).await;
    assert_eq!(
        (same.epoch, &same.revocation_root),
        (meta.epoch, &meta.revocation_root)
    );
    for holder in [&resp, &bob] {
        for suite in [Suite::BbsSha256, Suite::BbsShake256, Suite::Groth16] {
            let req = adult_request(&shop, day, n, &[suite]);
            verifier.register(&req, n).await.unwrap();
            let p = present(&app, &meta, &credential(holder, suite), &req)
                .await
                .unwrap();
            verifier.verify(&req, &p, n).await.unwrap();
        }
    }
    // At the boundary the sealer takes the log: a new epoch, whose root holds the slot.
    clock.set(boundary);
    let sealed = state.issuer().seal_due().await.unwrap().unwrap();
    assert_eq!((sealed.epoch, sealed.sealed), (meta.epoch + 1, 1));
    assert_eq!(state.issuer().seal_due().await.unwrap(), None);
    let meta2 = metadata(&app).await;
    assert_ne!(meta2.revocation_root, meta.revocation_root);
    assert_eq!(meta2.epoch, meta.epoch + 1);
    // The grace epoch (K = 1) is the previous one, with its root and keys.
    assert_eq!(meta2.previous_epochs.len(), 1);
    assert_eq!(meta2.epoch_keys(meta.epoch), meta.epoch_keys(meta.epoch));
    verifier.update_metadata(meta2.clone()).unwrap();
    // Through the grace epoch, epoch E's keys and root are still accepted, for everyone: the
    // revoked holder too (BBS credentials of epoch E, Groth16 proofs against E's root). That
    // is the bound of specs/revocation.md §4.
    let verifies = |holder: serde_json::Value, suite: Suite, m: IssuerMetadata| {
        let (app, verifier, shop) = (app.clone(), &verifier, &shop);
        async move {
            let req = adult_request(shop, day, n, &[suite]);
            verifier.register(&req, n).await.unwrap();
            match present(&app, &m, &credential(&holder, suite), &req).await {
                Ok(p) => verifier.verify(&req, &p, n).await.is_ok(),
                // The wallet cannot even build it (a revoked slot, a stale credential).
                Err(_) => false,
            }
        }
    };
    for holder in [&resp, &bob] {
        for suite in [Suite::BbsSha256, Suite::BbsShake256] {
            assert!(
                verifies(holder.clone(), suite, meta2.clone()).await,
                "{suite:?}"
            );
        }
        assert!(verifies(holder.clone(), Suite::Groth16, meta.clone()).await);
    }
    // Under the new root the revoked slot has no path; the other holder's has.
    assert!(!verifies(resp.clone(), Suite::Groth16, meta2.clone()).await);
    assert!(verifies(bob.clone(), Suite::Groth16, meta2.clone()).await);
    // Refresh is refused for the revoked device.
    let dev = device(11);
    let refresh = refresh_request(&netid, &dev, &[], None);
    let (s, v) = call(
        &app,
        "POST",
        "/v1/credentials",
        Some(&serde_json::to_string(&refresh).unwrap()),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Presentations built while epoch E is still accepted ...
    let mut built = Vec::new();
    for holder in [&resp, &bob] {
        for (suite, m) in [
            (Suite::BbsSha256, &meta2),
            (Suite::BbsShake256, &meta2),
            (Suite::Groth16, &meta),
        ] {
            let req = adult_request(&shop, day, n, &[suite]);
            verifier.register(&req, n).await.unwrap();
            let p = present(&app, m, &credential(holder, suite), &req)
                .await
                .unwrap();
            built.push((suite, req, p));
        }
    }
    // ... are refused once the next boundary ends the grace, in every suite.
    clock.set(state.issuer().schedule().start(meta.epoch + 2));
    let sealed = state.issuer().seal_due().await.unwrap().unwrap();
    assert_eq!((sealed.epoch, sealed.sealed), (meta.epoch + 2, 0));
    let meta3 = metadata(&app).await;
    assert_eq!(meta3.revocation_root, meta2.revocation_root);
    verifier.update_metadata(meta3.clone()).unwrap();
    for (suite, req, p) in &built {
        assert!(
            matches!(
                verifier.verify(req, p, n).await,
                Err(netid_verifier::VerifierError::Rejected)
            ),
            "{suite:?}"
        );
    }
    // The wallet no longer builds them: the BBS credentials are stale, epoch E's root is gone.
    for holder in [&resp, &bob] {
        for suite in [Suite::BbsSha256, Suite::BbsShake256] {
            assert!(
                !verifies(holder.clone(), suite, meta3.clone()).await,
                "{suite:?}"
            );
        }
    }
    assert!(!verifies(resp.clone(), Suite::Groth16, meta3.clone()).await);
    // The other holder: the Groth16 credential lives on under the new root; a refresh brings
    // BBS credentials of the new epoch.
    assert!(verifies(bob.clone(), Suite::Groth16, meta3.clone()).await);
    let refresh = refresh_request(&bob_netid, &device(12), &[], None);
    let (s, fresh) = call(
        &app,
        "POST",
        "/v1/credentials",
        Some(&serde_json::to_string(&refresh).unwrap()),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    for suite in [Suite::BbsSha256, Suite::BbsShake256] {
        assert!(
            verifies(fresh.clone(), suite, meta3.clone()).await,
            "{suite:?}"
        );
    }
}

/// `GET /v1/revocation/epochs/{e}/buckets/{b}` (specs/revocation.md §8): the wallet's path
/// comes from a bucket that many slots share, named by epoch and bucket only; a bucket of an
/// epoch never changes (ETag, immutable, 304), later revocations show in later epochs' buckets,
/// and a revoked slot's path no longer leads to the root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_buckets_are_immutable_and_never_need_the_slot() {
    let (db, _dir) = sqlite_url();
    let clock = Arc::new(ManualClock::new(now()));
    let (state, sender) = issuer_with_epochs(&db, Some(clock.clone()), 60).await;
    let app = router(state.clone());
    let mut creds = Vec::new();
    let mut netids = Vec::new();
    for i in 0..2u32 {
        let (s, resp) = enrol(
            &app,
            &sender,
            &card("丽", born(30), 61 + i),
            &device(61 + i),
            &phone(61 + i),
            &[Suite::Groth16],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{resp}");
        netids.push(resp["netid"].as_str().unwrap().to_owned());
        creds.push(credential(&resp, Suite::Groth16));
    }
    let (a, b) = (creds[0].attributes.rev_index, creds[1].attributes.rev_index);
    assert_ne!(a, b);
    // One bucket holds both slots: asking for it says nothing about which one is asking.
    assert_eq!(a >> 16, b >> 16);
    let meta = metadata(&app).await;
    let route = |epoch: u64| format!("/v1/revocation/epochs/{epoch}/buckets/{}", a >> 16);
    let get = |path: String, etag: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = axum::http::Request::get(path);
            if let Some(t) = etag {
                req = req.header("if-none-match", t);
            }
            let r = app
                .oneshot(req.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            let status = r.status();
            let head = r.headers().clone();
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            (status, head, body)
        }
    };
    let (s, head, before) = get(route(meta.epoch), None).await;
    assert_eq!(s, StatusCode::OK);
    let etag = format!("\"{}-{}\"", meta.epoch, a >> 16);
    assert_eq!(head["etag"], etag.as_str());
    assert_eq!(head["cache-control"], "public, max-age=31536000, immutable");
    let etag: &'static str = Box::leak(etag.into_boxed_str());
    let (s, head, empty) = get(route(meta.epoch), Some(etag)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert_eq!(head["etag"], etag);
    assert!(empty.is_empty());
    // Both holders' paths come out of the one bucket and lead to the metadata's root.
    for c in &creds {
        served_path(&app, &meta, c.attributes.rev_index)
            .await
            .unwrap();
    }

    // The admin revokes the first holder: the next epoch's bucket lists the slot.
    let (s, v) = call(
        &app,
        "POST",
        "/v1/admin/revocations",
        Some(&json!({ "netid": netids[0] }).to_string()),
        true,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    clock.set(state.issuer().schedule().start(meta.epoch + 1));
    state.issuer().seal_due().await.unwrap().unwrap();
    let meta2 = metadata(&app).await;
    assert!(meta2.epoch > meta.epoch);
    let (s, _, after) = get(route(meta2.epoch), None).await;
    assert_eq!(s, StatusCode::OK);
    let bucket: RevocationBucket = serde_json::from_slice(&after).unwrap();
    assert_eq!(
        netid_core::issuer_api::decode_revoked_offsets(&bucket.revoked).unwrap(),
        [u16::try_from(a & 0xffff).unwrap()]
    );
    // The earlier epoch's bucket is byte for byte what it was.
    let (s, _, again) = get(route(meta.epoch), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, before);
    // The other holder's path still works under the new root; the revoked one's does not.
    served_path(&app, &meta2, b).await.unwrap();
    assert!(served_path(&app, &meta2, a).await.is_err());
    // The next epoch has not begun.
    let (s, _, _) = get(route(meta2.epoch + 1), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Epochs older than the issuer keeps (3 here, the current one included) are pruned at the
    // seal that leaves them behind: their buckets are gone (410); the kept ones are unchanged.
    clock.set(state.issuer().schedule().start(meta.epoch + 3));
    state.issuer().seal_due().await.unwrap().unwrap();
    let (s, _, _) = get(route(meta.epoch), None).await;
    assert_eq!(s, StatusCode::GONE);
    let (s, _, kept) = get(route(meta2.epoch), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(kept, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_enrolment_on_a_new_device_revokes_the_old_credential() {
    let (db, _dir) = sqlite_url();
    let clock = Arc::new(ManualClock::new(now()));
    let (state, sender) = issuer_with_epochs(&db, Some(clock.clone()), 60).await;
    let app = router(state.clone());
    let shop = register_app(&app, "shop.example", 9, &[]).await;
    let c = card("伟", born(40), 21);
    let (_, first) = enrol(
        &app,
        &sender,
        &c,
        &device(21),
        &phone(21),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    let (s, second) = enrol(
        &app,
        &sender,
        &c,
        &device(22),
        &phone(22),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(first["netid"], second["netid"]);
    assert_eq!(first["created"], true);
    assert_eq!(second["created"], false);

    let meta = metadata(&app).await;
    let verifier = Verifier::with_policy(
        meta.clone(),
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap();
    let n = u64::try_from(now()).unwrap();
    let day = today(now()).unwrap();
    let old = credential(&first, Suite::BbsSha256);
    let new = credential(&second, Suite::BbsSha256);
    let req = adult_request(&shop, day, n, &[Suite::BbsSha256]);
    verifier.register(&req, n).await.unwrap();
    let p_new = present(&app, &meta, &new, &req).await.unwrap();
    verifier.verify(&req, &p_new, n).await.unwrap();
    // The old device's credential is refused once its epoch's BBS key is no longer accepted
    // (after the grace epoch; the issuer was idle, so one seal goes straight there); the new
    // device refreshes into that epoch, the old one cannot.
    clock.set(state.issuer().schedule().start(meta.epoch + 2));
    state.issuer().seal_due().await.unwrap().unwrap();
    let meta2 = metadata(&app).await;
    verifier.update_metadata(meta2.clone()).unwrap();
    let req = adult_request(&shop, day, n, &[Suite::BbsSha256]);
    verifier.register(&req, n).await.unwrap();
    let p_old = present(&app, &meta2, &old, &req).await;
    assert!(p_old.is_err() || verifier.verify(&req, &p_old.unwrap(), n).await.is_err());
    let netid = first["netid"].as_str().unwrap();
    for (dev, want) in [(22, StatusCode::OK), (21, StatusCode::FORBIDDEN)] {
        let refresh = refresh_request(netid, &device(dev), &[Suite::BbsSha256], None);
        let (s, fresh) = post(&app, "/v1/credentials", &json!(refresh)).await;
        assert_eq!(s, want, "{fresh}");
        if s == StatusCode::OK {
            let req = adult_request(&shop, day, n, &[Suite::BbsSha256]);
            verifier.register(&req, n).await.unwrap();
            let p = present(&app, &meta2, &credential(&fresh, Suite::BbsSha256), &req)
                .await
                .unwrap();
            verifier.verify(&req, &p, n).await.unwrap();
        }
    }
}

/// `POST path` with a JSON body through the router (no admin token).
async fn post(
    app: &axum::Router,
    path: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    call(app, "POST", path, Some(&body.to_string()), false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minors_and_guardians() {
    let (db, _dir) = sqlite_url();
    let (state, sender) = issuer(&db, None).await;
    let app = router(state);
    let suites = [Suite::BbsSha256];

    // The guardian enrols; a stranger too.
    let g_dev = device(31);
    let (s, g) = enrol(
        &app,
        &sender,
        &card("强", born(45), 31),
        &g_dev,
        &phone(31),
        &suites,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let (_, stranger) = enrol(
        &app,
        &sender,
        &card("军", born(50), 33),
        &device(33),
        &phone(33),
        &suites,
        None,
    )
    .await;

    // A guardian proof: a presentation answering the issuer's own request.
    let proof = |cred: netid_issuer::api::IssuedCredential| {
        let app = app.clone();
        async move {
            let (s, v) = call(
                &app,
                "GET",
                "/v1/guardian/request?suites=bbs-sha256",
                None,
                false,
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let req: netid_core::PresentationRequest =
                serde_json::from_value(v["request"].clone()).unwrap();
            assert_eq!(req.app_id, "netid-issuer");
            let meta = metadata(&app).await;
            GuardianProof {
                relation: GuardianRelation::Parent,
                presentation: present(&app, &meta, &cred, &req).await.unwrap(),
            }
        }
    };

    // A 15-year-old enrols: pending, a ticket, no credential.
    let t_dev = device(32);
    let (s, teen) = enrol(
        &app,
        &sender,
        &card("小丽", born(15), 32),
        &t_dev,
        &phone(32),
        &suites,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{teen}");
    assert_eq!(teen["status"], "pending_guardian_approval");
    assert!(teen["credentials"].as_array().unwrap().is_empty());
    let ticket = teen["ticket"].as_str().unwrap().to_owned();
    let teen_netid = teen["netid"].as_str().unwrap().to_owned();

    // The guardian approves (any adult may approve a pending enrolment; the link is stored).
    let body = json!({ "minor_netid": teen_netid, "guardian": proof(credential(&g, Suite::BbsSha256)).await });
    let (s, v) = post(&app, "/v1/guardian/approvals", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "active");
    // Once active, a stranger cannot attach themselves as guardian.
    let body = json!({ "minor_netid": teen_netid, "guardian": proof(credential(&stranger, Suite::BbsSha256)).await });
    let (s, v) = post(&app, "/v1/guardian/approvals", &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // The teen collects the credential with the ticket.
    let refresh = refresh_request(&teen_netid, &t_dev, &suites, Some(ticket.to_owned()));
    let (s, v) = call(
        &app,
        "POST",
        "/v1/credentials",
        Some(&serde_json::to_string(&refresh).unwrap()),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The same signed refresh again (a replay) is refused.
    let (s, again) = call(
        &app,
        "POST",
        "/v1/credentials",
        Some(&serde_json::to_string(&refresh).unwrap()),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{again}");
    let teen_cred = credential(&v, Suite::BbsSha256);
    // A minor's credential expires before the 18th birthday.
    assert!(teen_cred.attributes.expiry < born(15).checked_add_days(18 * 366).unwrap());

    // A 10-year-old is enrolled by the guardian.
    let (s, child) = enrol(
        &app,
        &sender,
        &card("小明", born(10), 35),
        &device(35),
        &phone(35),
        &suites,
        Some(proof(credential(&g, Suite::BbsSha256)).await),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{child}");
    assert_eq!(child["status"], "active");
    assert_eq!(child["credentials"].as_array().unwrap().len(), 1);

    // A stranger with the child's card (and a passing face check) cannot re-enrol the child
    // and become their guardian; the guardian can, from a new device.
    let (s, v) = enrol(
        &app,
        &sender,
        &card("小明", born(10), 35),
        &device(36),
        &phone(36),
        &suites,
        Some(proof(credential(&stranger, Suite::BbsSha256)).await),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "not_allowed", "{v}");
    let body = json!({ "presentation": proof(credential(&stranger, Suite::BbsSha256)).await.presentation });
    let (s, v) = post(&app, "/v1/guardian/wards", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v.as_array().unwrap().is_empty(),
        "the stranger became a guardian: {v}"
    );
    let (s, v) = enrol(
        &app,
        &sender,
        &card("小明", born(10), 35),
        &device(37),
        &phone(37),
        &suites,
        Some(proof(credential(&g, Suite::BbsSha256)).await),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["netid"], child["netid"]);
    // That revoked the child's old device; the adults refresh (which moves nothing for
    // anyone else).
    let renew = |cred: serde_json::Value, dev: ed25519_dalek::SigningKey| {
        let app = app.clone();
        async move {
            let netid = cred["netid"].as_str().unwrap().to_owned();
            let r = refresh_request(&netid, &dev, &[Suite::BbsSha256], None);
            let body = serde_json::to_string(&r).unwrap();
            let (s, v) = call(&app, "POST", "/v1/credentials", Some(&body), false).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };
    let g = renew(g, g_dev.clone()).await;
    let stranger = renew(stranger, device(33)).await;

    // The guardian lists the wards and sets permissions.
    let body =
        json!({ "presentation": proof(credential(&g, Suite::BbsSha256)).await.presentation });
    let (s, v) = post(&app, "/v1/guardian/wards", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    let body = json!({
        "minor_netid": child["netid"], "categories": ["education"],
        "presentation": proof(credential(&g, Suite::BbsSha256)).await.presentation,
    });
    let (s, v) = post(&app, "/v1/guardian/permissions", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["categories"], json!(["education"]));
    // The stranger may not.
    let body = json!({
        "minor_netid": child["netid"], "categories": ["games"],
        "presentation": proof(credential(&stranger, Suite::BbsSha256)).await.presentation,
    });
    let (s, v) = post(&app, "/v1/guardian/permissions", &body).await;
    assert!(s.is_client_error(), "{s} {v}");

    // Unlinking: the stranger is no guardian to unlink; the guardian unlinks from the child
    // and then may no longer set the child's permissions; a second unlink is refused.
    let unlink = |who: serde_json::Value| {
        let app = app.clone();
        let netid = child["netid"].clone();
        async move {
            let body = json!({ "minor_netid": netid, "presentation": who });
            post(&app, "/v1/guardian/unlink", &body).await
        }
    };
    let as_json = |p: GuardianProof| serde_json::to_value(p.presentation).unwrap();
    let (s, v) = unlink(as_json(
        proof(credential(&stranger, Suite::BbsSha256)).await,
    ))
    .await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &"invalid_guardian".into())
    );
    let (s, v) = unlink(as_json(proof(credential(&g, Suite::BbsSha256)).await)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let body =
        json!({ "presentation": proof(credential(&g, Suite::BbsSha256)).await.presentation });
    let (s, v) = post(&app, "/v1/guardian/wards", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "only the teen is left: {v}");
    let body = json!({
        "minor_netid": child["netid"], "categories": ["education"],
        "presentation": proof(credential(&g, Suite::BbsSha256)).await.presentation,
    });
    let (s, v) = post(&app, "/v1/guardian/permissions", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = unlink(as_json(proof(credential(&g, Suite::BbsSha256)).await)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// 100 concurrent enrolments of one person over a real server: one 网号, one live credential.
/// 100 of different people: 100 distinct 网号.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_enrolments_over_a_real_server() {
    for db in databases().await {
        let (state, sender) = issuer(&db.0, None).await;
        let server = netid_issuer::server::spawn(state.clone(), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.addr;
        let same = card("同", born(33), 41);
        let mut tasks = Vec::new();
        for i in 0..100u32 {
            let (sender, same) = (sender.clone(), same.clone());
            tasks.push(tokio::spawn(async move {
                let ph = phone(100_000 + i);
                let (s, v) = http(
                    addr,
                    "POST",
                    "/v1/phone/challenges",
                    &json!({ "phone": ph }).to_string(),
                )
                .await;
                assert_eq!(s, 201, "{v}");
                let v: serde_json::Value = serde_json::from_str(&v).unwrap();
                let code = sender
                    .last_code_for(&netid_issuer::evidence::PhoneNumber::parse(&ph).unwrap())
                    .unwrap();
                let req = enrol_request(
                    &same,
                    &device(1000 + i),
                    v["challenge_id"].as_str().unwrap(),
                    code.expose_secret(),
                    &[Suite::Groth16],
                    None,
                );
                let (s, v) = http(
                    addr,
                    "POST",
                    "/v1/enrolments",
                    &serde_json::to_string(&req).unwrap(),
                )
                .await;
                assert_eq!(s, 201, "{v}");
                serde_json::from_str::<serde_json::Value>(&v).unwrap()["netid"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }));
        }
        let mut netids = HashSet::new();
        for t in tasks {
            netids.insert(t.await.unwrap());
        }
        assert_eq!(netids.len(), 1, "{}: one person, one 网号", db.0);
        let storage = state.issuer().storage();
        let person = storage
            .person_by_netid(
                &netid_issuer::netid_number::NetidNumber::parse(netids.iter().next().unwrap())
                    .unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        let creds = storage.credentials_of(person.id).await.unwrap();
        assert_eq!(creds.len(), 100);
        assert_eq!(
            creds
                .iter()
                .filter(|c| c.status == CredentialStatus::Live)
                .count(),
            1
        );

        let mut tasks = Vec::new();
        for i in 0..100u32 {
            let sender = sender.clone();
            tasks.push(tokio::spawn(async move {
                let ph = phone(200_000 + i);
                let (_, v) = http(
                    addr,
                    "POST",
                    "/v1/phone/challenges",
                    &json!({ "phone": ph }).to_string(),
                )
                .await;
                let v: serde_json::Value = serde_json::from_str(&v).unwrap();
                let code = sender
                    .last_code_for(&netid_issuer::evidence::PhoneNumber::parse(&ph).unwrap())
                    .unwrap();
                let c = card("众", born(20 + u16::try_from(i % 50).unwrap()), 100 + i);
                let req = enrol_request(
                    &c,
                    &device(2000 + i),
                    v["challenge_id"].as_str().unwrap(),
                    code.expose_secret(),
                    &[Suite::BbsSha256],
                    None,
                );
                let (s, v) = http(
                    addr,
                    "POST",
                    "/v1/enrolments",
                    &serde_json::to_string(&req).unwrap(),
                )
                .await;
                assert_eq!(s, 201, "{v}");
                serde_json::from_str::<serde_json::Value>(&v).unwrap()["netid"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }));
        }
        let mut netids = HashSet::new();
        for t in tasks {
            netids.insert(t.await.unwrap());
        }
        assert_eq!(netids.len(), 100, "{}: 100 people, 100 网号", db.0);
        server.shutdown().await;
    }
}

/// SQLite always; PostgreSQL when `DATABASE_URL` is set (a fresh schema per run).
async fn databases() -> Vec<(String, Option<tempfile::TempDir>)> {
    let (sqlite, dir) = sqlite_url();
    let mut out = vec![(sqlite, Some(dir))];
    if let Ok(url) = std::env::var("DATABASE_URL") {
        // A private database per run keeps concurrent test runs apart.
        let name = format!("netid_svc_{}_{}", std::process::id(), now());
        let admin = sqlx::PgPool::connect(&url)
            .await
            .expect("DATABASE_URL reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        let base = url
            .rsplit_once('/')
            .map_or(url.as_str(), |(b, _)| b)
            .to_owned();
        out.push((format!("{base}/{name}"), None));
    }
    out
}

/// specs/api/issuer.md lists exactly the routes of the generated OpenAPI document.
#[test]
fn openapi_document_and_specs_list_the_same_routes() {
    let doc = serde_json::to_value(netid_issuer::service::openapi()).unwrap();
    let mut generated: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            generated.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    generated.sort();
    let spec = include_str!("../../specs/api/issuer.md");
    let mut documented: Vec<String> = spec
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(r, _)| r.to_owned()))
        .filter(|r| r.starts_with("GET ") || r.starts_with("POST "))
        .map(|r| r.split('?').next().unwrap().to_owned())
        .collect();
    documented.sort();
    assert_eq!(documented, generated);
}

/// A signed refresh request of `dev` for `netid`.
fn signed_refresh(netid: &str, dev: &ed25519_dalek::SigningKey) -> RefreshRequest {
    refresh_request(netid, dev, &[], None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_refusals_are_uniform_until_the_device_is_the_holders() {
    let (db, _dir) = sqlite_url();
    let (state, sender) = issuer(&db, None).await;
    let app = router(state);
    let (s, resp) = enrol(
        &app,
        &sender,
        &card("丽", born(30), 51),
        &device(51),
        &phone(51),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{resp}");
    let netid = resp["netid"].as_str().unwrap().to_owned();
    // A 网号 this issuer never assigned: enrolled at another issuer (other keys).
    let (db2, _dir2) = sqlite_url();
    let (state2, sender2) = issuer(&db2, None).await;
    let other = router(state2);
    let (s, resp2) = enrol(
        &other,
        &sender2,
        &card("伟", born(40), 52),
        &device(52),
        &phone(52),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{resp2}");
    let unknown = resp2["netid"].as_str().unwrap().to_owned();

    let post = |r: &RefreshRequest| {
        let body = serde_json::to_string(r).unwrap();
        let app = app.clone();
        async move { call(&app, "POST", "/v1/credentials", Some(&body), false).await }
    };
    // A stranger's device, for a real 网号 and for an unknown one, twice each: the same 403
    // every time (no "already used" on the second try: a stranger's request is not remembered).
    let stranger = device(99);
    let mut answers = Vec::new();
    for n in [&netid, &unknown] {
        let r = signed_refresh(n, &stranger);
        for _ in 0..2 {
            let (s, v) = post(&r).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
            answers.push(v);
        }
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    // The holder's own device refreshes, once per signed request.
    let r = signed_refresh(&netid, &device(51));
    let (s, v) = post(&r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = post(&r).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v.to_string().contains("already used"), "{v}");
    // The binding is pinned per device: the holder's device key signing a refresh onto another
    // wallet secret (a device key without its wallet) is refused, and issues nothing.
    let dev = device(51);
    let mut r = signed_refresh(&netid, &dev);
    let other = netid_circuits::presentation::holder_binding(
        &netid_core::HolderSecret::from_random(&[0x42; 32]).unwrap(),
    )
    .unwrap();
    r.binding = other.to_be_bytes();
    r.device_signature = ed25519_dalek::Signer::sign(
        &dev,
        &netid_issuer::api::refresh_pop_message(
            &netid,
            r.timestamp,
            &r.device_key,
            &r.binding,
            &r.commitments,
        ),
    )
    .to_bytes();
    let (s, v) = post(&r).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v.to_string().contains("another wallet secret"), "{v}");
}

/// An issuer replica on `db` with the key files in `keys` (BBS suites only).
async fn replica(
    db: &str,
    keys: &std::path::Path,
) -> Result<
    (
        netid_issuer::service::ServiceState<netid_issuer::storage::AnyStorage>,
        Arc<netid_issuer::evidence::phone::MemoryCodeSender>,
    ),
    netid_issuer::IssuerError,
> {
    replica_at(
        db,
        keys,
        Arc::new(SystemClock),
        netid_issuer::DEFAULT_EPOCH_SECS,
    )
    .await
}

/// [`replica`] on `clock`, with epochs of `epoch_secs`.
async fn replica_at(
    db: &str,
    keys: &std::path::Path,
    clock: Arc<dyn Clock>,
    epoch_secs: u32,
) -> Result<
    (
        netid_issuer::service::ServiceState<netid_issuer::storage::AnyStorage>,
        Arc<netid_issuer::evidence::phone::MemoryCodeSender>,
    ),
    netid_issuer::IssuerError,
> {
    use netid_issuer::server::{build, dev_card_authority, IssuerOptions, KeySource};
    let sender = Arc::new(netid_issuer::evidence::phone::MemoryCodeSender::new());
    let mut opts = IssuerOptions::new(
        db,
        KeySource::Dir(keys.to_owned()),
        netid_issuer::evidence::TrustedCardAuthorities::new([dev_card_authority().verifying_key()]),
        sender.clone(),
    );
    opts.admin_token = Some(netid_issuer::service::AdminToken::new(ADMIN.into()).unwrap());
    opts.clock = clock;
    opts.config.epoch_secs = epoch_secs;
    Ok((build(opts).await?, sender))
}

/// Two replicas on one database (SQLite and PostgreSQL): a revocation made on B and sealed by
/// A is in B's metadata, a replica configured with another epoch length refuses to start,
/// a refresh accepted by A is refused as a replay by B; a replica whose key files are not the
/// recorded ones refuses to start, naming the key; a database with enrolments but no recorded
/// fingerprints needs `init`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_state_and_refuse_foreign_keys() {
    for (db, _guard) in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let clock = Arc::new(ManualClock::new(now()));
        let (a_state, sender) = replica_at(&db, &keys, clock.clone(), 60).await.unwrap();
        let (b_state, _) = replica_at(&db, &keys, clock.clone(), 60).await.unwrap();
        let (a, b) = (router(a_state.clone()), router(b_state.clone()));
        let dev = device(61);
        let (s, resp) = enrol(
            &a,
            &sender,
            &card("丽", born(30), 61),
            &dev,
            &phone(61),
            &[Suite::BbsSha256],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{db}: {resp}");
        let netid = resp["netid"].as_str().unwrap().to_owned();

        // A refresh is single-use across replicas.
        let body = serde_json::to_string(&refresh_request(&netid, &dev, &[Suite::BbsSha256], None))
            .unwrap();
        let (s, resp) = call(&a, "POST", "/v1/credentials", Some(&body), false).await;
        assert_eq!(s, StatusCode::OK, "{db}: {resp}");
        let (s, resp) = call(&b, "POST", "/v1/credentials", Some(&body), false).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{db}: {resp}");
        assert!(
            resp["message"].as_str().unwrap().contains("already used"),
            "{resp}"
        );

        // A revocation on B, sealed at the boundary by A (B finds it sealed), moves both
        // replicas' metadata.
        let before = metadata(&a).await;
        let (s, resp) = call(
            &b,
            "POST",
            "/v1/admin/revocations",
            Some(&json!({ "netid": netid }).to_string()),
            true,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{db}: {resp}");
        assert_eq!(metadata(&a).await.epoch, before.epoch, "{db}");
        clock.set(a_state.issuer().schedule().start(before.epoch + 1));
        let sealed = a_state.issuer().seal_due().await.unwrap().unwrap();
        assert_eq!(sealed.epoch, before.epoch + 1, "{db}");
        assert_eq!(b_state.issuer().seal_due().await.unwrap(), None, "{db}");
        let after = metadata(&a).await;
        assert_eq!(after.epoch, before.epoch + 1, "{db}");
        let on_b = metadata(&b).await;
        assert_eq!(
            (&after.revocation_root, &after.bbs_sha256_public_key),
            (&on_b.revocation_root, &on_b.bbs_sha256_public_key),
            "{db}"
        );
        // Only BBS credentials were revoked: they hold no tree slot, so the epoch key moved
        // and the root did not (specs/revocation.md §7).
        assert_ne!(
            after.bbs_sha256_public_key, before.bbs_sha256_public_key,
            "{db}"
        );
        assert_eq!(after.revocation_root, before.revocation_root, "{db}");

        // The epoch length is the database's: another one is refused.
        let err = replica_at(&db, &keys, clock.clone(), 61).await.unwrap_err();
        assert!(
            matches!(err, netid_issuer::IssuerError::InvalidInput(_)),
            "{db}: {err}"
        );
        // Foreign keys: an empty key directory gets fresh keys, which the database refuses.
        let err = replica(&db, &dir.path().join("other")).await.unwrap_err();
        assert!(
            matches!(
                err,
                netid_issuer::IssuerError::ForeignKey { key: "netid.key" }
            ),
            "{db}: {err}"
        );
        assert!(err.to_string().contains("netid.key"), "{err}");
    }
}

/// A database that holds enrolments but no key fingerprints (made before they were recorded)
/// is refused until `netid-issuer init` records them.
#[tokio::test]
async fn a_database_without_fingerprints_needs_init() {
    let (db, _guard) = sqlite_url();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let (a, sender) = replica(&db, &keys).await.unwrap();
    let app = router(a.clone());
    let (s, resp) = enrol(
        &app,
        &sender,
        &card("丽", born(30), 62),
        &device(62),
        &phone(62),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{resp}");
    let storage = a.issuer().storage().clone();
    let netid_issuer::storage::AnyStorage::Sqlite(sqlite) = &storage else {
        unreachable!("a SQLite URL")
    };
    sqlx::query("DELETE FROM issuer_keys")
        .execute(sqlite.pool())
        .await
        .unwrap();
    drop((app, a));
    let err = replica(&db, &keys).await.unwrap_err();
    assert!(
        matches!(err, netid_issuer::IssuerError::KeysNotRecorded),
        "{err}"
    );
    let recorded = netid_issuer::server::init(&db, &keys, now()).await.unwrap();
    assert_eq!(recorded.len(), 5);
    replica(&db, &keys).await.unwrap();
}

/// Rate limits over a real server (the peer address is known), shared by two replicas on one
/// database: per phone number, per client address, per device for refresh; 429 with
/// Retry-After; a stranger's refreshes for a 网号 do not use up its holder's budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_and_are_shared_by_replicas() {
    use netid_issuer::issuance::RateLimits;
    use netid_serve::Limit;
    let (db, _dir) = sqlite_url();
    let limits = RateLimits {
        phone_per_number: Limit::per_hour(2),
        phone_per_client: Limit::per_hour(4),
        writes_per_client: Limit::per_hour(1000),
        refresh_per_device: Limit::per_hour(1),
    };
    let start = |limits: RateLimits| {
        let db = db.clone();
        async move {
            let sender = Arc::new(netid_issuer::evidence::phone::MemoryCodeSender::new());
            let mut opts = netid_issuer::server::IssuerOptions::new(
                db,
                netid_issuer::server::KeySource::Dir(shared_key_dir()),
                netid_issuer::evidence::TrustedCardAuthorities::new([
                    netid_issuer::server::dev_card_authority().verifying_key(),
                ]),
                sender.clone(),
            );
            opts.config.rate_limits = limits;
            let state = netid_issuer::server::build(opts).await.unwrap();
            let server = netid_issuer::server::spawn(state, "127.0.0.1:0")
                .await
                .unwrap();
            (server, sender)
        }
    };
    let (a, sender) = start(limits.clone()).await;
    let (b, _) = start(limits).await;
    let challenge = |addr, ph: String| async move {
        http_full(
            addr,
            "POST",
            "/v1/phone/challenges",
            &json!({ "phone": ph }).to_string(),
        )
        .await
    };
    // Per phone number, across replicas.
    assert_eq!(challenge(a.addr, phone(71)).await.0, 201);
    assert_eq!(challenge(b.addr, phone(71)).await.0, 201);
    let (s, head, body) = challenge(a.addr, phone(71)).await;
    assert_eq!(s, 429, "{body}");
    assert!(body.contains("rate_limited"), "{body}");
    let retry: u64 = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Per client address: four challenges counted (the refused one too); the fifth is refused
    // whatever the number.
    assert_eq!(challenge(b.addr, phone(72)).await.0, 201);
    assert_eq!(challenge(a.addr, phone(73)).await.0, 429);

    // Refresh: one per hour per 网号 and device.
    let dev = device(74);
    let app = router(a.state.clone());
    let (s, resp) = enrol(
        &app,
        &sender,
        &card("丽", born(30), 74),
        &dev,
        &phone(74),
        &[Suite::BbsSha256],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{resp}");
    let netid = resp["netid"].as_str().unwrap().to_owned();
    // A stranger's self-signed requests for that 网号 are refused as before, uncounted.
    for _ in 0..3 {
        let body = serde_json::to_string(&signed_refresh(&netid, &device(75))).unwrap();
        assert_eq!(http(b.addr, "POST", "/v1/credentials", &body).await.0, 403);
    }
    let refresh = || {
        serde_json::to_string(&refresh_request(&netid, &dev, &[Suite::BbsSha256], None)).unwrap()
    };
    let (s, body) = http(b.addr, "POST", "/v1/credentials", &refresh()).await;
    assert_eq!(s, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a new timestamp
    let (s, body) = http(a.addr, "POST", "/v1/credentials", &refresh()).await;
    assert_eq!(s, 429, "{body}");
    a.shutdown().await;
    b.shutdown().await;
}

/// One key directory for the replicas of a test binary.
fn shared_key_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .join("keys")
}

/// An issuer on `db` with its key files in `keys` (so that a second start is the same issuer).
async fn issuer_with_key_dir(
    db: &str,
    keys: &std::path::Path,
) -> Result<
    (
        netid_issuer::service::ServiceState<netid_issuer::storage::AnyStorage>,
        Arc<netid_issuer::evidence::MemoryCodeSender>,
    ),
    netid_issuer::IssuerError,
> {
    use netid_issuer::server::{build, dev_card_authority, Groth16Keys, IssuerOptions, KeySource};
    let sender = Arc::new(netid_issuer::evidence::MemoryCodeSender::new());
    let mut opts = IssuerOptions::new(
        db,
        KeySource::Dir(keys.to_owned()),
        netid_issuer::evidence::TrustedCardAuthorities::new([dev_card_authority().verifying_key()]),
        sender.clone(),
    );
    opts.groth16 = Groth16Keys::Development(key_dir());
    Ok((build(opts).await?, sender))
}

/// Revocation slots running out (specs/revocation.md §7, issue 16). With the counter seeded at
/// the last slot: a Groth16 credential takes it; a new person asking for one past the end is
/// answered `503 exhausted` and nothing is stored; a re-enrolment whose first suite (BBS, no
/// slot) commits and whose Groth16 credential finds no slot is answered `503`, and what its
/// committed part revoked is logged for the next seal (a restart finds the same root). A
/// refresh on the same device still works at exhaustion: it keeps its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_revocation_slots_answer_503_and_never_block_a_restart() {
    use netid_issuer::storage::REVOCATION_SLOTS;
    let (db, dir) = sqlite_url();
    let keys = dir.path().join("keys");
    let (state, sender) = issuer_with_key_dir(&db, &keys).await.unwrap();
    let app = router(state.clone());
    let g16 = [Suite::Groth16];
    let alice_card = card("丽", born(30), 1);
    let (s, v) = enrol(
        &app,
        &sender,
        &alice_card,
        &device(1),
        &phone(1),
        &g16,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let alice = v["netid"].as_str().unwrap().to_owned();

    // Seed the counter: the next slot handed out is the last.
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    sqlx::query("UPDATE counters SET value = ? WHERE name = 'rev_index'")
        .bind(i64::try_from(REVOCATION_SLOTS - 1).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let (s, v) = enrol(
        &app,
        &sender,
        &card("明", born(40), 3),
        &device(2),
        &phone(2),
        &g16,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        u64::from(credential(&v, Suite::Groth16).attributes.rev_index),
        REVOCATION_SLOTS - 1
    );
    let ming = v["netid"].as_str().unwrap().to_owned();
    let storage = state.issuer().storage();
    assert_eq!(storage.count_persons().await.unwrap(), 2);
    let root_before = metadata(&app).await.revocation_root;

    // Alice on a new device with two suites: the first (BBS, no slot) revokes her first
    // device's credential, the second (Groth16) finds no slot.
    let two = [Suite::BbsSha256, Suite::Groth16];
    let (s, v) = enrol(
        &app,
        &sender,
        &alice_card,
        &device(4),
        &phone(4),
        &two,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "exhausted", "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("revocation tree slots"),
        "{v}"
    );
    let person = storage
        .person_by_netid(&netid_issuer::netid_number::NetidNumber::parse(&alice).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut statuses: Vec<_> = storage
        .credentials_of(person.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.status)
        .collect();
    statuses.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        statuses,
        [CredentialStatus::Live, CredentialStatus::Revoked]
    );
    // The committed revocation is logged for the next seal; the root moves only then.
    let unsealed: Vec<i64> =
        sqlx::query_scalar("SELECT slot FROM revocation_log WHERE sealed_in IS NULL")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(unsealed, [0], "the committed revocation is logged");
    let root = metadata(&app).await.revocation_root;
    assert_eq!(root, root_before);

    // A new person: refused, clearly, and nothing stored.
    let (s, v) = enrol(
        &app,
        &sender,
        &card("芳", born(25), 5),
        &device(3),
        &phone(3),
        &g16,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "exhausted", "{v}");
    assert_eq!(storage.count_persons().await.unwrap(), 2);
    assert_eq!(metadata(&app).await.revocation_root, root);

    // 明 refreshes on his device: the slot is kept, so exhaustion does not touch him, and the
    // root does not move.
    let body = serde_json::to_string(&refresh_request(&ming, &device(2), &g16, None)).unwrap();
    let (s, v) = call(&app, "POST", "/v1/credentials", Some(&body), false).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        u64::from(credential(&v, Suite::Groth16).attributes.rev_index),
        REVOCATION_SLOTS - 1
    );
    assert_eq!(metadata(&app).await.revocation_root, root);
    drop(app);
    drop(state);

    // A restart over the same database and keys finds the same tree.
    let (state, _) = issuer_with_key_dir(&db, &keys).await.unwrap();
    assert_eq!(metadata(&router(state)).await.revocation_root, root);
}

/// Signed epoch records (specs/revocation.md §5): every metadata document carries the record
/// of its epoch (and the one before), each seal chains a new one to the last, and
/// `GET /v1/epochs/records` serves the ones between, so a reader that held an old record links
/// the newest document to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epoch_records_chain_across_seals_and_are_served() {
    let (db, _dir) = sqlite_url();
    let clock = Arc::new(ManualClock::new(now()));
    let (state, _) = issuer_with_epochs(&db, Some(clock.clone()), 60).await;
    let app = router(state.clone());
    let meta0 = metadata(&app).await;
    let e0 = meta0.epoch;
    // The first start signed the current epoch's record.
    let held = meta0.head().unwrap().unwrap();
    assert_eq!(held.epoch, e0);
    assert_eq!(meta0.records().unwrap()[0].prev, [0; 32]);
    let seal_at = |e: u64| {
        let (clock, state) = (clock.clone(), state.clone());
        async move {
            clock.set(state.issuer().schedule().start(e));
            state.issuer().seal_due().await.unwrap().unwrap();
        }
    };
    seal_at(e0 + 1).await;
    let meta1 = metadata(&app).await;
    assert_eq!(meta1.epoch_records.len(), 2);
    assert_eq!(
        meta1.follow(Some(&held), &[]).unwrap(),
        meta1.head().unwrap()
    );
    // After a downtime one seal skips to the current epoch; one more epoch on, the document's
    // records (epochs e0+4 and e0+5) no longer reach the held record.
    seal_at(e0 + 4).await;
    seal_at(e0 + 5).await;
    let meta5 = metadata(&app).await;
    assert_eq!(
        meta5
            .records()
            .unwrap()
            .iter()
            .map(|r| r.epoch)
            .collect::<Vec<_>>(),
        [e0 + 4, e0 + 5]
    );
    assert!(matches!(
        meta5.follow(Some(&held), &[]),
        Err(netid_core::CoreError::EpochGap { after, before }) if after == e0 && before == e0 + 4
    ));
    let (s, v) = call(
        &app,
        "GET",
        &format!("/v1/epochs/records?after={e0}"),
        None,
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let page: netid_core::issuer_api::EpochRecords = serde_json::from_value(v).unwrap();
    let mut bridge = Vec::new();
    assert_eq!(
        netid_core::take_bridge_page(page.records, e0, e0 + 4, &mut bridge).unwrap(),
        None
    );
    assert_eq!(bridge.len(), 1);
    assert_eq!(
        meta5.follow(Some(&held), &bridge).unwrap(),
        meta5.head().unwrap()
    );
    // Every record is signed by the metadata key and states its epoch's root.
    let (_, v) = call(&app, "GET", "/v1/epochs/records", None, false).await;
    let all: netid_core::issuer_api::EpochRecords = serde_json::from_value(v).unwrap();
    let key: [u8; 32] = meta5.metadata_key.as_slice().try_into().unwrap();
    let opened: Vec<netid_core::EpochRecord> =
        all.records.iter().map(|r| r.open(&key).unwrap()).collect();
    assert_eq!(
        opened.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        [e0, e0 + 1, e0 + 4, e0 + 5]
    );
    netid_core::check_chain(&opened).unwrap();
    assert_eq!(
        opened[3].revocation_root.as_slice(),
        meta5.revocation_root.as_slice()
    );
    let (_, v) = call(&app, "GET", "/v1/epochs/records?limit=1", None, false).await;
    assert_eq!(v["records"].as_array().unwrap().len(), 1);
    for bad in [
        "limit=0",
        "limit=257",
        "after=x",
        "after=-1",
        "after=9223372036854775808",
        "limit=1.5",
    ] {
        let (s, v) = call(
            &app,
            "GET",
            &format!("/v1/epochs/records?{bad}"),
            None,
            false,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_eq!(v["error"], "invalid_input");
    }
}
