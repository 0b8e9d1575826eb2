//! Checking the simulated ID card ([`netid_core::card`]: format, canonical signed bytes) against
//! the card-authority keys the issuer trusts (specs/issuer.md §3.1).
//!
//! The signature is checked with `verify_strict` (no small-order keys, canonical `S`).
//! [`TrustedCardAuthorities::verify`] checks, in order: field sizes, that the authority key is
//! trusted, the signature, the validity period against `today`, the document type, the ID number
//! (GB 11643), and that the card's birthdate and sex equal the ID number's.

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use netid_core::{Date, DocType};

pub use netid_core::card::{
    CardAuthority, CardContents, CardName, SignedCard, CARD_DST, CARD_VERSION,
    DEV_CARD_AUTHORITY_SEED, MAX_AUTHORITY_NAME_LEN, MAX_PHOTO_LEN,
};

use crate::id_number::{IdNumber, Sex};
use crate::IssuerError;

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
/// [`TrustedCardAuthorities::verify`] makes one. `Debug` is redacted.
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

impl TrustedCardAuthorities {
    /// Verifies `card` as of `today` against these authorities.
    ///
    /// # Errors
    /// [`IssuerError::CardMalformed`], [`IssuerError::CardUntrustedAuthority`],
    /// [`IssuerError::CardSignature`], [`IssuerError::CardNotYetValid`],
    /// [`IssuerError::CardExpired`], [`IssuerError::UnsupportedDocument`],
    /// [`IssuerError::InvalidIdNumber`] or [`IssuerError::CardMismatch`].
    pub fn verify(&self, card: &SignedCard, today: Date) -> Result<VerifiedCard, IssuerError> {
        let c = &card.card;
        c.check_sizes().map_err(IssuerError::CardMalformed)?;
        let key = self
            .get(&card.authority_key)
            .ok_or(IssuerError::CardUntrustedAuthority)?;
        let sig = Signature::from_bytes(&card.signature);
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
            authority_key: card.authority_key,
            photo: c.photo.clone(),
        })
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
        let v = t.verify(&card, today()).unwrap();
        assert_eq!(v.given_name(), "丽");
        assert_eq!(v.birthdate(), d("1949-12-31"));
        assert_eq!(v.id_number().expose_secret(), "11010519491231002X");
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.contains("\"valid_until\":null"), "{json}");
        let back: SignedCard = serde_json::from_str(&json).unwrap();
        assert_eq!(back, card);
        t.verify(&back, today()).unwrap();
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
            t.verify(&back, today()).unwrap().photo(),
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
        let check = |c: CardContents| t.verify(&a.sign(c), today()).unwrap_err();

        // Untrusted authority.
        let other = CardAuthority::from_seed(&[8; 32]).sign(contents());
        assert!(matches!(
            t.verify(&other, today()),
            Err(IssuerError::CardUntrustedAuthority)
        ));
        // Tampered contents, signature or key.
        let mut card = a.sign(contents());
        card.card.name.given = "丽丽".into();
        assert!(matches!(
            t.verify(&card, today()),
            Err(IssuerError::CardSignature)
        ));
        let mut card = a.sign(contents());
        card.signature[5] ^= 1;
        assert!(matches!(
            t.verify(&card, today()),
            Err(IssuerError::CardSignature)
        ));
        let mut card = a.sign(contents());
        card.card.valid_until = Some(d("2099-01-01"));
        assert!(matches!(
            t.verify(&card, today()),
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
        assert!(t.verify(&a.sign(c), today()).is_ok());
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
