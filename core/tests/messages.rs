//! Requests, presentations, base64url and secrets.
#![allow(clippy::unwrap_used)]

use netid_core::{
    b64, b64::Bytes, AssuranceLevel, Attribute, AttributeSet, Audience, CoreError, Date,
    DisclosedAttributes, DisclosedValue, Nonce, Nym, Passphrase, Presentation, PresentationRequest,
    SecretBytes, SecretKeyBytes, Statements, Suite,
};
use proptest::prelude::*;
use subtle::ConstantTimeEq;

fn request() -> PresentationRequest {
    PresentationRequest {
        version: 1,
        app_id: "cn.example.shop".into(),
        nonce: Nonce::new([7; 32]),
        expires_at: 1_772_323_200,
        statements: Statements {
            today: Date::from_ymd(2026, 3, 1).unwrap(),
            age_at_least: Some(18),
            assurance_at_least: Some(AssuranceLevel::InPerson),
            disclose: AttributeSet::from([Attribute::Expiry, Attribute::GivenName]),
            pseudonym: true,
            not_expired: true,
        },
        suites: vec![Suite::Groth16],
        app_certificate: vec![1, 2, 3].into(),
        response_uri: Some("https://verify.shop.example/v1/presentations".into()),
        signature: vec![9; 64].into(),
    }
}

fn presentation(r: &PresentationRequest) -> Presentation {
    let mut disclosed = DisclosedAttributes::new();
    disclosed
        .insert(Attribute::GivenName, DisclosedValue::Text("丽".into()))
        .unwrap();
    disclosed
        .insert(
            Attribute::Expiry,
            DisclosedValue::Date(Date::from_ymd(2036, 2, 28).unwrap()),
        )
        .unwrap();
    Presentation {
        version: 1,
        suite: Suite::Groth16,
        request_hash: r.request_hash(),
        disclosed,
        pseudonym: Some(vec![0xab; 48].into()),
        proof: vec![0xcd; 128].into(),
        epoch: Some(7),
    }
}

/// Test vector, also in specs/credential.md (computed independently from the spec's text).
const SIGNING_BYTES_HEX: &str = "000000106e657469642f76312f7265717565737400010000000f636e2e6578616d706c652e73686f7007070707070707070707070707070707070707070707070707070707070707070000000069a381800000b4000112010202040101010300000003010203010000002c68747470733a2f2f7665726966792e73686f702e6578616d706c652f76312f70726573656e746174696f6e73";
const REQUEST_HASH_HEX: &str = "73eb0e07b9e6516145cb8e8cd2456bebff03a8cabbd87cf1515b9e20ae246b23";

#[test]
fn request_vector() {
    let r = request();
    r.validate(Audience::App).unwrap();
    assert_eq!(hex::encode(r.signing_bytes()), SIGNING_BYTES_HEX);
    assert_eq!(hex::encode(r.request_hash()), REQUEST_HASH_HEX);
    assert_eq!(
        hex::encode(r.statements.to_bytes()),
        "0000b4000112010202040101"
    );
}

#[test]
fn request_json() {
    let r = request();
    let v = serde_json::to_value(&r).unwrap();
    let expected = serde_json::json!({
        "version": 1,
        "app_id": "cn.example.shop",
        "nonce": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
        "expires_at": 1_772_323_200u64,
        "statements": {
            "today": "2026-03-01",
            "age_at_least": 18,
            "assurance_at_least": 2,
            "disclose": ["given_name", "expiry"],
            "pseudonym": true,
            "not_expired": true
        },
        "suites": ["groth16"],
        "app_certificate": "AQID",
        "response_uri": "https://verify.shop.example/v1/presentations",
        "signature": b64::encode([9; 64]),
    });
    assert_eq!(v, expected);
    assert_eq!(serde_json::from_value::<PresentationRequest>(v).unwrap(), r);
    // Optional statements may be left out.
    let minimal: Statements = serde_json::from_str(r#"{"today":"2026-03-01"}"#).unwrap();
    assert_eq!(
        minimal,
        Statements::new(Date::from_ymd(2026, 3, 1).unwrap())
    );
}

#[test]
fn request_json_rejects() {
    let good = serde_json::to_value(request()).unwrap();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "nonce",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into(),
        ),
        (
            "nonce",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd".into(),
        ), // non-zero trailing bits
        ("nonce", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw".into()), // wrong length
        (
            "nonce",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH+wc".into(),
        ), // standard alphabet
        ("app_certificate", "AQI D".into()),
        ("signature", "AQID==".into()),
        ("suites", serde_json::json!(["bbs"])),
        ("expires_at", (-1).into()),
        ("response_uri", 1.into()),
        ("unknown", 1.into()),
    ];
    for (field, value) in cases {
        let mut v = good.clone();
        v[field] = value;
        assert!(
            serde_json::from_value::<PresentationRequest>(v).is_err(),
            "{field}"
        );
    }
    let mut v = good.clone();
    v["statements"]["disclose"] = serde_json::json!(["given_name", "given_name"]);
    assert!(serde_json::from_value::<PresentationRequest>(v).is_err());
    let mut v = good.clone();
    v["statements"]["today"] = "2026-02-29".into();
    assert!(serde_json::from_value::<PresentationRequest>(v).is_err());
    let mut v = good;
    v["statements"]["assurance_at_least"] = 3.into();
    assert!(serde_json::from_value::<PresentationRequest>(v).is_err());
}

#[test]
fn request_validation() {
    let check = |f: &dyn Fn(&mut PresentationRequest)| {
        let mut r = request();
        f(&mut r);
        r.validate(Audience::App)
    };
    assert!(check(&|_| ()).is_ok());
    assert_eq!(
        check(&|r| r.version = 2),
        Err(CoreError::UnsupportedVersion {
            what: "request",
            version: 2
        })
    );
    assert!(matches!(
        check(&|r| r.app_id.clear()),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.app_id = "a b".into()),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.app_id = "应用".into()),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.app_id = "a".repeat(129)),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.suites.clear()),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.suites.push(Suite::Groth16)),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.app_certificate = vec![0; 8193].into()),
        Err(CoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        check(&|r| r.signature = vec![0; 1025].into()),
        Err(CoreError::InvalidRequest(_))
    ));
    for bad in [
        "",
        "ftp://verify.example/x",
        "verify.example/v1/presentations",
        "https://",
        "https:///v1/presentations",
        "https://user@verify.example/",
        "https://verify.example/v1/presentations#frag",
        "https://verify.example/a b",
        "https://verify.example/\u{7f}",
    ] {
        assert!(
            matches!(
                check(&|r| r.response_uri = Some(bad.into())),
                Err(CoreError::InvalidRequest(_))
            ),
            "{bad:?}"
        );
    }
    let long = format!("https://v.example/{}", "a".repeat(512));
    assert!(check(&|r| r.response_uri = Some(long.clone())).is_err());
    for good in [
        "http://127.0.0.1:8090/v1/presentations",
        "https://v.example",
        "https://v.example?x=1",
    ] {
        assert!(
            check(&|r| r.response_uri = Some(good.into())).is_ok(),
            "{good}"
        );
    }
    assert!(check(&|r| r.response_uri = None).is_ok());
    assert!(matches!(
        check(&|r| r.statements.age_at_least = Some(0)),
        Err(CoreError::InvalidStatements(_))
    ));
    assert_eq!(
        check(&|r| r.statements.age_at_least = Some(127)),
        Err(CoreError::AgeCutoffOutOfRange { years: 127 })
    );
    for a in [Attribute::Netid, Attribute::IdHash, Attribute::RevIndex] {
        assert_eq!(
            check(&|r| {
                r.statements.disclose.insert(a);
            }),
            Err(CoreError::NotDisclosable {
                attribute: a,
                audience: Audience::App
            })
        );
        let mut r = request();
        r.statements.disclose.insert(a);
        r.validate(Audience::Issuer).unwrap();
    }
    for never in [Attribute::Nym, Attribute::Binding] {
        let mut r = request();
        r.statements.disclose.insert(never);
        assert!(r.validate(Audience::Issuer).is_err());
        assert!(r.validate(Audience::App).is_err());
    }
    let r = request();
    assert!(!r.is_expired_at(r.expires_at - 1));
    assert!(r.is_expired_at(r.expires_at));
    assert_eq!(
        r.statements.age_cutoff().unwrap(),
        Some(Date::from_ymd(2008, 3, 1).unwrap())
    );
}

#[test]
fn every_field_is_bound() {
    let base = request();
    let h = base.request_hash();
    type Edit = Box<dyn Fn(&mut PresentationRequest)>;
    let variants: Vec<Edit> = vec![
        Box::new(|r| r.app_id.push('x')),
        Box::new(|r| r.nonce = Nonce::new([8; 32])),
        Box::new(|r| r.expires_at += 1),
        Box::new(|r| r.statements.today = r.statements.today.checked_add_days(1).unwrap()),
        Box::new(|r| r.statements.age_at_least = Some(19)),
        Box::new(|r| r.statements.age_at_least = None),
        Box::new(|r| r.statements.assurance_at_least = Some(AssuranceLevel::Remote)),
        Box::new(|r| r.statements.assurance_at_least = None),
        Box::new(|r| {
            r.statements.disclose.remove(Attribute::Expiry);
        }),
        Box::new(|r| r.statements.pseudonym = false),
        Box::new(|r| r.statements.not_expired = false),
        Box::new(|r| r.suites = vec![Suite::BbsSha256]),
        Box::new(|r| r.suites.push(Suite::BbsShake256)),
        Box::new(|r| r.suites.insert(0, Suite::BbsShake256)),
        Box::new(|r| r.app_certificate = vec![1, 2].into()),
        Box::new(|r| r.response_uri = None),
        Box::new(|r| r.response_uri = Some("https://evil.example/v1/presentations".into())),
        Box::new(|r| r.version = 2),
    ];
    for (i, f) in variants.iter().enumerate() {
        let mut r = base.clone();
        f(&mut r);
        assert_ne!(r.request_hash(), h, "variant {i}");
    }
    // The signature is not signed over.
    let mut r = base.clone();
    r.signature = vec![].into();
    assert_eq!(r.request_hash(), h);
    assert_eq!(r.signing_bytes(), base.signing_bytes());
}

#[test]
fn presentation_json_and_check() {
    let r = request();
    let p = presentation(&r);
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["suite"], "groth16");
    assert_eq!(v["request_hash"], b64::encode(r.request_hash()));
    assert_eq!(
        v["disclosed"],
        serde_json::json!({"given_name": "丽", "expiry": "2036-02-28"})
    );
    assert_eq!(v["pseudonym"], b64::encode([0xab; 48]));
    assert_eq!(v["epoch"], 7);
    let back: Presentation = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, p);
    p.check_answers(&r).unwrap();
    // Without an epoch the field is left out, and its absence reads back as none.
    let mut plain = p.clone();
    plain.epoch = None;
    let w = serde_json::to_value(&plain).unwrap();
    assert!(w.get("epoch").is_none(), "{w}");
    assert_eq!(serde_json::from_value::<Presentation>(w).unwrap(), plain);

    let check = |f: &dyn Fn(&mut Presentation)| {
        let mut p = presentation(&r);
        f(&mut p);
        p.check_answers(&r)
    };
    assert!(matches!(
        check(&|p| p.version = 0),
        Err(CoreError::UnsupportedVersion { .. })
    ));
    let bad =
        |e: Result<(), CoreError>| assert!(matches!(e, Err(CoreError::InvalidPresentation(_))));
    bad(check(&|p| p.suite = Suite::BbsShake256));
    bad(check(&|p| p.request_hash[0] ^= 1));
    bad(check(&|p| p.disclosed = DisclosedAttributes::new()));
    bad(check(&|p| {
        p.disclosed
            .insert(Attribute::Birthdate, DisclosedValue::Date(Date::MIN))
            .unwrap();
    }));
    bad(check(&|p| p.pseudonym = None));
    bad(check(&|p| p.proof = Bytes::default()));

    let mut v2 = v.clone();
    v2["disclosed"]["nym"] = "AA".into();
    assert!(serde_json::from_value::<Presentation>(v2).is_err());
    let mut v2 = v.clone();
    v2["proof"] = "not base64!".into();
    assert!(serde_json::from_value::<Presentation>(v2).is_err());
    let mut v2 = v.clone();
    v2["request_hash"] = "AAAA".into();
    assert!(serde_json::from_value::<Presentation>(v2).is_err());
    let mut v2 = v;
    v2.as_object_mut().unwrap().remove("pseudonym");
    v2.as_object_mut().unwrap().remove("disclosed");
    let p2: Presentation = serde_json::from_value(v2).unwrap();
    assert!(p2.pseudonym.is_none() && p2.disclosed.is_empty());
}

#[test]
fn suites() {
    for (i, s) in Suite::ALL.into_iter().enumerate() {
        assert_eq!(usize::from(s.code()), i + 1);
        assert_eq!(Suite::from_code(s.code()).unwrap(), s);
        assert_eq!(s.name().parse::<Suite>().unwrap(), s);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.name())
        );
    }
    assert!(Suite::from_code(0).is_err());
    assert!("BBS-SHA256".parse::<Suite>().is_err());
}

#[test]
fn base64url() {
    assert_eq!(b64::encode([0xfb, 0xff]), "-_8");
    assert_eq!(b64::decode("-_8", "x").unwrap(), vec![0xfb, 0xff]);
    assert_eq!(b64::decode("", "x").unwrap(), Vec::<u8>::new());
    for bad in ["+/8", "-_8=", "-_9", "A", "AA AA", "AA\n", "é"] {
        assert_eq!(
            b64::decode(bad, "x"),
            Err(CoreError::InvalidBase64 { what: "x" }),
            "{bad:?}"
        );
    }
    assert_eq!(
        b64::decode_array::<4>("AQID", "x"),
        Err(CoreError::InvalidLength {
            what: "x",
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(format!("{:?}", Bytes::from(vec![0xab, 1])), "Bytes(ab01)");
}

#[test]
fn secrets_are_redacted_and_compared_in_constant_time() {
    let nym = Nym::from_prf_output(&[0x5a; 32]);
    assert_eq!(format!("{nym:?}"), "Nym(<redacted>)");
    let k: SecretKeyBytes = SecretBytes::new([0x5a; 32]);
    assert_eq!(format!("{k:?}"), "SecretBytes<32>(<redacted>)");
    let p = Passphrase::new("correct horse battery staple".into());
    assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
    assert!(bool::from(nym.ct_eq(&nym.clone())));
    assert!(bool::from(!nym.ct_eq(&Nym::from_prf_output(&[0x5b; 32]))));
    assert_eq!(k, SecretBytes::from_slice(&[0x5a; 32]).unwrap());
    assert_ne!(k, SecretBytes::new([0x5b; 32]));
    assert!(SecretKeyBytes::from_slice(&[0; 31]).is_err());
    assert_eq!(
        p,
        Passphrase::from("correct horse battery staple".to_owned())
    );
    assert_ne!(p, Passphrase::new("correct horse battery stapler".into()));
    assert_eq!(p.expose_secret(), "correct horse battery staple");
    let json = serde_json::to_string(&nym).unwrap();
    assert_eq!(serde_json::from_str::<Nym>(&json).unwrap(), nym);
    // Error messages carry no values.
    let e = Date::from_ymd(2023, 2, 29).unwrap_err().to_string();
    assert!(!e.contains("2023"), "{e}");
    let e = Nym::from_be_bytes(&[0xff; 32]).err().unwrap().to_string();
    assert!(!e.to_lowercase().contains("ff"), "{e}");
}

fn any_statements() -> impl Strategy<Value = Statements> {
    (
        0..=Date::MAX.days(),
        proptest::option::of(any::<u8>()),
        proptest::option::of(prop_oneof![
            Just(AssuranceLevel::Remote),
            Just(AssuranceLevel::InPerson)
        ]),
        0u16..(1 << 12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(today, age, assurance, bits, pseudonym, not_expired)| Statements {
                today: Date::from_days(today).unwrap(),
                age_at_least: age,
                assurance_at_least: assurance,
                disclose: Attribute::ALL
                    .into_iter()
                    .filter(|a| bits & (1 << a.index()) != 0)
                    .collect(),
                pseudonym,
                not_expired,
            },
        )
}

fn any_request() -> impl Strategy<Value = PresentationRequest> {
    (
        "[!-~]{1,40}",
        any::<[u8; 32]>(),
        any::<u64>(),
        any_statements(),
        proptest::sample::subsequence(Suite::ALL.to_vec(), 0..=3).prop_shuffle(),
        proptest::collection::vec(any::<u8>(), 0..100),
        proptest::collection::vec(any::<u8>(), 0..100),
        proptest::option::of("https?://[!-~]{0,30}"),
    )
        .prop_map(
            |(app_id, nonce, expires_at, statements, suites, cert, sig, response_uri)| {
                PresentationRequest {
                    version: 1,
                    app_id,
                    nonce: Nonce::new(nonce),
                    expires_at,
                    statements,
                    suites,
                    app_certificate: cert.into(),
                    response_uri,
                    signature: sig.into(),
                }
            },
        )
}

proptest! {
    #[test]
    fn request_json_round_trip(r in any_request()) {
        let json = serde_json::to_string(&r).unwrap();
        let back: PresentationRequest = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.signing_bytes(), r.signing_bytes());
        prop_assert_eq!(back.request_hash(), r.request_hash());
        prop_assert_eq!(&back, &r);
    }

    #[test]
    fn statements_bytes_injective(a in any_statements(), b in any_statements()) {
        prop_assert_eq!(a == b, a.to_bytes() == b.to_bytes());
    }

    #[test]
    fn signing_bytes_injective(a in any_request(), b in any_request()) {
        let same = PresentationRequest { signature: Bytes::default(), ..a.clone() }
            == PresentationRequest { signature: Bytes::default(), ..b.clone() };
        prop_assert_eq!(same, a.signing_bytes() == b.signing_bytes());
    }

    #[test]
    fn presentation_json_round_trip(
        hash in any::<[u8; 32]>(),
        suite in prop_oneof![Just(Suite::BbsSha256), Just(Suite::BbsShake256), Just(Suite::Groth16)],
        pseudonym in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        proof in proptest::collection::vec(any::<u8>(), 0..300),
        assurance in 1u64..=2,
        epoch in proptest::option::of(any::<u64>()),
    ) {
        let mut disclosed = DisclosedAttributes::new();
        disclosed.insert(Attribute::Assurance, DisclosedValue::Integer(assurance)).unwrap();
        let p = Presentation {
            version: 1,
            suite,
            request_hash: hash,
            disclosed,
            pseudonym: pseudonym.map(Bytes::from),
            proof: proof.into(),
            epoch,
        };
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<Presentation>(&json).unwrap(), p);
    }

    #[test]
    fn b64_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = b64::encode(&bytes);
        prop_assert!(s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        prop_assert_eq!(b64::decode(&s, "x").unwrap(), bytes.clone());
        let json = serde_json::to_string(&Bytes::from(bytes.clone())).unwrap();
        prop_assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap().into_vec(), bytes);
    }

    #[test]
    fn b64_decode_never_panics(s in "\\PC{0,64}") {
        let _ = b64::decode(&s, "x");
    }

    #[test]
    fn nonce_round_trip(n in any::<[u8; 32]>()) {
        let nonce = Nonce::new(n);
        let json = serde_json::to_string(&nonce).unwrap();
        prop_assert_eq!(serde_json::from_str::<Nonce>(&json).unwrap(), nonce);
        prop_assert_eq!(Nonce::from_slice(&n).unwrap(), nonce);
    }
}
