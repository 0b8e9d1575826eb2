//! Typed credential attributes of schema netid/v1, their validation and encoding, and disclosed
//! values.

use core::fmt;
use std::collections::BTreeMap;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Attribute, AttributeKind, AttributeSet, CoreError, Date, EncodedAttribute, Nym};

/// Longest `netid` in bytes.
pub const MAX_NETID_LEN: usize = 64;
/// Longest `family_name` or `given_name` in UTF-8 bytes.
pub const MAX_NAME_LEN: usize = 256;

/// Identity document type (`doc_type`), encoded as its code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
#[non_exhaustive]
pub enum DocType {
    /// 居民身份证, resident identity card of the PRC.
    ResidentIdCard = 1,
    /// 护照, passport of the PRC.
    Passport = 2,
    /// 港澳居民来往内地通行证, Mainland travel permit for Hong Kong and Macao residents.
    HkMacaoTravelPermit = 3,
    /// 台湾居民来往大陆通行证, Mainland travel permit for Taiwan residents.
    TaiwanTravelPermit = 4,
    /// 港澳台居民居住证, residence permit for Hong Kong, Macao and Taiwan residents.
    HkMacaoTaiwanResidencePermit = 5,
    /// 外国人永久居留身份证, foreign permanent resident ID card.
    ForeignPermanentResidentIdCard = 6,
}

impl DocType {
    /// Every defined document type, by code.
    pub const ALL: [DocType; 6] = [
        DocType::ResidentIdCard,
        DocType::Passport,
        DocType::HkMacaoTravelPermit,
        DocType::TaiwanTravelPermit,
        DocType::HkMacaoTaiwanResidencePermit,
        DocType::ForeignPermanentResidentIdCard,
    ];

    /// The code (1..=6).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The document type with `code`.
    ///
    /// # Errors
    /// [`CoreError::UnknownDocType`].
    pub fn from_code(code: u64) -> Result<DocType, CoreError> {
        DocType::ALL
            .into_iter()
            .find(|d| u64::from(d.code()) == code)
            .ok_or(CoreError::UnknownDocType(code))
    }
}

/// Real-name assurance level (`assurance`), encoded as the level; ordered by strength.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
pub enum AssuranceLevel {
    /// Level 1: remote, ID card chip read over NFC plus face match.
    Remote = 1,
    /// Level 2: verified in person.
    InPerson = 2,
}

impl AssuranceLevel {
    /// The level (1 or 2).
    pub const fn level(self) -> u8 {
        self as u8
    }

    /// The assurance level `level`.
    ///
    /// # Errors
    /// [`CoreError::UnknownAssuranceLevel`] for anything but 1 and 2.
    pub const fn from_level(level: u64) -> Result<AssuranceLevel, CoreError> {
        match level {
            1 => Ok(AssuranceLevel::Remote),
            2 => Ok(AssuranceLevel::InPerson),
            _ => Err(CoreError::UnknownAssuranceLevel(level)),
        }
    }
}

macro_rules! serde_as_code {
    ($t:ty, $to:ident, $from:ident) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u8(self.$to())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let v: u64 = crate::json::int(d)?;
                <$t>::$from(v).map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_code!(DocType, code, from_code);
serde_as_code!(AssuranceLevel, level, from_level);

/// Checks a text attribute value against the schema's rules:
///
/// * `netid`: 1..=64 bytes of ASCII letters, digits and `-`;
/// * `given_name`: 1..=256 UTF-8 bytes; `family_name`: 0..=256 UTF-8 bytes (empty for people
///   with a single name); both without control characters and without leading or trailing
///   white space.
///
/// # Errors
/// [`CoreError::InvalidAttributeValue`] naming the rule (never the value);
/// [`CoreError::WrongValueKind`] if `attribute` is not a text attribute.
pub fn validate_text(attribute: Attribute, value: &str) -> Result<(), CoreError> {
    let bad = |reason| Err(CoreError::InvalidAttributeValue { attribute, reason });
    match attribute {
        Attribute::Netid => {
            if value.is_empty() || value.len() > MAX_NETID_LEN {
                return bad("length must be 1..=64 bytes");
            }
            if !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return bad("only ASCII letters, digits and '-' are allowed");
            }
            Ok(())
        }
        Attribute::FamilyName | Attribute::GivenName => {
            if value.is_empty() && attribute == Attribute::GivenName {
                return bad("must not be empty");
            }
            if value.len() > MAX_NAME_LEN {
                return bad("longer than 256 bytes");
            }
            if value.chars().any(char::is_control) {
                return bad("contains a control character");
            }
            if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
                return bad("leading or trailing white space");
            }
            Ok(())
        }
        _ => Err(CoreError::WrongValueKind { attribute }),
    }
}

/// The typed attribute values of one netid/v1 credential.
///
/// `Debug` redacts every identifying field. Serde (wallet storage, issuance) writes digests and
/// the nym as base64url, dates as ISO strings, `doc_type` and `assurance` as codes.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialAttributes {
    /// The 网号.
    pub netid: String,
    /// Family name (姓), UTF-8 in NFC; may be empty.
    pub family_name: String,
    /// Given name (名), UTF-8 in NFC.
    pub given_name: String,
    /// Keyed hash of the ID number (32 bytes, computed by the issuer).
    #[serde(with = "crate::b64::array")]
    pub id_hash: [u8; 32],
    /// Date of birth.
    pub birthdate: Date,
    /// Identity document type.
    pub doc_type: DocType,
    /// Real-name assurance level.
    pub assurance: AssuranceLevel,
    /// Per-person pseudonym secret.
    pub nym: Nym,
    /// Holder binding: `Poseidon(s)` of the wallet secret.
    pub binding: crate::HolderBinding,
    /// Last day of validity (inclusive).
    pub expiry: Date,
    /// Position in the revocation structure.
    pub rev_index: u32,
    /// Guardian permission bits (opaque to netid-core; meaning defined by the app registry).
    pub guardian_perms: u32,
}

impl CredentialAttributes {
    /// Checks the schema rules: text values per [`validate_text`], and `birthdate <= expiry`.
    /// (Digests, dates, document type and assurance level are valid by construction.)
    ///
    /// # Errors
    /// [`CoreError::InvalidAttributeValue`] naming the attribute and the rule.
    pub fn validate(&self) -> Result<(), CoreError> {
        validate_text(Attribute::Netid, &self.netid)?;
        validate_text(Attribute::FamilyName, &self.family_name)?;
        validate_text(Attribute::GivenName, &self.given_name)?;
        if self.expiry < self.birthdate {
            return Err(CoreError::InvalidAttributeValue {
                attribute: Attribute::Expiry,
                reason: "before the birthdate",
            });
        }
        Ok(())
    }

    /// The encoding of one attribute.
    pub fn encode_attribute(&self, attribute: Attribute) -> EncodedAttribute {
        match attribute {
            Attribute::Netid => EncodedAttribute::from_text(attribute, &self.netid),
            Attribute::FamilyName => EncodedAttribute::from_text(attribute, &self.family_name),
            Attribute::GivenName => EncodedAttribute::from_text(attribute, &self.given_name),
            Attribute::IdHash => EncodedAttribute::from_digest(&self.id_hash),
            Attribute::Birthdate => EncodedAttribute::from_u64(self.birthdate.days().into()),
            Attribute::DocType => EncodedAttribute::from_u64(self.doc_type.code().into()),
            Attribute::Assurance => EncodedAttribute::from_u64(self.assurance.level().into()),
            Attribute::Nym => self.nym.encode(),
            Attribute::Binding => self.binding.encode(),
            Attribute::Expiry => EncodedAttribute::from_u64(self.expiry.days().into()),
            Attribute::RevIndex => EncodedAttribute::from_u64(self.rev_index.into()),
            Attribute::GuardianPerms => EncodedAttribute::from_u64(self.guardian_perms.into()),
        }
    }

    /// All 12 attributes encoded, in index order: the signed message vector of both suites.
    /// Call [`validate`](Self::validate) before signing.
    pub fn encode(&self) -> EncodedCredential {
        EncodedCredential(Attribute::ALL.map(|a| self.encode_attribute(a)))
    }

    /// The plain value of `attribute` for disclosure, or `None` for `nym` and `binding` (never
    /// disclosed).
    /// Whether the audience may see it is [`Attribute::check_disclosable`]'s business.
    pub fn disclosed_value(&self, attribute: Attribute) -> Option<DisclosedValue> {
        Some(match attribute {
            Attribute::Netid => DisclosedValue::Text(self.netid.clone()),
            Attribute::FamilyName => DisclosedValue::Text(self.family_name.clone()),
            Attribute::GivenName => DisclosedValue::Text(self.given_name.clone()),
            Attribute::IdHash => DisclosedValue::Digest(self.id_hash),
            Attribute::Birthdate => DisclosedValue::Date(self.birthdate),
            Attribute::DocType => DisclosedValue::Integer(self.doc_type.code().into()),
            Attribute::Assurance => DisclosedValue::Integer(self.assurance.level().into()),
            Attribute::Nym | Attribute::Binding => return None,
            Attribute::Expiry => DisclosedValue::Date(self.expiry),
            Attribute::RevIndex => DisclosedValue::Integer(self.rev_index.into()),
            Attribute::GuardianPerms => DisclosedValue::Integer(self.guardian_perms.into()),
        })
    }

    /// The disclosed values for `set` (e.g. a request's `disclose` set).
    ///
    /// # Errors
    /// [`CoreError::NotDisclosable`] if `set` contains `nym` or `binding`.
    pub fn disclose(&self, set: AttributeSet) -> Result<DisclosedAttributes, CoreError> {
        let mut out = DisclosedAttributes::new();
        for a in set.iter() {
            let v = self.disclosed_value(a).ok_or(CoreError::NotDisclosable {
                attribute: a,
                audience: crate::Audience::Issuer,
            })?;
            out.insert(a, v)?;
        }
        Ok(out)
    }
}

impl fmt::Debug for CredentialAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const R: &str = "<redacted>";
        f.debug_struct("CredentialAttributes")
            .field("netid", &R)
            .field("family_name", &R)
            .field("given_name", &R)
            .field("id_hash", &R)
            .field("birthdate", &R)
            .field("doc_type", &self.doc_type)
            .field("assurance", &self.assurance)
            .field("nym", &self.nym)
            .field("binding", &R)
            .field("expiry", &self.expiry)
            .field("rev_index", &self.rev_index)
            .field("guardian_perms", &self.guardian_perms)
            .finish()
    }
}

/// The 12 encoded attributes of a credential in index order. Contains the encoded `nym`, so it
/// is zeroized on drop and its `Debug` is redacted. Dereferences to
/// `[EncodedAttribute; 12]` and is indexable by [`Attribute`] and by `usize`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EncodedCredential([EncodedAttribute; Attribute::COUNT]);

impl EncodedCredential {
    /// Wraps 12 encoded attributes (e.g. received from an issuer).
    pub const fn new(attributes: [EncodedAttribute; Attribute::COUNT]) -> EncodedCredential {
        EncodedCredential(attributes)
    }

    /// The encoded attributes in index order.
    pub const fn as_array(&self) -> &[EncodedAttribute; Attribute::COUNT] {
        &self.0
    }
}

impl core::ops::Deref for EncodedCredential {
    type Target = [EncodedAttribute; Attribute::COUNT];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl core::ops::Index<Attribute> for EncodedCredential {
    type Output = EncodedAttribute;
    fn index(&self, a: Attribute) -> &EncodedAttribute {
        &self.0[a.index()]
    }
}

impl core::ops::Index<usize> for EncodedCredential {
    type Output = EncodedAttribute;
    fn index(&self, i: usize) -> &EncodedAttribute {
        &self.0[i]
    }
}

impl PartialEq for EncodedCredential {
    /// Constant time per attribute.
    fn eq(&self, other: &EncodedCredential) -> bool {
        use subtle::ConstantTimeEq;
        let mut c = subtle::Choice::from(1);
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            c &= a.ct_eq(b);
        }
        c.into()
    }
}

impl Eq for EncodedCredential {}

impl fmt::Debug for EncodedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodedCredential(<redacted>)")
    }
}

/// The plain value of a disclosed attribute, which the verifier re-encodes and checks against
/// the proof.
///
/// JSON (inside [`DisclosedAttributes`], typed by the attribute): text and dates as strings
/// (dates `YYYY-MM-DD`), integers as numbers, digests as base64url.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum DisclosedValue {
    /// A text attribute (`netid`, `family_name`, `given_name`).
    Text(String),
    /// A date attribute (`birthdate`, `expiry`).
    Date(Date),
    /// An integer attribute (`doc_type`, `assurance`, `rev_index`, `guardian_perms`).
    Integer(u64),
    /// A digest attribute (`id_hash`).
    Digest([u8; 32]),
}

impl DisclosedValue {
    /// Checks that the value is of `attribute`'s kind and in its range, and encodes it.
    ///
    /// Ranges: text per [`validate_text`]; `doc_type` a defined [`DocType`] code; `assurance`
    /// 1 or 2; `rev_index` and `guardian_perms` below 2^32.
    ///
    /// # Errors
    /// [`CoreError::WrongValueKind`], [`CoreError::InvalidAttributeValue`],
    /// [`CoreError::UnknownDocType`], [`CoreError::UnknownAssuranceLevel`], or
    /// [`CoreError::NotDisclosable`] for `nym` and `binding`.
    pub fn encode(&self, attribute: Attribute) -> Result<EncodedAttribute, CoreError> {
        let wrong = Err(CoreError::WrongValueKind { attribute });
        match (attribute.kind(), self) {
            (AttributeKind::Secret | AttributeKind::Binding, _) => Err(CoreError::NotDisclosable {
                attribute,
                audience: crate::Audience::Issuer,
            }),
            (AttributeKind::Text, DisclosedValue::Text(s)) => {
                validate_text(attribute, s)?;
                Ok(EncodedAttribute::from_text(attribute, s))
            }
            (AttributeKind::Date, DisclosedValue::Date(d)) => {
                Ok(EncodedAttribute::from_u64(d.days().into()))
            }
            (AttributeKind::Digest, DisclosedValue::Digest(d)) => {
                Ok(EncodedAttribute::from_digest(d))
            }
            (AttributeKind::Integer, DisclosedValue::Integer(v)) => {
                match attribute {
                    Attribute::DocType => {
                        DocType::from_code(*v)?;
                    }
                    Attribute::Assurance => {
                        AssuranceLevel::from_level(*v)?;
                    }
                    _ => {
                        if u32::try_from(*v).is_err() {
                            return Err(CoreError::InvalidAttributeValue {
                                attribute,
                                reason: "not below 2^32",
                            });
                        }
                    }
                }
                Ok(EncodedAttribute::from_u64(*v))
            }
            _ => wrong,
        }
    }
}

/// Disclosed attributes of a presentation: a map from attribute to plain value, ordered by
/// attribute index, each value of its attribute's kind (checked on insertion and when
/// deserializing).
///
/// JSON: an object `{"given_name": "丽", "birthdate": "2008-02-29", "assurance": 2}`.
#[derive(Clone, PartialEq, Eq, Default, Debug)]
pub struct DisclosedAttributes(BTreeMap<Attribute, DisclosedValue>);

impl DisclosedAttributes {
    /// No disclosed attributes.
    pub fn new() -> DisclosedAttributes {
        DisclosedAttributes(BTreeMap::new())
    }

    /// Adds a disclosed value after checking it ([`DisclosedValue::encode`]); replaces any
    /// earlier value for the attribute.
    ///
    /// # Errors
    /// As [`DisclosedValue::encode`].
    pub fn insert(&mut self, attribute: Attribute, value: DisclosedValue) -> Result<(), CoreError> {
        value.encode(attribute)?;
        self.0.insert(attribute, value);
        Ok(())
    }

    /// The value disclosed for `attribute`.
    pub fn get(&self, attribute: Attribute) -> Option<&DisclosedValue> {
        self.0.get(&attribute)
    }

    /// `(attribute, value)` in index order.
    pub fn iter(&self) -> impl Iterator<Item = (Attribute, &DisclosedValue)> {
        self.0.iter().map(|(a, v)| (*a, v))
    }

    /// Number of disclosed attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is disclosed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The set of disclosed attributes.
    pub fn attributes(&self) -> AttributeSet {
        self.0.keys().copied().collect()
    }

    /// `(attribute, encoding)` in index order, for the verifier to check against the proof.
    ///
    /// # Errors
    /// As [`DisclosedValue::encode`] (cannot fail for values inserted through this type).
    pub fn encode(&self) -> Result<Vec<(Attribute, EncodedAttribute)>, CoreError> {
        self.iter().map(|(a, v)| Ok((a, v.encode(a)?))).collect()
    }
}

struct ValueRef<'a>(&'a DisclosedValue);

impl serde::Serialize for ValueRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            DisclosedValue::Text(t) => s.serialize_str(t),
            DisclosedValue::Date(d) => s.collect_str(d),
            DisclosedValue::Integer(i) => s.serialize_u64(*i),
            DisclosedValue::Digest(d) => crate::b64::array::serialize(d, s),
        }
    }
}

impl serde::Serialize for DisclosedAttributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(a, v)| (a, ValueRef(v))))
    }
}

/// A JSON scalar before it is typed by its attribute.
enum RawValue {
    Str(String),
    Int(u64),
}

impl<'de> serde::Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawValue, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a non-negative integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Str(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue::Str(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Int(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawValue, E> {
                u64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom("negative integer attribute value"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawValue, E> {
                // A whole float is the same JSON number as the integer (crate::json).
                <crate::json::Whole<u64> as serde::Deserialize>::deserialize(
                    serde::de::value::F64Deserializer::new(v),
                )
                .map(|w| RawValue::Int(w.0))
            }
        }
        d.deserialize_any(V)
    }
}

fn typed_value(attribute: Attribute, raw: RawValue) -> Result<DisclosedValue, CoreError> {
    let wrong = CoreError::WrongValueKind { attribute };
    let value = match (attribute.kind(), raw) {
        (AttributeKind::Text, RawValue::Str(s)) => DisclosedValue::Text(s),
        (AttributeKind::Date, RawValue::Str(s)) => DisclosedValue::Date(s.parse()?),
        (AttributeKind::Integer, RawValue::Int(i)) => DisclosedValue::Integer(i),
        (AttributeKind::Digest, RawValue::Str(s)) => {
            DisclosedValue::Digest(crate::b64::decode_array(&s, attribute.name())?)
        }
        _ => return Err(wrong),
    };
    // Ranges and lengths are checked where the presentation is checked
    // (`Presentation::check_answers` → `DisclosedAttributes::encode`).
    Ok(value)
}

impl<'de> serde::Deserialize<'de> for DisclosedAttributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DisclosedAttributes, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DisclosedAttributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from netid/v1 attribute names to disclosed values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DisclosedAttributes, A::Error> {
                use serde::de::Error as _;
                let mut out = BTreeMap::new();
                while let Some(a) = map.next_key::<Attribute>()? {
                    let raw: RawValue = map.next_value()?;
                    let v = typed_value(a, raw).map_err(A::Error::custom)?;
                    if out.insert(a, v).is_some() {
                        return Err(A::Error::custom("duplicate disclosed attribute"));
                    }
                }
                Ok(DisclosedAttributes(out))
            }
        }
        d.deserialize_map(V)
    }
}
