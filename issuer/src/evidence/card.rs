//! The simulated ID card: the chip data of a 居民身份证 (or a 港澳台居民居住证) as a JSON document
//! signed with Ed25519 by a card-authority key the issuer trusts (specs/issuer.md §3.1).
//!
//! The signature covers canonical bytes, not the JSON text (`lp(x) = u32_be(len(x)) ‖ x`,
//! integers big-endian, dates as day numbers since 1900-01-01, `opt(x) = 0x00` if absent or
//! `0x01 ‖ lp(x)`):
//!
//! ```text
//! lp("netid/v1/id-card") ‖ u16(1)
//!   ‖ lp(family_name) ‖ lp(given_name) ‖ lp(id_number)
//!   ‖ u32(birthdate) ‖ u8(sex: 1 male, 2 female) ‖ u8(doc_type)
//!   ‖ u32(valid_from) ‖ u32(valid_until, 0xFFFFFFFF for 长期 "long-term")
//!   ‖ opt(card_authority) ‖ opt(photo)
//! ```
//!
//! The strings are signed exactly as they appear in the JSON (no normalisation); the signature is
//! checked with `verify_strict` (no small-order keys, canonical `S`).
//!
//! [`SignedCard::verify`] checks, in order: field sizes, that the authority key is trusted, the
//! signature, the validity period against `today`, the document type, the ID number (GB 11643),
//! and that the card's birthdate and sex equal the ID number's.

use core::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use netid_core::{validate_text, Attribute, Date, DocType};
use rand_core_06::{OsRng, RngCore as _};
use zeroize::Zeroize;

use crate::id_number::{IdNumber, Sex};
use crate::IssuerError;

/// Domain separator of the card's signed bytes.
pub const CARD_DST: &[u8] = b"netid/v1/id-card";
/// Version of the card format.
pub const CARD_VERSION: u16 = 1;
/// Longest `card_authority` in bytes.
pub const MAX_AUTHORITY_NAME_LEN: usize = 256;
/// Largest photo in bytes.
pub const MAX_PHOTO_LEN: usize = 64 * 1024;
const LONG_TERM: u32 = u32::MAX;

/// The person's name as on the card.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardName {
    /// Family name (姓); may be empty.
    pub family: String,
    /// Given name (名).
    pub given: String,
}

/// The card's contents (what the chip holds). `Debug` is redacted; the ID number is wiped on drop.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardContents {
    /// Name.
    pub name: CardName,
    /// The GB 11643 ID number as printed (checked by [`SignedCard::verify`]).
    pub id_number: String,
    /// Date of birth.
    pub birthdate: Date,
    /// Sex.
    pub sex: Sex,
    /// Document type (1 resident ID card, 5 residence permit; others are not accepted).
    pub doc_type: DocType,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity; `null` for a long-term (长期) card.
    #[serde(default)]
    pub valid_until: Option<Date>,
    /// Issuing office (签发机关), e.g. "北京市公安局西城分局".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_authority: Option<String>,
    /// The chip photo (base64url), the reference a real face matcher compares with.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_bytes")]
    pub photo: Option<Vec<u8>>,
}

mod opt_bytes {
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => netid_core::b64::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => netid_core::b64::decode(&text, "photo")
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

impl Drop for CardContents {
    fn drop(&mut self) {
        self.id_number.zeroize();
    }
}

impl fmt::Debug for CardContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardContents")
            .field("doc_type", &self.doc_type)
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    // Callers bound every field far below 4 GiB; saturate rather than panic.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_opt(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_lp(out, b);
        }
    }
}

impl CardContents {
    /// The canonical bytes the card authority signs (see the module documentation).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.photo.as_ref().map_or(0, Vec::len));
        put_lp(&mut out, CARD_DST);
        out.extend_from_slice(&CARD_VERSION.to_be_bytes());
        put_lp(&mut out, self.name.family.as_bytes());
        put_lp(&mut out, self.name.given.as_bytes());
        put_lp(&mut out, self.id_number.as_bytes());
        out.extend_from_slice(&self.birthdate.days().to_be_bytes());
        out.push(self.sex.code());
        out.push(self.doc_type.code());
        out.extend_from_slice(&self.valid_from.days().to_be_bytes());
        let until = self.valid_until.map_or(LONG_TERM, Date::days);
        out.extend_from_slice(&until.to_be_bytes());
        put_opt(&mut out, self.card_authority.as_deref().map(str::as_bytes));
        put_opt(&mut out, self.photo.as_deref());
        out
    }

    fn check_sizes(&self) -> Result<(), IssuerError> {
        validate_text(Attribute::FamilyName, &self.name.family)
            .map_err(|_| IssuerError::CardMalformed("family name"))?;
        validate_text(Attribute::GivenName, &self.name.given)
            .map_err(|_| IssuerError::CardMalformed("given name"))?;
        if self.id_number.len() > 32 {
            return Err(IssuerError::CardMalformed("ID number too long"));
        }
        if let Some(a) = &self.card_authority {
            if a.is_empty() || a.len() > MAX_AUTHORITY_NAME_LEN || a.chars().any(char::is_control) {
                return Err(IssuerError::CardMalformed("card authority name"));
            }
        }
        if self.photo.as_ref().is_some_and(|p| p.len() > MAX_PHOTO_LEN) {
            return Err(IssuerError::CardMalformed("photo larger than 64 KiB"));
        }
        Ok(())
    }
}

/// A card with its authority's public key and signature. JSON:
/// `{"card": CardContents, "authority_key": b64url(32), "signature": b64url(64)}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCard {
    /// The contents.
    pub card: CardContents,
    /// The card authority's Ed25519 public key.
    #[serde(with = "netid_core::b64::array")]
    pub authority_key: [u8; 32],
    /// Ed25519 signature over [`CardContents::signing_bytes`].
    #[serde(with = "netid_core::b64::array")]
    pub signature: [u8; 64],
}

/// The card-authority keys the issuer trusts.
#[derive(Clone, Debug, Default)]
pub struct TrustedCardAuthorities(Vec<VerifyingKey>);

impl TrustedCardAuthorities {
    /// From public keys.
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> TrustedCardAuthorities {
        TrustedCardAuthorities(keys.into_iter().collect())
    }

    /// From 32-byte public keys.
    ///
    /// # Errors
    /// [`IssuerError::Key`] if a key is not a valid Ed25519 point or has small order.
    pub fn from_bytes<'a>(
        keys: impl IntoIterator<Item = &'a [u8; 32]>,
    ) -> Result<TrustedCardAuthorities, IssuerError> {
        let mut out = Vec::new();
        for k in keys {
            let vk = VerifyingKey::from_bytes(k).map_err(|_| IssuerError::Key {
                what: "card authority key is not a valid Ed25519 public key",
                source: None,
            })?;
            if vk.is_weak() {
                return Err(IssuerError::Key {
                    what: "card authority key has small order",
                    source: None,
                });
            }
            out.push(vk);
        }
        Ok(TrustedCardAuthorities(out))
    }

    /// From a configuration string: base64url public keys separated by commas or white space.
    ///
    /// # Errors
    /// [`IssuerError::Key`] for malformed entries.
    pub fn parse_list(list: &str) -> Result<TrustedCardAuthorities, IssuerError> {
        let mut keys = Vec::new();
        for item in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            keys.push(
                netid_core::b64::decode_array::<32>(item, "card authority key").map_err(|_| {
                    IssuerError::Key {
                        what: "card authority key must be 32 bytes of base64url",
                        source: None,
                    }
                })?,
            );
        }
        TrustedCardAuthorities::from_bytes(keys.iter())
    }

    /// Adds a key.
    pub fn push(&mut self, key: VerifyingKey) {
        self.0.push(key);
    }

    /// The trusted key with these bytes.
    pub fn get(&self, key: &[u8; 32]) -> Option<&VerifyingKey> {
        self.0.iter().find(|k| k.as_bytes() == key)
    }

    /// Number of trusted keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A card whose signature, validity and consistency were checked. Only
/// [`SignedCard::verify`] makes one. `Debug` is redacted.
#[derive(Clone)]
pub struct VerifiedCard {
    id_number: IdNumber,
    family_name: String,
    given_name: String,
    birthdate: Date,
    sex: Sex,
    doc_type: DocType,
    valid_until: Option<Date>,
    authority_key: [u8; 32],
    photo: Option<Vec<u8>>,
}

impl fmt::Debug for VerifiedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCard")
            .field("doc_type", &self.doc_type)
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

impl VerifiedCard {
    /// The validated ID number.
    pub fn id_number(&self) -> &IdNumber {
        &self.id_number
    }
    /// Family name.
    pub fn family_name(&self) -> &str {
        &self.family_name
    }
    /// Given name.
    pub fn given_name(&self) -> &str {
        &self.given_name
    }
    /// Date of birth (equal to the ID number's).
    pub fn birthdate(&self) -> Date {
        self.birthdate
    }
    /// Sex (equal to the ID number's).
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// Document type.
    pub fn doc_type(&self) -> DocType {
        self.doc_type
    }
    /// Last day of validity (`None`: long-term).
    pub fn valid_until(&self) -> Option<Date> {
        self.valid_until
    }
    /// The card authority's public key.
    pub fn authority_key(&self) -> &[u8; 32] {
        &self.authority_key
    }
    /// The chip photo, if the card carries one.
    pub fn photo(&self) -> Option<&[u8]> {
        self.photo.as_deref()
    }
}

impl SignedCard {
    /// Verifies the card as of `today` against the trusted authorities.
    ///
    /// # Errors
    /// [`IssuerError::CardMalformed`], [`IssuerError::CardUntrustedAuthority`],
    /// [`IssuerError::CardSignature`], [`IssuerError::CardNotYetValid`],
    /// [`IssuerError::CardExpired`], [`IssuerError::UnsupportedDocument`],
    /// [`IssuerError::InvalidIdNumber`] or [`IssuerError::CardMismatch`].
    pub fn verify(
        &self,
        trusted: &TrustedCardAuthorities,
        today: Date,
    ) -> Result<VerifiedCard, IssuerError> {
        let c = &self.card;
        c.check_sizes()?;
        let key = trusted
            .get(&self.authority_key)
            .ok_or(IssuerError::CardUntrustedAuthority)?;
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&c.signing_bytes(), &sig)
            .map_err(|_| IssuerError::CardSignature)?;
        if c.valid_until.is_some_and(|u| u < c.valid_from) {
            return Err(IssuerError::CardMalformed("validity ends before it starts"));
        }
        if today < c.valid_from {
            return Err(IssuerError::CardNotYetValid);
        }
        if c.valid_until.is_some_and(|u| u < today) {
            return Err(IssuerError::CardExpired);
        }
        let permit = match c.doc_type {
            DocType::ResidentIdCard => false,
            DocType::HkMacaoTaiwanResidencePermit => true,
            _ => {
                return Err(IssuerError::UnsupportedDocument(
                    "only resident ID cards and HK/Macao/Taiwan residence permits carry a GB 11643 number",
                ))
            }
        };
        let id = IdNumber::parse(&c.id_number, today)?;
        if id.birthdate() != c.birthdate {
            return Err(IssuerError::CardMismatch(
                "the birthdate differs from the one in the ID number",
            ));
        }
        if id.sex() != c.sex {
            return Err(IssuerError::CardMismatch(
                "the sex differs from the one in the ID number",
            ));
        }
        if permit != matches!(id.province(), 81..=83) {
            return Err(IssuerError::CardMismatch(
                "residence permit numbers, and only they, start with 81, 82 or 83",
            ));
        }
        Ok(VerifiedCard {
            id_number: id,
            family_name: c.name.family.clone(),
            given_name: c.name.given.clone(),
            birthdate: c.birthdate,
            sex: c.sex,
            doc_type: c.doc_type,
            valid_until: c.valid_until,
            authority_key: self.authority_key,
            photo: c.photo.clone(),
        })
    }
}

/// A card authority: signs simulated cards (tests, demos, the simulated NFC read).
pub struct CardAuthority {
    key: SigningKey,
}

impl fmt::Debug for CardAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardAuthority")
            .field("public_key", &netid_core::b64::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl CardAuthority {
    /// A fresh authority key from the OS CSPRNG.
    pub fn generate() -> CardAuthority {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        let a = CardAuthority::from_seed(&seed);
        seed.zeroize();
        a
    }

    /// The authority with this Ed25519 secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> CardAuthority {
        CardAuthority {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key bytes.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Signs a card.
    pub fn sign(&self, card: CardContents) -> SignedCard {
        let signature = self.key.sign(&card.signing_bytes()).to_bytes();
        SignedCard {
            card,
            authority_key: self.public_key(),
            signature,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn today() -> Date {
        d("2026-03-01")
    }

    pub(crate) fn contents() -> CardContents {
        CardContents {
            name: CardName {
                family: "王".into(),
                given: "丽".into(),
            },
            id_number: "11010519491231002X".into(),
            birthdate: d("1949-12-31"),
            sex: Sex::Female,
            doc_type: DocType::ResidentIdCard,
            valid_from: d("2016-05-01"),
            valid_until: None,
            card_authority: Some("北京市公安局西城分局".into()),
            photo: None,
        }
    }

    fn setup() -> (CardAuthority, TrustedCardAuthorities) {
        let a = CardAuthority::from_seed(&[9; 32]);
        let t = TrustedCardAuthorities::new([a.verifying_key()]);
        (a, t)
    }

    #[test]
    fn valid_card_verifies_and_round_trips_json() {
        let (a, t) = setup();
        let card = a.sign(contents());
        let v = card.verify(&t, today()).unwrap();
        assert_eq!(v.given_name(), "丽");
        assert_eq!(v.birthdate(), d("1949-12-31"));
        assert_eq!(v.id_number().expose_secret(), "11010519491231002X");
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.contains("\"valid_until\":null"), "{json}");
        let back: SignedCard = serde_json::from_str(&json).unwrap();
        assert_eq!(back, card);
        back.verify(&t, today()).unwrap();
        let dbg = format!("{card:?} {v:?}");
        assert!(!dbg.contains("1101") && !dbg.contains('丽'), "{dbg}");
        // With a photo and a fixed end date.
        let mut c = contents();
        c.photo = Some(vec![1, 2, 3]);
        c.valid_until = Some(d("2036-05-01"));
        let card = a.sign(c);
        let back: SignedCard =
            serde_json::from_str(&serde_json::to_string(&card).unwrap()).unwrap();
        assert_eq!(
            back.verify(&t, today()).unwrap().photo(),
            Some(&[1u8, 2, 3][..])
        );
        // Configuration parsing.
        let list = format!(
            "{}, {}",
            netid_core::b64::encode(a.public_key()),
            netid_core::b64::encode(CardAuthority::from_seed(&[1; 32]).public_key())
        );
        assert_eq!(TrustedCardAuthorities::parse_list(&list).unwrap().len(), 2);
        assert!(TrustedCardAuthorities::parse_list("abc").is_err());
    }

    #[test]
    fn signed_bytes_are_pinned() {
        let b = contents().signing_bytes();
        let mut want = Vec::new();
        want.extend_from_slice(&16u32.to_be_bytes());
        want.extend_from_slice(b"netid/v1/id-card");
        want.extend_from_slice(&[0, 1]);
        want.extend_from_slice(&3u32.to_be_bytes());
        want.extend_from_slice("王".as_bytes());
        want.extend_from_slice(&3u32.to_be_bytes());
        want.extend_from_slice("丽".as_bytes());
        want.extend_from_slice(&18u32.to_be_bytes());
        want.extend_from_slice(b"11010519491231002X");
        want.extend_from_slice(&d("1949-12-31").days().to_be_bytes());
        want.extend_from_slice(&[2, 1]);
        want.extend_from_slice(&d("2016-05-01").days().to_be_bytes());
        want.extend_from_slice(&[0xff; 4]);
        want.push(1);
        let auth = "北京市公安局西城分局".as_bytes();
        want.extend_from_slice(&u32::try_from(auth.len()).unwrap().to_be_bytes());
        want.extend_from_slice(auth);
        want.push(0);
        assert_eq!(b, want);
    }

    #[test]
    fn every_rule_is_enforced() {
        let (a, t) = setup();
        let check = |c: CardContents| a.sign(c).verify(&t, today()).unwrap_err();

        // Untrusted authority.
        let other = CardAuthority::from_seed(&[8; 32]).sign(contents());
        assert!(matches!(
            other.verify(&t, today()),
            Err(IssuerError::CardUntrustedAuthority)
        ));
        // Tampered contents, signature or key.
        let mut card = a.sign(contents());
        card.card.name.given = "丽丽".into();
        assert!(matches!(
            card.verify(&t, today()),
            Err(IssuerError::CardSignature)
        ));
        let mut card = a.sign(contents());
        card.signature[5] ^= 1;
        assert!(matches!(
            card.verify(&t, today()),
            Err(IssuerError::CardSignature)
        ));
        let mut card = a.sign(contents());
        card.card.valid_until = Some(d("2099-01-01"));
        assert!(matches!(
            card.verify(&t, today()),
            Err(IssuerError::CardSignature)
        ));
        // Validity.
        let mut c = contents();
        c.valid_from = d("2026-03-02");
        assert!(matches!(check(c), IssuerError::CardNotYetValid));
        let mut c = contents();
        c.valid_until = Some(d("2026-02-28"));
        assert!(matches!(check(c), IssuerError::CardExpired));
        let mut c = contents();
        c.valid_until = Some(d("2026-03-01"));
        assert!(a.sign(c).verify(&t, today()).is_ok());
        let mut c = contents();
        c.valid_from = d("2030-01-01");
        c.valid_until = Some(d("2020-01-01"));
        assert!(matches!(check(c), IssuerError::CardMalformed(_)));
        // Document type.
        let mut c = contents();
        c.doc_type = DocType::Passport;
        assert!(matches!(check(c), IssuerError::UnsupportedDocument(_)));
        let mut c = contents();
        c.doc_type = DocType::HkMacaoTaiwanResidencePermit;
        assert!(matches!(check(c), IssuerError::CardMismatch(_)));
        // ID number rules, and consistency with the card.
        let mut c = contents();
        c.id_number = "110105194912310021".into();
        assert!(matches!(check(c), IssuerError::InvalidIdNumber { .. }));
        let mut c = contents();
        c.birthdate = d("1949-12-30");
        assert!(matches!(check(c), IssuerError::CardMismatch(_)));
        let mut c = contents();
        c.sex = Sex::Male;
        assert!(matches!(check(c), IssuerError::CardMismatch(_)));
        // Sizes and names.
        let mut c = contents();
        c.name.given = String::new();
        assert!(matches!(check(c), IssuerError::CardMalformed("given name")));
        let mut c = contents();
        c.photo = Some(vec![0; MAX_PHOTO_LEN + 1]);
        assert!(matches!(check(c), IssuerError::CardMalformed(_)));
        let mut c = contents();
        c.id_number = "1".repeat(33);
        assert!(matches!(check(c), IssuerError::CardMalformed(_)));
        // Error messages carry no personal data.
        let mut c = contents();
        c.birthdate = d("1949-12-30");
        let msg = check(c).to_string();
        assert!(!msg.contains("1949") && !msg.contains("1101"), "{msg}");
    }

    #[test]
    fn json_is_strict() {
        let (a, _) = setup();
        let json = serde_json::to_value(a.sign(contents())).unwrap();
        let mut extra = json.clone();
        extra["card"]["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<SignedCard>(extra).is_err());
        let mut short = json.clone();
        short["signature"] = serde_json::json!("AAAA");
        assert!(serde_json::from_value::<SignedCard>(short).is_err());
        let mut bad_date = json;
        bad_date["card"]["birthdate"] = serde_json::json!("1949-02-30");
        assert!(serde_json::from_value::<SignedCard>(bad_date).is_err());
    }
}
