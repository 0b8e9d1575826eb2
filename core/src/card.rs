//! The simulated ID card as the wallet reads it and the issuer receives it: the chip data of a
//! 居民身份证 (or a 港澳台居民居住证) as a JSON document signed with Ed25519 by a card authority
//! (specs/issuer.md §3.1), and the live face sample sent beside it. The issuer checks both
//! (`netid_issuer::evidence`); the wallet only carries them.
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
//! The strings are signed exactly as they appear in the JSON (no normalisation).

use core::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use zeroize::Zeroize;

use crate::{validate_text, Attribute, Date, DocType};

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
    /// The GB 11643 ID number as printed (the issuer checks it).
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
            Some(b) => crate::b64::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => crate::b64::decode(&text, "photo")
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

    /// Checks every field's size and characters; the name of the first bad field otherwise.
    ///
    /// # Errors
    /// What is malformed.
    pub fn check_sizes(&self) -> Result<(), &'static str> {
        validate_text(Attribute::FamilyName, &self.name.family).map_err(|_| "family name")?;
        validate_text(Attribute::GivenName, &self.name.given).map_err(|_| "given name")?;
        if self.id_number.len() > 32 {
            return Err("ID number too long");
        }
        if let Some(a) = &self.card_authority {
            if a.is_empty() || a.len() > MAX_AUTHORITY_NAME_LEN || a.chars().any(char::is_control) {
                return Err("card authority name");
            }
        }
        if self.photo.as_ref().is_some_and(|p| p.len() > MAX_PHOTO_LEN) {
            return Err("photo larger than 64 KiB");
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
    #[serde(with = "crate::b64::array")]
    pub authority_key: [u8; 32],
    /// Ed25519 signature over [`CardContents::signing_bytes`].
    #[serde(with = "crate::b64::array")]
    pub signature: [u8; 64],
}

/// Secret seed of the development card authority. Public by design: every sample card is signed
/// with it, and issuers accept it only with `--trust-dev-card-authority`.
pub const DEV_CARD_AUTHORITY_SEED: [u8; 32] = *b"netid dev card authority seed!!!";

/// Registered sex, from the parity of the ID number's sequence code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Odd sequence code.
    Male,
    /// Even sequence code.
    Female,
}

impl Sex {
    /// The code used in canonical bytes: 1 male, 2 female (GB/T 2261.1).
    pub const fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }
}

/// Weights `2^(17-i) mod 11` of the 17 body digits of a GB 11643 number.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by `Σ a_i·w_i mod 11`.
const CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 (ISO 7064 MOD 11-2) check character (`b'0'..=b'9'` or `b'X'`) of a 17-digit
/// ID-number body, or `None` if the body holds anything but ASCII digits.
pub fn id_number_check_character(body: &[u8; 17]) -> Option<u8> {
    let mut sum = 0u32;
    for (d, w) in body.iter().zip(WEIGHTS) {
        if !d.is_ascii_digit() {
            return None;
        }
        sum += u32::from(d - b'0') * w;
    }
    CHECK.get((sum % 11) as usize).copied()
}

/// A card authority: signs simulated cards (tests, demos, the simulated NFC read).
pub struct CardAuthority {
    key: SigningKey,
}

impl fmt::Debug for CardAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardAuthority")
            .field("public_key", &crate::b64::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl CardAuthority {
    /// The development card authority (see [`DEV_CARD_AUTHORITY_SEED`]): signs the sample cards
    /// of `netid card-sample`, the demo and the tests. An issuer trusts it only when told to.
    pub fn development() -> CardAuthority {
        CardAuthority::from_seed(&DEV_CARD_AUTHORITY_SEED)
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

/// Largest accepted face image, in bytes.
pub const MAX_FACE_IMAGE_LEN: usize = 512 * 1024;

/// A live face capture. JSON: `{"score": 0.93}` (simulated) and/or `{"image": b64url}`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceSample {
    /// The similarity a simulated liveness-and-match step computed on the device (used by
    /// the simulated matcher; a real matcher ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The captured image (what a real matcher compares).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::b64")]
    pub image: Vec<u8>,
}
