//! The HTTP service through its router: health, create a request, present (BBS), poll the
//! status, replay refused, bad bodies refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_core::{IssuerMetadata, Presentation, Suite};
use netid_verifier::service::CreatedRequest;
use netid_verifier::{router, MemoryReplayCache, Verifier};
use tower::ServiceExt as _;

/// A call as shop.example's backend (its API key; Host `verifier.test`).
async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<String>,
) -> (StatusCode, serde_json::Value) {
    call_as(app, Some("shop.example"), method, uri, body).await
}

/// The result of request `id`, read by shop.example.
async fn result(app: &axum::Router, id: &str) -> (StatusCode, serde_json::Value) {
    call(app, "GET", &format!("/v1/requests/{id}/result"), None).await
}

/// A call with `app_id`'s API key, or none.
async fn call_as(
    app: &axum::Router,
    app_id: Option<&str>,
    method: &str,
    uri: &str,
    body: Option<String>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "verifier.test")
        .header("content-type", "application/json");
    if let Some(id) = app_id {
        req = req.header(
            "authorization",
            format!("Bearer {}", api_key(id).expose_secret()),
        );
    }
    let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, json)
}

#[tokio::test]
async fn create_present_poll_replay() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    // Pin the clock to a date the sample credential satisfies.
    let state = keyed_state(v, vec![shop], Arc::new(|| NOW));
    let r = router(state);

    let (s, body) = call(&r, "GET", "/healthz", None).await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, serde_json::Value::String("ok".into()))
    );

    let create = serde_json::json!({
        "age_at_least": 18, "pseudonym": true, "not_expired": true,
        "disclose": ["given_name"], "suites": ["bbs-sha256"]
    });
    let (s, body) = call(&r, "POST", "/v1/requests", Some(create.to_string())).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let created: CreatedRequest = serde_json::from_value(body).unwrap();
    let (s, body) = result(&r, &created.id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "pending");

    let p: Presentation = bbs_present(w, 0, &created.request);
    let pj = serde_json::to_string(&p).unwrap();
    let (s, body) = call(&r, "POST", "/v1/presentations", Some(pj.clone())).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["app_id"], "shop.example");
    assert_eq!(body["suite"], Suite::BbsSha256.name());
    assert_eq!(body["age_at_least"], 18);
    assert!(body["pseudonym"].as_str().unwrap().len() == 96);
    let text = body.to_string();
    assert!(
        !text.contains("NID7Q2KX9M4") && !text.contains("1990-05-04"),
        "{text}"
    );

    let (s, body) = result(&r, &created.id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "verified");
    assert_eq!(body["claims"]["app_id"], "shop.example");

    let (s, body) = call(&r, "POST", "/v1/presentations", Some(pj)).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("replayed"))
    );
}

/// A full verification queue answers 503 `busy` with `Retry-After`; a closed request 410.
#[tokio::test]
async fn busy_and_closed_answers() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = verifier(w, Arc::new(MemoryReplayCache::new())).with_verify_limits(
        netid_verifier::VerifyLimits {
            concurrent: 1,
            queued: 0,
        },
    );
    let r = router(keyed_state(
        Arc::new(v),
        vec![shop.clone()],
        Arc::new(|| NOW),
    ));
    let post = |p: &Presentation| {
        Request::builder()
            .method("POST")
            .uri("/v1/presentations")
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_string(p).unwrap()))
            .unwrap()
    };
    let create = serde_json::json!({
        "age_at_least": 18, "pseudonym": true, "not_expired": true,
        "disclose": ["given_name"], "suites": ["bbs-sha256"]
    });
    let mut ps = Vec::new();
    for _ in 0..2 {
        let (s, body) = call(&r, "POST", "/v1/requests", Some(create.to_string())).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let created: CreatedRequest = serde_json::from_value(body).unwrap();
        ps.push(bbs_present(w, 0, &created.request));
    }
    let (a, b) = tokio::join!(
        r.clone().oneshot(post(&ps[0])),
        r.clone().oneshot(post(&ps[1]))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let busy = if a.status() == StatusCode::OK { b } else { a };
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["retry-after"], "1");
    let bytes = axum::body::to_bytes(busy.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"], "busy");

    // A request that took MAX_REJECTIONS rejected presentations answers 410 closed.
    let (_, body) = call(&r, "POST", "/v1/requests", Some(create.to_string())).await;
    let created: CreatedRequest = serde_json::from_value(body).unwrap();
    let honest = bbs_present(w, 0, &created.request);
    let mut bad = honest.clone();
    let mut bytes = bad.proof.as_slice().to_vec();
    bytes[1] ^= 1;
    bad.proof = bytes.into();
    let bad = serde_json::to_string(&bad).unwrap();
    for _ in 0..netid_verifier::MAX_REJECTIONS {
        let (s, _) = call(&r, "POST", "/v1/presentations", Some(bad.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, body) = call(
        &r,
        "POST",
        "/v1/presentations",
        Some(serde_json::to_string(&honest).unwrap()),
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::GONE, Some("closed"))
    );
}

#[tokio::test]
async fn refuses_bad_input() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    let r = router(keyed_state(v, vec![shop], Arc::new(|| NOW)));
    // Asking beyond the certificate; another app than the key's; unknown request; malformed and oversized bodies.
    let (s, body) = call(
        &r,
        "POST",
        "/v1/requests",
        Some(r#"{"disclose":["family_name"]}"#.into()),
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request"))
    );
    let (s, _) = call(
        &r,
        "POST",
        "/v1/requests",
        Some(r#"{"app_id":"nope"}"#.into()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &r,
        "GET",
        &format!("/v1/requests/{}", "00".repeat(32)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(&r, "GET", "/v1/requests/zz", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Every extractor rejection is the documented JSON error.
    let (s, body) = call(&r, "POST", "/v1/presentations", Some("{not json".into())).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );
    // serde would read a struct from an array of its fields; the documented schema is an object.
    let (s, body) = call(&r, "POST", "/v1/requests", Some("[null, null]".into())).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );
    let (s, body) = call(&r, "POST", "/v1/presentations", Some("x".repeat(100_000))).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    let req = Request::builder()
        .method("POST")
        .uri("/v1/requests")
        .body(Body::from("{}"))
        .unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(resp.headers()["content-type"], "application/json");
    // A whole float is the integer it spells (JSON Schema's `integer` admits it).
    let (s, body) = call(
        &r,
        "POST",
        "/v1/requests",
        Some(r#"{"age_at_least":18.0,"ttl_seconds":60.0}"#.into()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["request"]["statements"]["age_at_least"], 18);
    // A presentation for a request this verifier never made.
    let other = request(&app(&w.registry, "shop.example", 2), &[Suite::BbsSha256]);
    let p = bbs_present(w, 0, &other);
    let (s, body) = call(
        &r,
        "POST",
        "/v1/presentations",
        Some(serde_json::to_string(&p).unwrap()),
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_request"))
    );
}

#[tokio::test]
async fn openapi_document() {
    let w = world();
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    let r = router(keyed_state(v, vec![], Arc::new(|| NOW)));
    let (s, body) = call(&r, "GET", "/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["openapi"], "3.1.0");
    // Every route the router serves is documented, and nothing else.
    let routes = [
        "/",
        "/static/app.js",
        "/static/style.css",
        "/healthz",
        "/openapi.json",
        "/v1/apps",
        "/v1/requests",
        "/v1/requests/{id}",
        "/v1/requests/{id}/result",
        "/v1/requests/{id}/qr.svg",
        "/v1/presentations",
    ];
    for path in routes {
        assert!(body["paths"][path].is_object(), "{path}");
    }
    let documented = body["paths"].as_object().unwrap();
    assert_eq!(documented.len(), routes.len(), "{:?}", documented.keys());
    // With no app configured, no key is valid: creating a request is refused.
    let (s, body) = call(&r, "POST", "/v1/requests", Some("{}".into())).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
}

/// Over a real listener: a stand-in issuer serves its metadata, the verifier fetches it, and a
/// presentation goes through the verifier's own HTTP port.
#[tokio::test]
async fn real_listeners_fetch_metadata_and_verify() {
    let w = world();
    let md = signed(&metadata(w, &w.tree));
    let issuer = axum::Router::new().route(
        "/v1/metadata",
        axum::routing::get(move || {
            let md = md.clone();
            async move { axum::Json(md) }
        }),
    );
    let il = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer_url = format!("http://{}", il.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(il, issuer).await.unwrap() });

    let fetched = netid_verifier::fetch_metadata(&issuer_url)
        .await
        .unwrap()
        .open(Some(&metadata_key().verifying_key().to_bytes()))
        .unwrap();
    assert_eq!(fetched, metadata(w, &w.tree));
    let v = Arc::new(
        Verifier::with_policy(
            fetched,
            Arc::new(MemoryReplayCache::new()),
            netid_verifier::KeyPolicy::development(),
        )
        .unwrap(),
    );
    let shop = app(&w.registry, "shop.example", 2);
    let req = request(&shop, &[Suite::BbsShake256]);
    v.register(&req, NOW).await.unwrap();
    let vl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vaddr = vl.local_addr().unwrap();
    let r = router(keyed_state(v, vec![shop], Arc::new(|| NOW)));
    tokio::spawn(async move { axum::serve(vl, r).await.unwrap() });

    let p = serde_json::to_string(&bbs_present(w, 1, &req)).unwrap();
    let raw = format!(
        "POST /v1/presentations HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{p}",
        p.len()
    );
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(vaddr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.0 200"), "{out}");
    assert!(out.contains("\"suite\":\"bbs-shake256\""), "{out}");
}

async fn get_raw(app: &axum::Router, uri: &str, host: Option<&str>) -> axum::response::Response {
    let mut req = Request::builder().uri(uri);
    if let Some(h) = host {
        req = req.header("host", h);
    }
    app.clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn text(resp: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The operator's page and its assets, the app list, the QR code of a request, the rejected
/// status.
#[tokio::test]
async fn page_apps_qr_and_rejected_status() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let game = app(&w.registry, "game.example", 3);
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    let r = router(keyed_state(v.clone(), vec![shop, game], Arc::new(|| NOW)));

    for (path, ty) in [
        ("/", "text/html"),
        ("/static/app.js", "text/javascript"),
        ("/static/style.css", "text/css"),
    ] {
        let resp = get_raw(&r, path, None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(ty),
            "{path}"
        );
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
        let body = text(resp).await;
        // Nothing from elsewhere: no absolute URLs (CDNs) in the page or its assets.
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
    }
    let page = text(get_raw(&r, "/", None).await).await;
    assert!(page.contains("Verify age") && page.contains("验证年龄"));

    let (s, apps) = call(&r, "GET", "/v1/apps", None).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["game.example", "shop.example"]);
    assert_eq!(apps[1]["policy"]["age"], true);
    assert!(!apps.to_string().contains("key"), "{apps}");

    let create =
        r#"{"app_id":"shop.example","age_at_least":18,"pseudonym":true,"suites":["bbs-sha256"]}"#;
    let (s, body) = call(&r, "POST", "/v1/requests", Some(create.into())).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let created: CreatedRequest = serde_json::from_value(body).unwrap();

    let qr = format!("/v1/requests/{}/qr.svg", created.id);
    let resp = get_raw(&r, &qr, Some("127.0.0.1:8090")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = text(resp).await;
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
    assert_eq!(
        netid_verifier::service::qr_payload("http://127.0.0.1:8090/", &created.id),
        format!("http://127.0.0.1:8090/v1/requests/{}", created.id)
    );
    // A hostile Host header, and no Host at all, give no code; a configured public URL does.
    let resp = get_raw(&r, &qr, Some("x\"><script>")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = get_raw(&r, &qr, None).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let rp = router(
        keyed_state(v.clone(), vec![], Arc::new(|| NOW))
            .with_public_url("https://verify.shop.example/"),
    );
    assert_eq!(get_raw(&rp, &qr, None).await.status(), StatusCode::OK);
    // Unknown requests get no code.
    let unknown = format!("/v1/requests/{}/qr.svg", "00".repeat(32));
    let resp = get_raw(&r, &unknown, Some("localhost")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // A proof for another request relabelled as answering this one: rejected, counted, and the
    // request stays answerable.
    let other = request(&app(&w.registry, "shop.example", 2), &[Suite::BbsSha256]);
    let mut forged = bbs_present(w, 0, &other);
    forged.request_hash = created.request.request_hash();
    let (s, body) = call(
        &r,
        "POST",
        "/v1/presentations",
        Some(serde_json::to_string(&forged).unwrap()),
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected"))
    );
    let (_, body) = result(&r, &created.id).await;
    assert_eq!(
        (body["status"].as_str(), body["attempts"].as_u64()),
        (Some("rejected"), Some(1))
    );
    let p = bbs_present(w, 0, &created.request);
    let (s, body) = call(
        &r,
        "POST",
        "/v1/presentations",
        Some(serde_json::to_string(&p).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, body) = result(&r, &created.id).await;
    assert_eq!(body["status"], "verified");
}

/// A request from client address `ip` (as `netid_serve::serve` records the peer), with an
/// optional `x-forwarded-for`; status, `Retry-After` and body.
async fn call_from(
    app: &axum::Router,
    ip: [u8; 4],
    forwarded: Option<&str>,
    uri: &str,
    body: String,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", "verifier.test")
        .header(
            "authorization",
            format!("Bearer {}", api_key("shop.example").expose_secret()),
        )
        .header("content-type", "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 4000,
        ))));
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, retry, serde_json::from_slice(&bytes).unwrap())
}

/// Requests per client address and per app, presentations per client address: 429 with
/// Retry-After beyond the limit; behind a proxy the trusted header's address counts.
#[tokio::test]
async fn rate_limits_per_client_and_app() {
    use netid_serve::Limit;
    use netid_verifier::service::RateLimits;
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    let limits = RateLimits {
        requests_per_app: Limit::per_minute(3),
        requests_per_client: Limit::per_minute(2),
        presentations_per_client: Limit::per_minute(1),
    };
    let counter = Arc::new(netid_verifier::MemoryRateCounter::new());
    let state =
        keyed_state(v, vec![shop], Arc::new(|| NOW)).with_rate_limits(limits, counter.clone());
    let r = router(state.clone());
    let create = serde_json::json!({"age_at_least": 18, "suites": ["bbs-sha256"]}).to_string();
    let a = [192, 0, 2, 1];
    let (s, _, b1) = call_from(&r, a, None, "/v1/requests", create.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{b1}");
    let (s, _, _) = call_from(&r, a, None, "/v1/requests", create.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, retry, body) = call_from(&r, a, None, "/v1/requests", create.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "rate_limited");
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another client may still create one; then the app's limit (3) is reached for everyone.
    let (s, _, _) = call_from(&r, [192, 0, 2, 2], None, "/v1/requests", create.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, body) = call_from(&r, [192, 0, 2, 3], None, "/v1/requests", create.clone()).await;
    assert_eq!(
        (s, &body["error"]),
        (StatusCode::TOO_MANY_REQUESTS, &"rate_limited".into())
    );

    // Presentations per client: one, then 429 (unverified).
    let created: CreatedRequest = serde_json::from_value(b1).unwrap();
    let pj = serde_json::to_string(&bbs_present(w, 0, &created.request)).unwrap();
    let (s, _, body) = call_from(&r, a, None, "/v1/presentations", pj.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _, _) = call_from(&r, a, None, "/v1/presentations", pj.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    // Behind a proxy (all peers are the proxy), the forwarded address counts; a client's own
    // claims before the proxy's entry do not.
    let behind = router(
        state
            .with_rate_limits(limits, Arc::new(netid_verifier::MemoryRateCounter::new()))
            .with_client_header(axum::http::HeaderName::from_static("x-forwarded-for")),
    );
    let proxy = [10, 0, 0, 1];
    let (s, _, body) = call_from(
        &behind,
        proxy,
        Some("198.51.100.7"),
        "/v1/presentations",
        pj.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}"); // counted, verified: a replay
    let (s, _, _) = call_from(
        &behind,
        proxy,
        Some("1.1.1.1, 198.51.100.7"),
        "/v1/presentations",
        pj.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = call_from(
        &behind,
        proxy,
        Some("198.51.100.8"),
        "/v1/presentations",
        pj,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

/// The app-facing routes need the app's API key: creating without one (or with a wrong one) is
/// 401, naming another app than the key's is 403, only the creating app reads the result (any
/// other gets 404, as for an unknown id); the wallet's view holds the signed request and no
/// status; the request names its `response_uri`, signed.
#[tokio::test]
async fn app_credentials_guard_requests_and_results() {
    let w = world();
    let shop = app(&w.registry, "shop.example", 2);
    let game = app(&w.registry, "game.example", 3);
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    let r = router(keyed_state(v, vec![shop, game], Arc::new(|| NOW)));
    let create = r#"{"age_at_least":18,"suites":["bbs-sha256"]}"#;

    let (s, body) = call_as(&r, None, "POST", "/v1/requests", Some(create.into())).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let req = Request::builder()
        .method("POST")
        .uri("/v1/requests")
        .header("host", "verifier.test")
        .header("content-type", "application/json")
        .header(
            "authorization",
            "Bearer test-api-key-of-shop.example-0123456789abcdeX",
        )
        .body(Body::from(create))
        .unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    // game.example's key cannot create shop.example's requests.
    let (s, body) = call_as(
        &r,
        Some("game.example"),
        "POST",
        "/v1/requests",
        Some(r#"{"app_id":"shop.example","age_at_least":18}"#.into()),
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    // The key names the app.
    let (s, body) = call(&r, "POST", "/v1/requests", Some(create.into())).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let created: CreatedRequest = serde_json::from_value(body).unwrap();
    assert_eq!(created.request.app_id, "shop.example");
    // The answer goes to this service, and that is signed: a relay that rewrites it breaks the
    // app's signature.
    assert_eq!(
        created.request.response_uri.as_deref(),
        Some("http://verifier.test/v1/presentations")
    );
    let registry = w.registry.verifying_key();
    netid_core::verify_request(&created.request, &registry, NOW).unwrap();
    let mut moved = created.request.clone();
    moved.response_uri = Some("http://relay.example/v1/presentations".into());
    assert!(netid_core::verify_request(&moved, &registry, NOW).is_err());

    // The wallet's view: the signed request, no status, no key needed.
    let wallet = format!("/v1/requests/{}", created.id);
    let (s, body) = call_as(&r, None, "GET", &wallet, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["id"], created.id.as_str());
    assert!(
        body["request"].is_object() && body.get("status").is_none(),
        "{body}"
    );

    // The result: the creating app only.
    let result = format!("/v1/requests/{}/result", created.id);
    let (s, _) = call_as(&r, None, "GET", &result, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = call_as(&r, Some("game.example"), "GET", &result, None).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_request"))
    );
    let p = bbs_present(w, 0, &created.request);
    let (s, _) = call_as(
        &r,
        None,
        "POST",
        "/v1/presentations",
        Some(serde_json::to_string(&p).unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = call(&r, "GET", &result, None).await;
    assert_eq!(
        (s, body["status"].as_str()),
        (StatusCode::OK, Some("verified"))
    );
    let (_, body) = call_as(&r, None, "GET", &wallet, None).await;
    assert!(
        body.get("claims").is_none() && body.get("status").is_none(),
        "{body}"
    );

    // A configured public URL is the response_uri whatever the Host header says.
    let w2 = world();
    let v2 = Arc::new(verifier(w2, Arc::new(MemoryReplayCache::new())));
    let rp = router(
        keyed_state(
            v2,
            vec![app(&w2.registry, "shop.example", 2)],
            Arc::new(|| NOW),
        )
        .with_public_url("https://verify.shop.example/"),
    );
    let (s, body) = call(&rp, "POST", "/v1/requests", Some(create.into())).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["request"]["response_uri"],
        "https://verify.shop.example/v1/presentations"
    );
}

/// Signed metadata (specs/revocation.md §5): the verifier adopts newer metadata signed by the
/// pinned metadata key, and refuses, keeping the metadata in force, an older one (a rollback by
/// a relay or a lagging replica: a lower epoch, or the same epoch and a lower sequence), an
/// unsigned or tampered one, one signed by another key, and one naming another key.
#[test]
fn metadata_rollbacks_and_foreign_signatures_are_refused() {
    let w = world();
    let at = |epoch: u64, sequence: u64, tree: &RevocationTree| IssuerMetadata {
        epoch,
        sequence,
        ..metadata(w, tree)
    };
    let first = at(1, 5, &w.tree);
    let v = Verifier::with_policy(
        first.clone(),
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap();
    let revoked_more = RevocationTree::from_revoked([3, 5, 9]).unwrap();
    let newer = at(1, 6, &revoked_more);
    v.update_signed_metadata(&signed(&newer)).unwrap();
    assert_eq!(*v.keys().metadata(), newer);
    let refused = |doc: &netid_core::SignedMetadata, why: &str| {
        let e = v.update_signed_metadata(doc).unwrap_err();
        assert!(
            matches!(e, netid_verifier::VerifierError::InvalidMetadata(_)),
            "{why}: {e}"
        );
        assert_eq!(
            *v.keys().metadata(),
            newer,
            "{why}: the metadata in force changed"
        );
    };
    // Rollbacks: the earlier document (a revocation undone), an earlier epoch.
    refused(&signed(&first), "same epoch, lower sequence");
    refused(&signed(&at(0, 99, &revoked_more)), "lower epoch");
    // Not signed, or not by the pinned key.
    let newest = at(2, 0, &revoked_more);
    let mut unsigned = signed(&newest);
    unsigned.signature = Vec::new().into();
    refused(&unsigned, "no signature");
    let mut tampered = signed(&newest);
    let mut doc: serde_json::Value = serde_json::from_slice(tampered.document.as_slice()).unwrap();
    doc["revocation_root"] = serde_json::to_value(metadata(w, &w.tree).revocation_root).unwrap();
    tampered.document = serde_json::to_vec(&doc).unwrap().into();
    refused(&tampered, "document changed after signing");
    let other = SigningKey::from_bytes(&[0x4e; 32]);
    let own_key = IssuerMetadata {
        metadata_key: other.verifying_key().to_bytes().into(),
        ..newest.clone()
    };
    refused(
        &netid_core::SignedMetadata::sign(&own_key, &other).unwrap(),
        "another metadata key",
    );
    let forged = netid_core::SignedMetadata {
        signature: other
            .sign(
                &[
                    netid_core::METADATA_SIGNATURE_LABEL,
                    signed(&newest).document.as_slice(),
                ]
                .concat(),
            )
            .to_bytes()
            .to_vec()
            .into(),
        ..signed(&newest)
    };
    refused(&forged, "the pinned key named, another key signed");
    // Directly handed metadata is held to the same rules (the issuer's own verifier).
    assert!(v.update_metadata(first.clone()).is_err());
    assert!(v.update_metadata(own_key).is_err());
    // The genuine newer epoch is adopted.
    v.update_signed_metadata(&signed(&newest)).unwrap();
    assert_eq!(v.keys().metadata().epoch, 2);
}

/// A Groth16 presentation of the world's credential against `tree`'s root, naming `epoch`.
fn g16_present_under(
    w: &World,
    tree: &RevocationTree,
    epoch: u64,
    req: &netid_core::PresentationRequest,
) -> Presentation {
    use netid_circuits::suite::{self as g16, HolderCredential};
    let sig = g16::sign_credential(&w.g16_sk, &w.attrs).unwrap();
    let path = tree.path(w.attrs.rev_index.into()).unwrap();
    let mut p = g16::prove(
        groth16_keys(),
        &w.g16_sk.public_key(),
        tree.root(),
        HolderCredential {
            attributes: &w.attrs,
            signature: &sig,
            path: &path,
            secret: &netid_circuits::dev::sample_secret(),
        },
        req,
        &mut rand_core_06::OsRng,
    )
    .unwrap();
    p.epoch = Some(epoch);
    p
}

/// Grace epochs (specs/revocation.md §4): a verifier accepts presentations under the keys and
/// root of the current epoch and of the metadata's `previous_epochs`, each checked under the
/// epoch it names, and nothing older or unknown, in both suites; a presentation naming an epoch
/// newer than the verifier's makes it fetch the issuer's metadata first; past `valid_until`
/// without newer metadata it fails closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_epochs_accept_the_previous_epoch_and_nothing_older() {
    use netid_circuits::presentation::fr_to_bytes;
    use netid_core::EpochKeys;
    let w = world();
    let shop = app_in(&w.registry, "shop.example", 7, Suite::Groth16);
    // Epoch 1: the world's BBS keys and tree. Epochs 2 and 3: other BBS keys, one more slot
    // revoked.
    let e1 = IssuerMetadata {
        epoch_start: NOW as i64 - 100,
        ..metadata(w, &w.tree)
    };
    let tree2 = RevocationTree::from_revoked([3, 5, 9]).unwrap();
    let fresh_key = |cs| {
        netid_bbs::SecretKey::generate(cs, &mut rand::rng())
            .unwrap()
            .public_key()
            .to_bytes()
            .to_vec()
    };
    let next = |prev: &IssuerMetadata| IssuerMetadata {
        epoch: prev.epoch + 1,
        bbs_sha256_public_key: fresh_key(netid_bbs::Ciphersuite::Sha256).into(),
        bbs_shake256_public_key: fresh_key(netid_bbs::Ciphersuite::Shake256).into(),
        revocation_root: fr_to_bytes(&tree2.root()).to_vec().into(),
        previous_epochs: vec![prev.epoch_keys(prev.epoch).unwrap()],
        ..prev.clone()
    };
    let e2 = next(&e1);
    let e3 = next(&e2);
    assert_eq!(
        e2.previous_epochs,
        [EpochKeys {
            epoch: 1,
            revocation_root: e1.revocation_root.clone(),
            bbs_sha256_public_key: e1.bbs_sha256_public_key.clone(),
            bbs_shake256_public_key: e1.bbs_shake256_public_key.clone(),
        }]
    );
    let v = Verifier::with_policy(
        e1.clone(),
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap();
    v.update_metadata(e2.clone()).unwrap();
    // Presentations are built per request, so a helper makes one for a fresh request.
    let bbs_named = |epoch: Option<u64>| {
        let (v, shop) = (&v, &shop);
        async move {
            let req = request(shop, &[Suite::BbsSha256]);
            v.register(&req, NOW).await.unwrap();
            let mut p = bbs_present(w, 0, &req);
            p.epoch = epoch;
            v.verify(&req, &p, NOW).await
        }
    };
    let g16_named = |tree: &'static RevocationTree, epoch: u64| {
        let (v, shop) = (&v, &shop);
        async move {
            let req = request(shop, &[Suite::Groth16]);
            v.register(&req, NOW).await.unwrap();
            let p = g16_present_under(w, tree, epoch, &req);
            v.verify(&req, &p, NOW).await
        }
    };
    let tree2: &'static RevocationTree = Box::leak(Box::new(tree2));
    let rejected = |r: netid_verifier::Result<netid_verifier::VerifiedClaims>| {
        matches!(r, Err(netid_verifier::VerifierError::Rejected))
    };
    // At epoch 2: epoch 1's BBS credential and root are accepted when named; naming nothing
    // means the current epoch, whose key did not sign it; epoch 0 was never accepted.
    bbs_named(Some(1)).await.unwrap();
    assert!(rejected(bbs_named(None).await));
    assert!(rejected(bbs_named(Some(2)).await));
    assert!(rejected(bbs_named(Some(0)).await));
    g16_named(&w.tree, 1).await.unwrap();
    g16_named(tree2, 2).await.unwrap();
    assert!(
        rejected(g16_named(&w.tree, 2).await),
        "a root of another epoch"
    );
    // At epoch 3, epoch 1 is no longer a grace epoch.
    v.update_metadata(e3.clone()).unwrap();
    assert!(rejected(bbs_named(Some(1)).await));
    assert!(rejected(g16_named(&w.tree, 1).await));
    g16_named(tree2, 2).await.unwrap();
    // Fail closed: from valid_until on (the end of the epoch plus its grace epoch), with no
    // newer metadata, presentations are answered 503; before it they are checked.
    assert_eq!(e3.valid_until(), Some(NOW as i64 - 100 + 2 * 86_400));
    let short = IssuerMetadata {
        epoch: 4,
        epoch_length: 50,
        previous_epochs: vec![e3.epoch_keys(3).unwrap()],
        ..e3.clone()
    };
    assert_eq!(short.valid_until(), Some(NOW as i64));
    v.update_metadata(short).unwrap();
    for (at, closed) in [(NOW - 1, false), (NOW, true)] {
        let req = request(&shop, &[Suite::Groth16]);
        v.register(&req, NOW - 1).await.unwrap();
        let p = g16_present_under(w, tree2, 3, &req);
        let r = v.verify(&req, &p, at).await;
        if closed {
            assert!(
                matches!(r, Err(netid_verifier::VerifierError::Issuer(_))),
                "{r:?}"
            );
        } else {
            r.unwrap();
        }
    }

    // A verifier at epoch 1 that can reach the issuer (serving epoch 2) fetches it when a
    // presentation names epoch 2; one that cannot refuses the presentation.
    let served = signed(&e2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let issuer = axum::Router::new().route(
        "/v1/metadata",
        axum::routing::get(move || {
            let served = served.clone();
            async move { axum::Json(served) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, issuer).await.unwrap() });
    for (catch_up, accepted) in [(false, false), (true, true)] {
        let mut v1 = Verifier::with_policy(
            e1.clone(),
            Arc::new(MemoryReplayCache::new()),
            netid_verifier::KeyPolicy::development(),
        )
        .unwrap();
        if catch_up {
            v1 = v1.with_catch_up(&url);
        }
        let req = request(&shop, &[Suite::Groth16]);
        v1.register(&req, NOW).await.unwrap();
        let p = g16_present_under(w, tree2, 2, &req);
        assert_eq!(v1.verify(&req, &p, NOW).await.is_ok(), accepted);
        assert_eq!(v1.keys().metadata().epoch, if catch_up { 2 } else { 1 });
    }
}

/// The record of `md`'s epoch, as an issuer signs it at the seal, after `prev`.
fn record_of(
    md: &IssuerMetadata,
    prev: Option<&netid_core::EpochRecord>,
) -> netid_core::EpochRecord {
    netid_core::EpochRecord {
        epoch: md.epoch,
        start: md.epoch_start,
        length: md.epoch_length,
        revocation_root: md.revocation_root.as_slice().try_into().unwrap(),
        bbs_sha256_public_key: md.bbs_sha256_public_key.as_slice().try_into().unwrap(),
        bbs_shake256_public_key: md.bbs_shake256_public_key.as_slice().try_into().unwrap(),
        revoked_total: md.epoch,
        prev: prev.map_or([0; 32], netid_core::EpochRecord::hash),
    }
}

/// Epoch records (specs/revocation.md §5): a verifier adopts a newer document only when its
/// records descend from the record in force — directly, or through the records between,
/// which `refresh_from` fetches — and refuses a fork (another history signed with the same
/// key) or a document without records.
#[tokio::test]
async fn epoch_records_must_descend_from_the_one_in_force() {
    let w = world();
    let base = metadata(w, &w.tree);
    let other_tree = RevocationTree::from_revoked([3, 5, 11]).unwrap();
    let other_root = metadata(w, &other_tree).revocation_root;
    // Documents of epochs 1..=8 and their chained records; a document carries its record
    // and the one before (K = 1).
    let mut docs: Vec<IssuerMetadata> = Vec::new();
    let mut records: Vec<netid_core::EpochRecord> = Vec::new();
    for e in 1..=8u64 {
        let md = IssuerMetadata {
            epoch: e,
            epoch_start: base.epoch_start + i64::try_from(e - 1).unwrap() * 86_400,
            ..base.clone()
        };
        records.push(record_of(&md, records.last()));
        docs.push(md);
    }
    let key = metadata_key();
    let carrying = |e: usize, rs: &[netid_core::EpochRecord]| -> netid_core::SignedMetadata {
        let mut md = docs[e - 1].clone();
        md.epoch_records = rs.iter().rev().map(|r| r.sign(&key)).collect();
        signed(&md)
    };
    let chain = |e: usize| carrying(e, &records[e.saturating_sub(2)..e]);
    let first = netid_core::SignedMetadata::open(&chain(1), None).unwrap();
    let v = Verifier::with_policy(
        first,
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )
    .unwrap();
    v.update_signed_metadata(&chain(2)).unwrap();
    let in_force = |v: &Verifier| v.keys().metadata().epoch;

    // A fork: epoch 2 again with another root (signed by the metadata key), then epoch 3 on
    // top of it. Both are refused and epoch 2 stays.
    let mut forked2 = docs[1].clone();
    forked2.revocation_root = other_root.clone();
    let r2f = record_of(&forked2, Some(&records[0]));
    let mut forked3 = docs[2].clone();
    forked3.epoch_records = vec![record_of(&docs[2], Some(&r2f)).sign(&key), r2f.sign(&key)];
    let e = v.update_signed_metadata(&signed(&forked3)).unwrap_err();
    assert!(
        matches!(e, netid_verifier::VerifierError::InvalidMetadata(ref m) if m.contains("fork")),
        "{e}"
    );
    assert_eq!(in_force(&v), 2);
    // A document without records, after documents with them (a downgrade).
    assert!(v.update_signed_metadata(&signed(&docs[2])).is_err());
    assert_eq!(in_force(&v), 2);
    // Three epochs on: the records between are needed, and with them it links.
    let five = chain(5);
    let e = v.update_signed_metadata(&five).unwrap_err();
    assert!(
        matches!(
            e,
            netid_verifier::VerifierError::EpochGap {
                after: 2,
                before: 4
            }
        ),
        "{e}"
    );
    assert_eq!(in_force(&v), 2);
    assert!(v
        .update_signed_metadata_bridged(&five, &[r2f.sign(&key)])
        .is_err());
    v.update_signed_metadata_bridged(&five, &[records[2].sign(&key)])
        .unwrap();
    assert_eq!(in_force(&v), 5);

    // Through an issuer: refresh_from fetches the records between, page by page; an issuer
    // serving a forked bridge is refused.
    for (honest, adopted) in [(false, 5), (true, 8)] {
        let served = chain(8);
        let mut all: Vec<netid_core::SignedEpochRecord> =
            records.iter().map(|r| r.sign(&key)).collect();
        if !honest {
            let mut six = docs[5].clone();
            six.revocation_root = other_root.clone();
            all[5] = record_of(&six, Some(&records[4])).sign(&key);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let issuer =
            axum::Router::new()
                .route(
                    "/v1/metadata",
                    axum::routing::get(move || {
                        let served = served.clone();
                        async move { axum::Json(served) }
                    }),
                )
                .route(
                    "/v1/epochs/records",
                    axum::routing::get(
                        move |q: axum::extract::Query<
                            std::collections::HashMap<String, String>,
                        >| {
                            let after: u64 = q.get("after").unwrap().parse().unwrap();
                            // Pages of one record, to walk the pages.
                            let page: Vec<_> = all
                                .iter()
                                .filter(|r| {
                                    netid_core::EpochRecord::from_bytes(r.record.as_slice())
                                        .unwrap()
                                        .epoch
                                        > after
                                })
                                .take(1)
                                .cloned()
                                .collect();
                            async move {
                                axum::Json(netid_core::issuer_api::EpochRecords { records: page })
                            }
                        },
                    ),
                );
        tokio::spawn(async move { axum::serve(listener, issuer).await.unwrap() });
        let r = v.refresh_from(&url).await;
        assert_eq!(r.is_ok(), honest, "{r:?}");
        assert_eq!(in_force(&v), adopted);
    }
}
