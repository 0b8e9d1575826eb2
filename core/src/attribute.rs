//! Schema netid/v1: the attributes, their kinds, and the suite-neutral attribute encoding.
//!
//! # Notes: encoding
//!
//! Every attribute encodes to an [`EncodedAttribute`]: an unsigned integer strictly below
//! 2^248, carried as 32 big-endian bytes whose first byte is zero. Both proof suites map it
//! injectively into their scalar fields (BLS12-381 `Fr` has 255 bits, BN254 `Fr` 254 bits):
//! the integer *is* the BBS message scalar and the Groth16 field element. No reduction modulo
//! a field order ever happens, so the encoding is the same for both suites.
//!
//! | kind | encoding |
//! |---|---|
//! | [`AttributeKind::Text`] | `0x00 ‖ SHA-256("netid/v1/attr/" ‖ name ‖ 0x00 ‖ utf8(value))[0..31]` |
//! | [`AttributeKind::Date`] | the day count since 1900-01-01 as an integer |
//! | [`AttributeKind::Integer`] | the integer |
//! | [`AttributeKind::Digest`] | `0x00 ‖ digest[0..31]` (a 32-byte digest truncated to 248 bits) |
//! | [`AttributeKind::Secret`] | the secret's integer value (already below 2^248) |
//! | [`AttributeKind::Binding`] | the BN254 field element `Poseidon(s)` as an integer (below the BN254 order `r`, which is below both fields' orders) |
//!
//! `binding` is the one attribute that may exceed 2^248: it is a Groth16 field element by
//! definition (the circuit recomputes it from the wallet secret), and `r_BN254 < r_BLS12-381`
//! keeps it injective in the BBS field too.

use core::fmt;
use core::str::FromStr;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use crate::{dst, CoreError};

/// The attributes of schema netid/v1, in signing order.
///
/// The discriminant is the attribute's index in the signed message vector of both suites
/// (BBS messages, the Poseidon input of the Groth16 commitment).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
pub enum Attribute {
    /// The 网号 (network identity number).
    Netid = 0,
    /// Family name (姓).
    FamilyName = 1,
    /// Given name (名).
    GivenName = 2,
    /// Keyed hash of the ID number.
    IdHash = 3,
    /// Date of birth.
    Birthdate = 4,
    /// Identity document type ([`DocType`](crate::DocType)).
    DocType = 5,
    /// Real-name assurance level ([`AssuranceLevel`](crate::AssuranceLevel)).
    Assurance = 6,
    /// Per-person pseudonym secret ([`Nym`](crate::Nym)); never disclosed.
    Nym = 7,
    /// Holder binding: `Poseidon(s)` of the wallet secret ([`HolderBinding`](crate::HolderBinding));
    /// never disclosed.
    Binding = 8,
    /// Last day of validity.
    Expiry = 9,
    /// Position in the revocation structure.
    RevIndex = 10,
    /// Permission bits set by a guardian (minors).
    GuardianPerms = 11,
}

/// How an attribute's value is typed and encoded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AttributeKind {
    /// A UTF-8 string, hashed to 248 bits.
    Text,
    /// A [`Date`](crate::Date), encoded as days since 1900-01-01.
    Date,
    /// A small unsigned integer, encoded as itself.
    Integer,
    /// A 32-byte digest computed elsewhere, truncated to 248 bits.
    Digest,
    /// A secret integer below 2^248, encoded as itself; never disclosed.
    Secret,
    /// A BN254 field element (the holder binding), encoded as itself; never disclosed.
    Binding,
}

/// Who a presentation is shown to; decides which attributes may be disclosed
/// ([`Attribute::check_disclosable`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Audience {
    /// A relying app (verifier) holding an app certificate.
    App,
    /// The issuer itself (e.g. a guardian authenticating to approve a minor's enrollment).
    Issuer,
}

/// The app id reserved for the issuer's own requests (a guardian proving who they are). Only
/// the issuer's app registry can certify it, and the issuer refuses to register it for anyone
/// else; requests under it are checked with [`Audience::Issuer`] rules.
pub const ISSUER_APP_ID: &str = "netid-issuer";

impl Audience {
    /// The audience of a request made under `app_id`: [`Audience::Issuer`] for
    /// [`ISSUER_APP_ID`], [`Audience::App`] for every other app.
    pub fn for_app_id(app_id: &str) -> Audience {
        if app_id == ISSUER_APP_ID {
            Audience::Issuer
        } else {
            Audience::App
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Audience::App => "an app",
            Audience::Issuer => "the issuer",
        })
    }
}

impl Attribute {
    /// Number of attributes in netid/v1.
    pub const COUNT: usize = 12;

    /// All attributes in index order.
    pub const ALL: [Attribute; Attribute::COUNT] = [
        Attribute::Netid,
        Attribute::FamilyName,
        Attribute::GivenName,
        Attribute::IdHash,
        Attribute::Birthdate,
        Attribute::DocType,
        Attribute::Assurance,
        Attribute::Nym,
        Attribute::Binding,
        Attribute::Expiry,
        Attribute::RevIndex,
        Attribute::GuardianPerms,
    ];

    /// Position in the signed message vector (0..=11).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The attribute at `index`.
    ///
    /// # Errors
    /// [`CoreError::UnknownAttributeIndex`] for an index ≥ 12.
    pub fn from_index(index: usize) -> Result<Attribute, CoreError> {
        Attribute::ALL
            .get(index)
            .copied()
            .ok_or(CoreError::UnknownAttributeIndex(
                u8::try_from(index).unwrap_or(u8::MAX),
            ))
    }

    /// The schema name (`"given_name"`, …), as used in JSON and in the text-attribute hash.
    pub const fn name(self) -> &'static str {
        match self {
            Attribute::Netid => "netid",
            Attribute::FamilyName => "family_name",
            Attribute::GivenName => "given_name",
            Attribute::IdHash => "id_hash",
            Attribute::Birthdate => "birthdate",
            Attribute::DocType => "doc_type",
            Attribute::Assurance => "assurance",
            Attribute::Nym => "nym",
            Attribute::Binding => "binding",
            Attribute::Expiry => "expiry",
            Attribute::RevIndex => "rev_index",
            Attribute::GuardianPerms => "guardian_perms",
        }
    }

    /// The attribute with schema name `name` (exact, case-sensitive).
    ///
    /// # Errors
    /// [`CoreError::UnknownAttribute`] (the name is included, truncated to 64 characters).
    pub fn from_name(name: &str) -> Result<Attribute, CoreError> {
        Attribute::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| CoreError::UnknownAttribute(name.chars().take(64).collect()))
    }

    /// How the attribute is typed and encoded.
    pub const fn kind(self) -> AttributeKind {
        match self {
            Attribute::Netid | Attribute::FamilyName | Attribute::GivenName => AttributeKind::Text,
            Attribute::IdHash => AttributeKind::Digest,
            Attribute::Binding => AttributeKind::Binding,
            Attribute::Birthdate | Attribute::Expiry => AttributeKind::Date,
            Attribute::DocType
            | Attribute::Assurance
            | Attribute::RevIndex
            | Attribute::GuardianPerms => AttributeKind::Integer,
            Attribute::Nym => AttributeKind::Secret,
        }
    }

    /// Whether the attribute may be disclosed to `audience`. This is the single disclosure rule
    /// of netid/v1:
    ///
    /// * `nym`, `binding`: to no one, ever (the pseudonym secret; a stable per-wallet value the
    ///   presentation proves knowledge of the preimage of);
    /// * `netid`, `id_hash`, `rev_index`: to the issuer only — each is a stable
    ///   per-person or per-credential identifier, so disclosing it to apps would link the holder
    ///   across apps;
    /// * every other attribute: to anyone the holder consents to.
    pub const fn is_disclosable_to(self, audience: Audience) -> bool {
        match self {
            Attribute::Nym | Attribute::Binding => false,
            Attribute::Netid | Attribute::IdHash | Attribute::RevIndex => {
                matches!(audience, Audience::Issuer)
            }
            _ => true,
        }
    }

    /// [`Attribute::is_disclosable_to`] as a `Result`.
    ///
    /// # Errors
    /// [`CoreError::NotDisclosable`].
    pub const fn check_disclosable(self, audience: Audience) -> Result<(), CoreError> {
        if self.is_disclosable_to(audience) {
            Ok(())
        } else {
            Err(CoreError::NotDisclosable {
                attribute: self,
                audience,
            })
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Attribute {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Attribute, CoreError> {
        Attribute::from_name(s)
    }
}

impl serde::Serialize for Attribute {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Attribute {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Attribute, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Attribute;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a netid/v1 attribute name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Attribute, E> {
                Attribute::from_name(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A set of attributes; iterates, serializes and encodes in index order, so it is canonical.
///
/// JSON: an array of attribute names in index order; deserialization rejects duplicates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AttributeSet(u16);

impl AttributeSet {
    /// The empty set.
    pub const EMPTY: AttributeSet = AttributeSet(0);

    /// The empty set.
    pub const fn new() -> AttributeSet {
        AttributeSet(0)
    }

    /// Adds `a`; returns whether it was newly added.
    pub fn insert(&mut self, a: Attribute) -> bool {
        let bit = 1u16 << a.index();
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }

    /// Removes `a`; returns whether it was present.
    pub fn remove(&mut self, a: Attribute) -> bool {
        let bit = 1u16 << a.index();
        let had = self.0 & bit != 0;
        self.0 &= !bit;
        had
    }

    /// Whether `a` is in the set.
    pub const fn contains(self, a: Attribute) -> bool {
        self.0 & (1u16 << a.index()) != 0
    }

    /// Number of attributes.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The attributes in index order.
    pub fn iter(self) -> impl Iterator<Item = Attribute> {
        Attribute::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }

    /// The attributes in index order, as a vector.
    pub fn to_vec(self) -> Vec<Attribute> {
        self.iter().collect()
    }

    /// Bit `i` set iff the attribute with index `i` is in the set.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// The set with these bits; bits above the last attribute are an error.
    ///
    /// # Errors
    /// [`CoreError::UnknownAttributeIndex`] naming the first unknown bit.
    pub fn from_bits(bits: u16) -> Result<AttributeSet, CoreError> {
        let unknown = bits >> Attribute::COUNT;
        if unknown != 0 {
            // COUNT + trailing_zeros < 16, so the cast cannot truncate.
            return Err(CoreError::UnknownAttributeIndex(
                (Attribute::COUNT as u32 + unknown.trailing_zeros()) as u8,
            ));
        }
        Ok(AttributeSet(bits))
    }

    /// Checks that every attribute may be disclosed to `audience`.
    ///
    /// # Errors
    /// [`CoreError::NotDisclosable`] for the first (lowest-index) offending attribute.
    pub fn check_disclosable(self, audience: Audience) -> Result<(), CoreError> {
        self.iter().try_for_each(|a| a.check_disclosable(audience))
    }
}

impl FromIterator<Attribute> for AttributeSet {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> AttributeSet {
        let mut s = AttributeSet::new();
        for a in iter {
            s.insert(a);
        }
        s
    }
}

impl<const N: usize> From<[Attribute; N]> for AttributeSet {
    fn from(v: [Attribute; N]) -> AttributeSet {
        v.into_iter().collect()
    }
}

impl fmt::Debug for AttributeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl serde::Serialize for AttributeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for AttributeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AttributeSet, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AttributeSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of distinct netid/v1 attribute names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<AttributeSet, A::Error> {
                let mut set = AttributeSet::new();
                while let Some(a) = seq.next_element::<Attribute>()? {
                    if !set.insert(a) {
                        return Err(serde::de::Error::custom("duplicate attribute in set"));
                    }
                }
                Ok(set)
            }
        }
        d.deserialize_seq(V)
    }
}

/// An attribute encoded for signing: an unsigned integer strictly below 2^248 (the first byte is
/// zero) — or, for `binding` only, below the BN254 order — as 32 big-endian bytes.
///
/// BBS uses the integer as the message scalar (BLS12-381 `Fr`), Groth16 as a BN254 field
/// element; both are injective because 2^248 is below both field orders. Equality is constant
/// time. The encoding of `nym` is secret: zeroize it after use.
///
/// ```
/// use netid_core::{Attribute, EncodedAttribute};
/// let e = EncodedAttribute::from_u64(18_000);
/// assert_eq!(e.as_u64(), Some(18_000));
/// assert_eq!(EncodedAttribute::from_be_bytes(&e.to_be_bytes())?, e);
/// let t = EncodedAttribute::from_text(Attribute::GivenName, "丽");
/// assert_eq!(t.to_be_bytes()[0], 0);
/// assert!(EncodedAttribute::from_be_bytes(&[0xff; 32]).is_err());
/// # Ok::<(), netid_core::CoreError>(())
/// ```
#[derive(Clone, Copy, Zeroize)]
pub struct EncodedAttribute([u8; 32]);

impl EncodedAttribute {
    /// The integer 0.
    pub const ZERO: EncodedAttribute = EncodedAttribute([0; 32]);

    /// Parses 32 big-endian bytes.
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] if the integer is ≥ 2^248 (first byte non-zero).
    pub const fn from_be_bytes(bytes: &[u8; 32]) -> Result<EncodedAttribute, CoreError> {
        if bytes[0] != 0 {
            return Err(CoreError::EncodingOutOfRange {
                what: "encoded attribute",
            });
        }
        Ok(EncodedAttribute(*bytes))
    }

    /// Parses 32 little-endian bytes (the byte order of `bls12_381::Scalar::from_bytes`).
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] if the integer is ≥ 2^248 (last byte non-zero).
    pub fn from_le_bytes(bytes: &[u8; 32]) -> Result<EncodedAttribute, CoreError> {
        let mut be = *bytes;
        be.reverse();
        EncodedAttribute::from_be_bytes(&be)
    }

    /// Wraps bytes whose first byte the caller guarantees to be zero.
    pub(crate) const fn from_be_bytes_unchecked(bytes: [u8; 32]) -> EncodedAttribute {
        debug_assert!(bytes[0] == 0);
        EncodedAttribute(bytes)
    }

    /// Wraps a canonical BN254 field element (the `binding` attribute; the caller guarantees
    /// it is below the BN254 order).
    pub(crate) const fn from_field_element_unchecked(bytes: [u8; 32]) -> EncodedAttribute {
        EncodedAttribute(bytes)
    }

    /// The 32 big-endian bytes.
    pub const fn to_be_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The 32 little-endian bytes (for `bls12_381::Scalar::from_bytes`,
    /// `ark_ff::PrimeField::from_le_bytes_mod_order`; both are exact since the value < 2^248).
    pub fn to_le_bytes(&self) -> [u8; 32] {
        let mut le = self.0;
        le.reverse();
        le
    }

    /// The big-endian bytes by reference.
    pub const fn as_be_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// An integer attribute.
    pub const fn from_u64(v: u64) -> EncodedAttribute {
        let mut b = [0u8; 32];
        let v = v.to_be_bytes();
        let mut i = 0;
        while i < 8 {
            b[24 + i] = v[i];
            i += 1;
        }
        EncodedAttribute(b)
    }

    /// The integer if it fits in a `u64` (always the case for integer and date attributes).
    pub fn as_u64(&self) -> Option<u64> {
        if self.0[..24].iter().any(|b| *b != 0) {
            return None;
        }
        let mut v = [0u8; 8];
        v.copy_from_slice(&self.0[24..]);
        Some(u64::from_be_bytes(v))
    }

    /// A 32-byte digest truncated to 248 bits: `0x00 ‖ digest[0..31]` (drops the last byte).
    pub fn from_digest(digest: &[u8; 32]) -> EncodedAttribute {
        let mut b = [0u8; 32];
        b[1..].copy_from_slice(&digest[..31]);
        EncodedAttribute(b)
    }

    /// A text attribute: `0x00 ‖ SHA-256("netid/v1/attr/" ‖ name ‖ 0x00 ‖ utf8(value))[0..31]`.
    ///
    /// The value's UTF-8 bytes are hashed exactly as given (no Unicode normalization; the issuer
    /// stores names in NFC).
    pub fn from_text(attribute: Attribute, value: &str) -> EncodedAttribute {
        let mut h = Sha256::new();
        h.update(dst::ATTR_TEXT);
        h.update(attribute.name().as_bytes());
        h.update([0u8]);
        h.update(value.as_bytes());
        let d: [u8; 32] = h.finalize().into();
        EncodedAttribute::from_digest(&d)
    }
}

impl ConstantTimeEq for EncodedAttribute {
    fn ct_eq(&self, other: &EncodedAttribute) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for EncodedAttribute {
    fn eq(&self, other: &EncodedAttribute) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for EncodedAttribute {}

impl fmt::Debug for EncodedAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedAttribute({})", hex::encode(self.0))
    }
}

impl serde::Serialize for EncodedAttribute {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::b64::array::serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for EncodedAttribute {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EncodedAttribute, D::Error> {
        let b: [u8; 32] = crate::b64::array::deserialize(d)?;
        EncodedAttribute::from_be_bytes(&b).map_err(serde::de::Error::custom)
    }
}

/// The digest of a device public key: `SHA-256(u32_be(19) ‖ "netid/v1/device-key" ‖
/// public_key_bytes)`. The issuer records it per credential to authenticate refreshes (it is not
/// a credential attribute).
pub fn device_key_digest(public_key: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    dst::update_len_prefixed(&mut h, dst::DEVICE_KEY);
    h.update(public_key);
    h.finalize().into()
}
