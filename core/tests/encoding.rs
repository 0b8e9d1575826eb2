//! Attribute schema and encodings: round trips, range checks, fixed vectors.
#![allow(clippy::unwrap_used)]

use netid_core::{
    device_key_digest, dst, AssuranceLevel, Attribute, AttributeKind, AttributeSet, Audience,
    CoreError, CredentialAttributes, Date, DisclosedAttributes, DisclosedValue, DocType,
    EncodedAttribute, EncodedCredential, HolderBinding, Nym,
};
use proptest::prelude::*;

fn credential() -> CredentialAttributes {
    CredentialAttributes {
        netid: "NID7Q2KX9M4".into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: [0x11; 32],
        birthdate: Date::from_ymd(2008, 2, 29).unwrap(),
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::InPerson,
        nym: Nym::from_prf_output(&[0x22; 32]),
        binding: HolderBinding::from_be_bytes(&hex32(BINDING)).unwrap(),
        expiry: Date::from_ymd(2036, 2, 28).unwrap(),
        rev_index: 42,
        guardian_perms: 0b101,
    }
}

/// `Poseidon(s)` over BN254 for the wallet secret `s = 0x00 ‖ 0x33 × 31` (netid-circuits checks
/// this value against its Poseidon, and circomlibjs agrees with that).
pub const BINDING: &str = "131769d8ef4af9366b5cd997fa0ee52f38b1a0e137ed1a6d9e8fa1ea49ee9695";

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

#[test]
fn schema_order_and_names() {
    let names = [
        "netid",
        "family_name",
        "given_name",
        "id_hash",
        "birthdate",
        "doc_type",
        "assurance",
        "nym",
        "binding",
        "expiry",
        "rev_index",
        "guardian_perms",
    ];
    assert_eq!(Attribute::ALL.len(), 12);
    for (i, (a, n)) in Attribute::ALL.iter().zip(names).enumerate() {
        assert_eq!(a.index(), i);
        assert_eq!(a.name(), n);
        assert_eq!(Attribute::from_name(n).unwrap(), *a);
        assert_eq!(Attribute::from_index(i).unwrap(), *a);
        assert_eq!(n.parse::<Attribute>().unwrap(), *a);
        assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{n}\""));
        assert_eq!(
            serde_json::from_str::<Attribute>(&format!("\"{n}\"")).unwrap(),
            *a
        );
    }
    assert!(matches!(
        Attribute::from_name("Given_Name"),
        Err(CoreError::UnknownAttribute(_))
    ));
    assert_eq!(
        Attribute::from_index(12),
        Err(CoreError::UnknownAttributeIndex(12))
    );
    use AttributeKind::*;
    let kinds = [
        Text, Text, Text, Digest, Date, Integer, Integer, Secret, Binding, Date, Integer, Integer,
    ];
    for (a, k) in Attribute::ALL.iter().zip(kinds) {
        assert_eq!(a.kind(), k, "{a}");
    }
}

#[test]
fn disclosure_rule() {
    for a in Attribute::ALL {
        let to_app = a.is_disclosable_to(Audience::App);
        let to_issuer = a.is_disclosable_to(Audience::Issuer);
        match a {
            Attribute::Nym | Attribute::Binding => assert!(!to_app && !to_issuer),
            Attribute::Netid | Attribute::IdHash | Attribute::RevIndex => {
                assert!(!to_app && to_issuer)
            }
            _ => assert!(to_app && to_issuer),
        }
        assert_eq!(a.check_disclosable(Audience::App).is_ok(), to_app);
    }
    assert_eq!(
        Attribute::Nym.check_disclosable(Audience::Issuer),
        Err(CoreError::NotDisclosable {
            attribute: Attribute::Nym,
            audience: Audience::Issuer
        })
    );
}

#[test]
fn text_vectors() {
    // SHA-256("netid/v1/attr/" || name || 0x00 || utf8(value)), first 31 bytes, behind 0x00.
    let cases = [
        (
            Attribute::GivenName,
            "丽",
            "00d8ded42ec5e38922a57f9463f986e6d5b75da4b48ddc4766077a880542cbcd",
        ),
        (
            Attribute::FamilyName,
            "王",
            "00e9c646552f959f55a919cddf64e97c7a85f928fb3cd8d608fb33282a442f1c",
        ),
        (
            Attribute::Netid,
            "NID7Q2KX9M4",
            "000def65613b8b04a2e3c723b758f9051fa34bf94677109f0e2c20a59d12df13",
        ),
        (
            Attribute::FamilyName,
            "",
            "003e88c9718635e18aa11b4c509841dd6693e91a28519fa42ae9df0bc56ccfb0",
        ),
    ];
    for (a, v, h) in cases {
        assert_eq!(
            EncodedAttribute::from_text(a, v).to_be_bytes(),
            hex32(h),
            "{a} {v}"
        );
    }
    // The attribute name separates domains: the same string differs per attribute.
    assert_ne!(
        EncodedAttribute::from_text(Attribute::GivenName, "王"),
        EncodedAttribute::from_text(Attribute::FamilyName, "王")
    );
    assert_eq!(
        device_key_digest(b"device public key bytes"),
        hex32("54a441dbdb16475a21b4552d1e47ec7e85e347f03359610c9c1c75ec8444fbf2")
    );
}

#[test]
fn credential_encoding() {
    let c = credential();
    c.validate().unwrap();
    let e = c.encode();
    assert_eq!(e.len(), 12);
    assert_eq!(
        e[Attribute::Netid],
        EncodedAttribute::from_text(Attribute::Netid, "NID7Q2KX9M4")
    );
    assert_eq!(
        e[Attribute::GivenName].to_be_bytes(),
        hex32("00d8ded42ec5e38922a57f9463f986e6d5b75da4b48ddc4766077a880542cbcd")
    );
    let mut id = [0x11; 32];
    id[0] = 0;
    assert_eq!(e[Attribute::IdHash].to_be_bytes(), id);
    assert_eq!(e[Attribute::Birthdate].as_u64(), Some(39_505));
    assert_eq!(e[Attribute::DocType].as_u64(), Some(1));
    assert_eq!(e[Attribute::Assurance].as_u64(), Some(2));
    let mut nym = [0x22; 32];
    nym[0] = 0;
    assert_eq!(e[Attribute::Nym].to_be_bytes(), nym);
    assert_eq!(e[Attribute::Nym].as_u64(), None);
    assert_eq!(
        e[Attribute::Expiry].as_u64(),
        Some(u64::from(c.expiry.days()))
    );
    assert_eq!(e[Attribute::RevIndex].as_u64(), Some(42));
    assert_eq!(e[Attribute::GuardianPerms].as_u64(), Some(5));
    assert_eq!(e[Attribute::Binding].to_be_bytes(), hex32(BINDING));
    assert_eq!(e[Attribute::Binding].as_u64(), None);
    for (i, a) in Attribute::ALL.into_iter().enumerate() {
        assert_eq!(e[i], c.encode_attribute(a));
        // Below 2^248, except the binding (a BN254 field element).
        assert!(e[i].to_be_bytes()[0] == 0 || a == Attribute::Binding);
        if let Some(v) = c.disclosed_value(a) {
            assert_eq!(v.encode(a).unwrap(), e[i]);
        }
    }
    assert!(c.disclosed_value(Attribute::Nym).is_none());
    assert!(c.disclosed_value(Attribute::Binding).is_none());
    assert_eq!(format!("{e:?}"), "EncodedCredential(<redacted>)");
    assert_eq!(EncodedCredential::new(*e.as_array()), e);
}

#[test]
fn credential_validation() {
    let ok = credential();
    let bad = |f: &dyn Fn(&mut CredentialAttributes), attr: Attribute| {
        let mut c = ok.clone();
        f(&mut c);
        match c.validate() {
            Err(CoreError::InvalidAttributeValue { attribute, .. }) => assert_eq!(attribute, attr),
            other => panic!("expected invalid {attr}, got {other:?}"),
        }
    };
    bad(&|c| c.netid.clear(), Attribute::Netid);
    bad(&|c| c.netid = "a".repeat(65), Attribute::Netid);
    bad(&|c| c.netid = "网号".into(), Attribute::Netid);
    bad(&|c| c.netid = "AB CD".into(), Attribute::Netid);
    bad(&|c| c.given_name.clear(), Attribute::GivenName);
    bad(&|c| c.given_name = " 丽".into(), Attribute::GivenName);
    bad(&|c| c.given_name = "丽\n".into(), Attribute::GivenName);
    bad(&|c| c.family_name = "王\u{0}".into(), Attribute::FamilyName);
    bad(&|c| c.family_name = "王".repeat(86), Attribute::FamilyName); // 258 bytes
    bad(
        &|c| c.expiry = Date::from_ymd(2000, 1, 1).unwrap(),
        Attribute::Expiry,
    );
    let mut single = ok.clone();
    single.family_name.clear();
    single.validate().unwrap();
    let mut long = ok.clone();
    long.given_name = "丽".repeat(85); // 255 bytes
    long.validate().unwrap();
    long.netid = "A-1".repeat(21);
    long.validate().unwrap();
}

#[test]
fn credential_debug_redacts() {
    let s = format!("{:?}", credential());
    for secret in ["NID7Q2KX9M4", "王", "丽", "2008", "17", "34", "Nym(0"] {
        assert!(!s.contains(secret), "{secret} in {s}");
    }
    assert!(s.contains("Nym(<redacted>)"));
}

#[test]
fn credential_json_round_trip() {
    let c = credential();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["birthdate"], "2008-02-29");
    assert_eq!(json["doc_type"], 1);
    assert_eq!(json["assurance"], 2);
    assert_eq!(
        json["id_hash"],
        "ERERERERERERERERERERERERERERERERERERERERERE"
    );
    let back: CredentialAttributes = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.encode(), c.encode());
    let mut j = json.clone();
    j["assurance"] = 3.into();
    assert!(serde_json::from_value::<CredentialAttributes>(j).is_err());
    let mut j = json.clone();
    j["doc_type"] = 0.into();
    assert!(serde_json::from_value::<CredentialAttributes>(j).is_err());
    let mut j = json.clone();
    j["nym"] = netid_core::b64::encode([0xff; 32]).into();
    assert!(serde_json::from_value::<CredentialAttributes>(j).is_err());
    let mut j = json;
    j["extra"] = 1.into();
    assert!(serde_json::from_value::<CredentialAttributes>(j).is_err());
}

#[test]
fn doc_type_and_assurance_codes() {
    for (i, d) in DocType::ALL.into_iter().enumerate() {
        assert_eq!(usize::from(d.code()), i + 1);
        assert_eq!(DocType::from_code(d.code().into()).unwrap(), d);
    }
    assert_eq!(DocType::from_code(0), Err(CoreError::UnknownDocType(0)));
    assert_eq!(DocType::from_code(7), Err(CoreError::UnknownDocType(7)));
    assert_eq!(
        AssuranceLevel::from_level(1).unwrap(),
        AssuranceLevel::Remote
    );
    assert_eq!(
        AssuranceLevel::from_level(2).unwrap(),
        AssuranceLevel::InPerson
    );
    assert!(AssuranceLevel::Remote < AssuranceLevel::InPerson);
    assert_eq!(
        AssuranceLevel::from_level(0),
        Err(CoreError::UnknownAssuranceLevel(0))
    );
    assert_eq!(
        AssuranceLevel::from_level(3),
        Err(CoreError::UnknownAssuranceLevel(3))
    );
}

#[test]
fn encoded_attribute_rejects_out_of_range() {
    let mut b = [0u8; 32];
    b[0] = 1;
    assert_eq!(
        EncodedAttribute::from_be_bytes(&b),
        Err(CoreError::EncodingOutOfRange {
            what: "encoded attribute"
        })
    );
    let mut le = [0u8; 32];
    le[31] = 0x80;
    assert!(EncodedAttribute::from_le_bytes(&le).is_err());
    assert!(Nym::from_be_bytes(&[0xff; 32]).is_err());
    let mut max = [0xff; 32];
    max[0] = 0;
    assert!(EncodedAttribute::from_be_bytes(&max).is_ok());
    assert!(serde_json::from_str::<EncodedAttribute>(&format!(
        "\"{}\"",
        netid_core::b64::encode(b)
    ))
    .is_err());
}

#[test]
fn disclosed_values_checked() {
    use DisclosedValue as V;
    let ok = |a, v: V| assert!(v.encode(a).is_ok(), "{a}");
    let err = |a, v: V| assert!(v.encode(a).is_err(), "{a}");
    ok(Attribute::GivenName, V::Text("丽".into()));
    err(Attribute::GivenName, V::Text(String::new()));
    err(Attribute::GivenName, V::Integer(1));
    ok(Attribute::Birthdate, V::Date(Date::MIN));
    err(Attribute::Birthdate, V::Integer(0));
    err(Attribute::Birthdate, V::Text("2000-01-01".into()));
    ok(Attribute::DocType, V::Integer(6));
    err(Attribute::DocType, V::Integer(7));
    ok(Attribute::Assurance, V::Integer(2));
    err(Attribute::Assurance, V::Integer(0));
    ok(Attribute::RevIndex, V::Integer(u32::MAX.into()));
    err(Attribute::RevIndex, V::Integer(1 << 32));
    err(Attribute::GuardianPerms, V::Integer(1 << 32));
    ok(Attribute::IdHash, V::Digest([9; 32]));
    err(Attribute::IdHash, V::Text("x".into()));
    err(Attribute::Nym, V::Digest([0; 32]));
    err(Attribute::Nym, V::Integer(0));
}

#[test]
fn disclosed_attributes_json() {
    let c = credential();
    let set = AttributeSet::from([
        Attribute::GivenName,
        Attribute::Birthdate,
        Attribute::Assurance,
        Attribute::IdHash,
    ]);
    let d = c.disclose(set).unwrap();
    assert_eq!(d.attributes(), set);
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        json,
        r#"{"given_name":"丽","id_hash":"ERERERERERERERERERERERERERERERERERERERERERE","birthdate":"2008-02-29","assurance":2}"#
    );
    let back: DisclosedAttributes = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    assert_eq!(back.encode().unwrap().len(), 4);
    for bad in [
        r#"{"nym":"AA"}"#,
        r#"{"birthdate":39505}"#,
        r#"{"birthdate":"2023-02-29"}"#,
        r#"{"given_name":1}"#,
        r#"{"assurance":"2"}"#,
        r#"{"doc_type":-1}"#,
        r#"{"id_hash":"AAAA"}"#,
        r#"{"id_hash":"ERERERERERERERERERERERERERERERERERERERERERE=="}"#,
        r#"{"given_name":"丽","given_name":"丽"}"#,
        r#"{"age":18}"#,
        r#"{"birthdate":"2008-02-29","assurance":2.5}"#,
    ] {
        assert!(
            serde_json::from_str::<DisclosedAttributes>(bad).is_err(),
            "{bad}"
        );
    }
    // Well-formed JSON of the right kinds, out of the attributes' ranges: read (the OpenAPI
    // schema admits it), refused when the presentation is checked (`encode`).
    for out_of_range in [
        r#"{"assurance":3}"#,
        r#"{"rev_index":4294967296}"#,
        r#"{"given_name":""}"#,
    ] {
        let d: DisclosedAttributes = serde_json::from_str(out_of_range).unwrap();
        assert!(d.encode().is_err(), "{out_of_range}");
    }
    // A whole float is the JSON number it spells.
    let whole: DisclosedAttributes = serde_json::from_str(r#"{"assurance":2.0}"#).unwrap();
    assert_eq!(whole.encode().unwrap().len(), 1);
    assert!(c.disclose(AttributeSet::from([Attribute::Nym])).is_err());
}

#[test]
fn attribute_set() {
    let mut s = AttributeSet::new();
    assert!(s.is_empty());
    assert!(s.insert(Attribute::Expiry));
    assert!(s.insert(Attribute::GivenName));
    assert!(!s.insert(Attribute::GivenName));
    assert_eq!(s.to_vec(), vec![Attribute::GivenName, Attribute::Expiry]);
    assert_eq!(s.bits(), (1 << 2) | (1 << 9));
    assert_eq!(
        serde_json::to_string(&s).unwrap(),
        r#"["given_name","expiry"]"#
    );
    assert_eq!(
        serde_json::from_str::<AttributeSet>(r#"["expiry","given_name"]"#).unwrap(),
        s
    );
    assert!(serde_json::from_str::<AttributeSet>(r#"["expiry","expiry"]"#).is_err());
    assert!(serde_json::from_str::<AttributeSet>(r#"["age"]"#).is_err());
    assert!(s.remove(Attribute::Expiry));
    assert_eq!(s.len(), 1);
    assert_eq!(format!("{s:?}"), "{GivenName}");
}

#[test]
fn dst_tags_are_distinct_and_versioned() {
    for (i, a) in dst::ALL.iter().enumerate() {
        assert!(a.starts_with(b"netid/v1/"));
        for b in &dst::ALL[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

fn any_attribute() -> impl Strategy<Value = Attribute> {
    (0usize..12).prop_map(|i| Attribute::from_index(i).unwrap())
}

proptest! {
    #[test]
    fn be_bytes_round_trip(mut b in any::<[u8; 32]>()) {
        b[0] = 0;
        let e = EncodedAttribute::from_be_bytes(&b).unwrap();
        prop_assert_eq!(e.to_be_bytes(), b);
        let mut le = b;
        le.reverse();
        prop_assert_eq!(e.to_le_bytes(), le);
        prop_assert_eq!(EncodedAttribute::from_le_bytes(&le).unwrap(), e);
        let json = serde_json::to_string(&e).unwrap();
        prop_assert_eq!(serde_json::from_str::<EncodedAttribute>(&json).unwrap(), e);
    }

    #[test]
    fn be_bytes_reject_high(b in any::<[u8; 32]>()) {
        prop_assert_eq!(EncodedAttribute::from_be_bytes(&b).is_ok(), b[0] == 0);
        prop_assert_eq!(Nym::from_be_bytes(&b).is_ok(), b[0] == 0);
    }

    #[test]
    fn u64_round_trip(v in any::<u64>()) {
        let e = EncodedAttribute::from_u64(v);
        prop_assert_eq!(e.as_u64(), Some(v));
        prop_assert_eq!(EncodedAttribute::from_be_bytes(&e.to_be_bytes()).unwrap().as_u64(), Some(v));
        let mut expect = [0u8; 32];
        expect[24..].copy_from_slice(&v.to_be_bytes());
        prop_assert_eq!(e.to_be_bytes(), expect);
    }

    #[test]
    fn digest_truncation(d in any::<[u8; 32]>()) {
        let e = EncodedAttribute::from_digest(&d);
        prop_assert_eq!(&e.to_be_bytes()[1..], &d[..31]);
        prop_assert_eq!(e.to_be_bytes()[0], 0);
        let n = Nym::from_prf_output(&d);
        prop_assert_eq!(n.encode(), e);
        prop_assert_eq!(Nym::from_be_bytes(n.expose_secret()).unwrap(), n);
    }

    #[test]
    fn text_below_2_248(a in any_attribute(), v in "\\PC{0,40}") {
        prop_assert_eq!(EncodedAttribute::from_text(a, &v).to_be_bytes()[0], 0);
    }

    #[test]
    fn attribute_name_round_trip(a in any_attribute()) {
        prop_assert_eq!(Attribute::from_name(a.name()).unwrap(), a);
        prop_assert_eq!(Attribute::from_index(a.index()).unwrap(), a);
    }

    #[test]
    fn attribute_set_round_trip(bits in 0u16..(1 << 12)) {
        let set: AttributeSet = Attribute::ALL.into_iter().filter(|a| bits & (1 << a.index()) != 0).collect();
        prop_assert_eq!(set.bits(), bits);
        let json = serde_json::to_string(&set).unwrap();
        prop_assert_eq!(serde_json::from_str::<AttributeSet>(&json).unwrap(), set);
    }

    #[test]
    fn disclosed_json_round_trip(
        given in "[^\\p{C}\\s][^\\p{C}]{0,10}[^\\p{C}\\s]",
        birth in 0..=Date::MAX.days(),
        rev in any::<u32>(),
        digest in any::<[u8; 32]>(),
    ) {
        let mut d = DisclosedAttributes::new();
        d.insert(Attribute::GivenName, DisclosedValue::Text(given)).unwrap();
        d.insert(Attribute::Birthdate, DisclosedValue::Date(Date::from_days(birth).unwrap())).unwrap();
        d.insert(Attribute::RevIndex, DisclosedValue::Integer(rev.into())).unwrap();
        d.insert(Attribute::IdHash, DisclosedValue::Digest(digest)).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<DisclosedAttributes>(&json).unwrap(), d);
    }
}

/// The full message vector of the example credential, also in specs/credential.md (computed
/// independently from the spec's text).
#[test]
fn credential_vector() {
    let expected = [
        "000def65613b8b04a2e3c723b758f9051fa34bf94677109f0e2c20a59d12df13",
        "00e9c646552f959f55a919cddf64e97c7a85f928fb3cd8d608fb33282a442f1c",
        "00d8ded42ec5e38922a57f9463f986e6d5b75da4b48ddc4766077a880542cbcd",
        "0011111111111111111111111111111111111111111111111111111111111111",
        "0000000000000000000000000000000000000000000000000000000000009a51",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "0000000000000000000000000000000000000000000000000000000000000002",
        "0022222222222222222222222222222222222222222222222222222222222222",
        BINDING,
        "000000000000000000000000000000000000000000000000000000000000c243",
        "000000000000000000000000000000000000000000000000000000000000002a",
        "0000000000000000000000000000000000000000000000000000000000000005",
    ];
    let e = credential().encode();
    for (i, h) in expected.iter().enumerate() {
        assert_eq!(hex::encode(e[i].to_be_bytes()), *h, "attribute {i}");
    }
}
