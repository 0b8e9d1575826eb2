//! Minors: who may enrol whom, guardian checks, and guardian permission bits
//! (specs/issuer.md §6).
//!
//! | age on the day of enrolment | who applies | when the credential is issued |
//! |---|---|---|
//! | under 14 ([`AgeGroup::Child`]) | only a guardian, on the child's behalf | at once; the relation is stored |
//! | 14–17 ([`AgeGroup::Teen`]) | the minor | after a guardian approves; the relation is stored then |
//! | 18 and over ([`AgeGroup::Adult`]) | the person | at once |
//!
//! A guardian is an enrolled, active adult who proved who they are with their own credential;
//! the relation ([`GuardianRelation`]) is stored. Guardians set the minor's [`GuardianPerms`]:
//! the app categories the minor's credential may be shown to. The bits are signed into the
//! credential's `guardian_perms` attribute, so a change takes effect through a refresh (the
//! earlier credential is superseded and revoked). Adults' credentials carry
//! [`GuardianPerms::UNRESTRICTED`]. A minor's credential expires at the latest the day before the
//! 18th birthday ([`minor_expiry_cap`]), so the restriction cannot outlive minority and the
//! refresh after it lifts it.

use core::fmt;

use netid_core::{age_on, Date};

use crate::storage::{PersonRecord, PersonStatus};
use crate::IssuerError;

/// Age from which a minor applies themselves (with a guardian's approval).
pub const TEEN_AGE: u32 = 14;
/// Age of majority.
pub const ADULT_AGE: u32 = 18;

/// Age group on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgeGroup {
    /// Under 14.
    Child,
    /// 14 to 17.
    Teen,
    /// 18 or over.
    Adult,
}

impl AgeGroup {
    /// Whether the person is under 18.
    pub const fn is_minor(self) -> bool {
        !matches!(self, AgeGroup::Adult)
    }
}

/// The age group of someone born on `birthdate`, on `today`.
///
/// # Errors
/// [`IssuerError::InvalidInput`] if `birthdate` is after `today`.
pub fn age_group(birthdate: Date, today: Date) -> Result<AgeGroup, IssuerError> {
    let age = age_on(birthdate, today).ok_or(IssuerError::InvalidInput("birthdate after today"))?;
    Ok(if age < TEEN_AGE {
        AgeGroup::Child
    } else if age < ADULT_AGE {
        AgeGroup::Teen
    } else {
        AgeGroup::Adult
    })
}

/// Who submits an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicant {
    /// The person themselves.
    Holder,
    /// A guardian on the person's behalf (authenticated by their own credential).
    Guardian,
}

/// What to do with an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolmentDecision {
    /// Enrol and issue now.
    Issue,
    /// Enrol with status [`PersonStatus::PendingGuardianApproval`]; issue after approval.
    AwaitGuardianApproval,
}

/// Applies the minors policy.
///
/// # Errors
/// [`IssuerError::MinorNeedsGuardian`] for a child applying alone; [`IssuerError::InvalidGuardian`]
/// for a guardian applying for an adult or for a 14–17-year-old (who applies themselves);
/// [`IssuerError::InvalidInput`] for a birthdate after today.
pub fn decide(
    birthdate: Date,
    today: Date,
    applicant: Applicant,
) -> Result<EnrolmentDecision, IssuerError> {
    match (age_group(birthdate, today)?, applicant) {
        (AgeGroup::Adult, Applicant::Holder) => Ok(EnrolmentDecision::Issue),
        (AgeGroup::Child, Applicant::Guardian) => Ok(EnrolmentDecision::Issue),
        (AgeGroup::Teen, Applicant::Holder) => Ok(EnrolmentDecision::AwaitGuardianApproval),
        (AgeGroup::Child, Applicant::Holder) => Err(IssuerError::MinorNeedsGuardian),
        (AgeGroup::Teen, Applicant::Guardian) => Err(IssuerError::InvalidGuardian(
            "a 14-17-year-old applies themselves and a guardian approves",
        )),
        (AgeGroup::Adult, Applicant::Guardian) => {
            Err(IssuerError::InvalidGuardian("an adult enrols themselves"))
        }
    }
}

/// Checks that `guardian` may act as guardian of `minor` on `today`: an active enrolment, an
/// adult, a different person, and the minor under 18.
///
/// # Errors
/// [`IssuerError::InvalidGuardian`] naming the failed rule.
pub fn check_guardian(
    guardian: &PersonRecord,
    minor_birthdate: Date,
    minor_id: Option<crate::storage::PersonId>,
    today: Date,
) -> Result<(), IssuerError> {
    if guardian.status != PersonStatus::Active {
        return Err(IssuerError::InvalidGuardian(
            "the guardian's own enrolment is not active",
        ));
    }
    if age_group(guardian.birthdate, today)? != AgeGroup::Adult {
        return Err(IssuerError::InvalidGuardian("a guardian must be an adult"));
    }
    if minor_id == Some(guardian.id) {
        return Err(IssuerError::InvalidGuardian(
            "a person cannot be their own guardian",
        ));
    }
    if !age_group(minor_birthdate, today)?.is_minor() {
        return Err(IssuerError::InvalidGuardian("only minors have guardians"));
    }
    Ok(())
}

/// The latest expiry of a credential for someone born on `birthdate`: the day before the 18th
/// birthday (29 February birthdays: 28 February), or `None` for no cap (adults, or out of range).
pub fn minor_expiry_cap(birthdate: Date, today: Date) -> Option<Date> {
    let eighteenth = birthdate.checked_add_years(ADULT_AGE)?;
    // checked_add_years maps 29 February to 28 February; age_on puts the birthday on 1 March.
    let birthday = if birthdate.month() == 2 && birthdate.day() == 29 && eighteenth.day() == 28 {
        eighteenth.checked_add_days(1)?
    } else {
        eighteenth
    };
    if birthday <= today {
        return None;
    }
    birthday.checked_sub_days(1)
}

pub use netid_core::issuer_api::GuardianRelation;

/// Guardian permission bits (`guardian_perms`): which app categories a minor's credential may be
/// shown to. Bit `i` allows [`GuardianPerms::CATEGORIES`]`[i]` (an app's registered category);
/// bit 31 ([`GuardianPerms::UNRESTRICTED`]) marks an adult's credential (no restriction). Bits
/// 10–30 are reserved and rejected.
///
/// | bit | value | category |
/// |---:|---:|---|
/// | 0 | 0x001 | `education` (学习教育) |
/// | 1 | 0x002 | `government` (政务服务) |
/// | 2 | 0x004 | `travel` (交通出行) |
/// | 3 | 0x008 | `health` (医疗健康) |
/// | 4 | 0x010 | `news` (新闻资讯) |
/// | 5 | 0x020 | `shopping` (购物) |
/// | 6 | 0x040 | `social` (社交) |
/// | 7 | 0x080 | `video` (视频直播) |
/// | 8 | 0x100 | `gaming` (网络游戏) |
/// | 9 | 0x200 | `finance` (金融支付) |
/// | 31 | 0x8000_0000 | unrestricted (adults) |
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GuardianPerms(u32);

impl GuardianPerms {
    /// The category names, by bit.
    pub const CATEGORIES: [&'static str; 10] = netid_core::issuer_api::GUARDIAN_CATEGORIES;
    /// No category allowed.
    pub const NONE: GuardianPerms = GuardianPerms(0);
    /// Every defined category (not [`GuardianPerms::UNRESTRICTED`]).
    pub const ALL_CATEGORIES: GuardianPerms = GuardianPerms((1 << 10) - 1);
    /// An adult's credential: no restriction.
    pub const UNRESTRICTED: GuardianPerms = GuardianPerms(1 << 31);
    /// A new minor's permissions until a guardian changes them: education, government, travel,
    /// health.
    pub const DEFAULT_MINOR: GuardianPerms = GuardianPerms(0b1111);

    /// The integer (the credential attribute).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// From an integer.
    ///
    /// # Errors
    /// [`IssuerError::InvalidPermissions`] for reserved bits, or
    /// [`GuardianPerms::UNRESTRICTED`] combined with category bits.
    pub fn from_bits(bits: u32) -> Result<GuardianPerms, IssuerError> {
        let p = GuardianPerms(bits);
        if bits & !(Self::ALL_CATEGORIES.0 | Self::UNRESTRICTED.0) != 0 {
            return Err(IssuerError::InvalidPermissions("reserved bits set"));
        }
        if p.is_unrestricted() && bits != Self::UNRESTRICTED.0 {
            return Err(IssuerError::InvalidPermissions(
                "the unrestricted bit stands alone",
            ));
        }
        Ok(p)
    }

    /// What a guardian may set for a minor: category bits only.
    ///
    /// # Errors
    /// As [`GuardianPerms::from_bits`], and [`IssuerError::InvalidPermissions`] for
    /// [`GuardianPerms::UNRESTRICTED`] (reserved for adults).
    pub fn for_minor(bits: u32) -> Result<GuardianPerms, IssuerError> {
        let p = GuardianPerms::from_bits(bits)?;
        if p.is_unrestricted() {
            return Err(IssuerError::InvalidPermissions(
                "the unrestricted bit is reserved for adults",
            ));
        }
        Ok(p)
    }

    /// The bit of a category name.
    pub fn category(name: &str) -> Option<GuardianPerms> {
        GuardianPerms::CATEGORIES
            .iter()
            .position(|c| *c == name)
            .map(|i| GuardianPerms(1 << i))
    }

    /// From category names.
    ///
    /// # Errors
    /// [`IssuerError::InvalidPermissions`] for an unknown name.
    pub fn from_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<GuardianPerms, IssuerError> {
        names.into_iter().try_fold(GuardianPerms::NONE, |acc, n| {
            GuardianPerms::category(n)
                .map(|b| acc.union(b))
                .ok_or(IssuerError::InvalidPermissions("unknown app category"))
        })
    }

    /// The allowed category names (empty for [`GuardianPerms::UNRESTRICTED`]).
    pub fn names(self) -> Vec<&'static str> {
        GuardianPerms::CATEGORIES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, c)| *c)
            .collect()
    }

    /// Whether this is an adult's unrestricted value.
    pub const fn is_unrestricted(self) -> bool {
        self.0 & Self::UNRESTRICTED.0 != 0
    }

    /// Whether a credential with these bits may be shown to an app of `category`.
    pub fn permits(self, category: &str) -> bool {
        self.is_unrestricted()
            || GuardianPerms::category(category).is_some_and(|b| self.contains(b))
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: GuardianPerms) -> bool {
        self.0 & other.0 == other.0
    }

    /// Bits in either.
    #[must_use]
    pub const fn union(self, other: GuardianPerms) -> GuardianPerms {
        GuardianPerms(self.0 | other.0)
    }

    /// Bits in both.
    #[must_use]
    pub const fn intersection(self, other: GuardianPerms) -> GuardianPerms {
        GuardianPerms(self.0 & other.0)
    }

    /// Bits in `self` but not in `other`.
    #[must_use]
    pub const fn difference(self, other: GuardianPerms) -> GuardianPerms {
        GuardianPerms(self.0 & !other.0)
    }

    /// Sets the bits of `other`.
    pub fn insert(&mut self, other: GuardianPerms) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    pub fn remove(&mut self, other: GuardianPerms) {
        self.0 &= !other.0;
    }

    /// The value a credential for someone of `group` carries, given the minor's stored bits.
    pub fn for_credential(group: AgeGroup, stored: GuardianPerms) -> GuardianPerms {
        if group.is_minor() {
            stored.difference(GuardianPerms::UNRESTRICTED)
        } else {
            GuardianPerms::UNRESTRICTED
        }
    }
}

impl fmt::Debug for GuardianPerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unrestricted() {
            f.write_str("GuardianPerms(unrestricted)")
        } else {
            write!(f, "GuardianPerms({:?})", self.names())
        }
    }
}

impl core::ops::BitOr for GuardianPerms {
    type Output = GuardianPerms;
    fn bitor(self, rhs: GuardianPerms) -> GuardianPerms {
        self.union(rhs)
    }
}

impl core::ops::BitAnd for GuardianPerms {
    type Output = GuardianPerms;
    fn bitand(self, rhs: GuardianPerms) -> GuardianPerms {
        self.intersection(rhs)
    }
}

/// JSON: `{"bits": 15, "categories": ["education", …]}` when writing; reading accepts that
/// object (bits win and must agree with the names when both are given), a bare integer, or a
/// list of category names.
impl serde::Serialize for GuardianPerms {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("GuardianPerms", 2)?;
        st.serialize_field("bits", &self.0)?;
        st.serialize_field("categories", &self.names())?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for GuardianPerms {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<GuardianPerms, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Bits(u32),
            Names(Vec<String>),
            Object {
                bits: Option<u32>,
                categories: Option<Vec<String>>,
            },
        }
        let from_names = |names: &[String]| {
            GuardianPerms::from_names(names.iter().map(String::as_str))
                .map_err(serde::de::Error::custom)
        };
        match Repr::deserialize(d)? {
            Repr::Bits(b) => GuardianPerms::from_bits(b).map_err(serde::de::Error::custom),
            Repr::Names(n) => from_names(&n),
            Repr::Object { bits, categories } => {
                let by_names = categories.as_deref().map(from_names).transpose()?;
                match (bits, by_names) {
                    (Some(b), by_names) => {
                        let p = GuardianPerms::from_bits(b).map_err(serde::de::Error::custom)?;
                        if by_names.is_some_and(|n| n != p.difference(GuardianPerms::UNRESTRICTED))
                        {
                            return Err(serde::de::Error::custom("bits and categories disagree"));
                        }
                        Ok(p)
                    }
                    (None, Some(p)) => Ok(p),
                    (None, None) => Err(serde::de::Error::custom("bits or categories required")),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::IdHash;
    use crate::netid_number::NetidNumber;
    use crate::storage::PersonId;
    use netid_core::{AssuranceLevel, DocType};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn age_groups_and_decisions() {
        let today = d("2026-03-01");
        assert_eq!(age_group(d("2012-03-02"), today).unwrap(), AgeGroup::Child);
        assert_eq!(age_group(d("2012-03-01"), today).unwrap(), AgeGroup::Teen);
        assert_eq!(age_group(d("2008-03-02"), today).unwrap(), AgeGroup::Teen);
        assert_eq!(age_group(d("2008-03-01"), today).unwrap(), AgeGroup::Adult);
        // 29 February: 18 on 1 March in a common year.
        assert_eq!(
            age_group(d("2008-02-29"), d("2026-02-28")).unwrap(),
            AgeGroup::Teen
        );
        assert_eq!(
            age_group(d("2008-02-29"), d("2026-03-01")).unwrap(),
            AgeGroup::Adult
        );
        assert!(age_group(d("2026-03-02"), today).is_err());

        use Applicant::*;
        let child = d("2015-01-01");
        let teen = d("2010-01-01");
        let adult = d("1990-01-01");
        assert!(matches!(
            decide(child, today, Holder),
            Err(IssuerError::MinorNeedsGuardian)
        ));
        assert_eq!(
            decide(child, today, Guardian).unwrap(),
            EnrolmentDecision::Issue
        );
        assert_eq!(
            decide(teen, today, Holder).unwrap(),
            EnrolmentDecision::AwaitGuardianApproval
        );
        assert!(matches!(
            decide(teen, today, Guardian),
            Err(IssuerError::InvalidGuardian(_))
        ));
        assert_eq!(
            decide(adult, today, Holder).unwrap(),
            EnrolmentDecision::Issue
        );
        assert!(matches!(
            decide(adult, today, Guardian),
            Err(IssuerError::InvalidGuardian(_))
        ));
    }

    fn person(id: i64, birthdate: &str, status: PersonStatus) -> PersonRecord {
        let keys = crate::keys::IdentityKeys::new(
            crate::netid_number::NetidKey::new([1; 32]),
            crate::keys::NymKey::new([2; 32]),
        );
        let idn = crate::id_number::IdNumber::parse("11010519491231002X", d("2026-01-01")).unwrap();
        let netid: NetidNumber = keys.netid_number(&idn);
        PersonRecord {
            id: PersonId(id),
            id_hash: IdHash::from_bytes([id as u8; 32]),
            netid,
            family_name: "王".into(),
            given_name: "丽".into(),
            birthdate: d(birthdate),
            doc_type: DocType::ResidentIdCard,
            assurance: AssuranceLevel::Remote,
            status,
            guardian_perms: GuardianPerms::UNRESTRICTED,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn guardian_checks() {
        let today = d("2026-03-01");
        let g = person(1, "1980-01-01", PersonStatus::Active);
        let kid = d("2016-01-01");
        check_guardian(&g, kid, Some(PersonId(2)), today).unwrap();
        assert!(check_guardian(&g, kid, Some(PersonId(1)), today).is_err());
        assert!(check_guardian(&g, d("2000-01-01"), None, today).is_err());
        let young = person(3, "2010-01-01", PersonStatus::Active);
        assert!(check_guardian(&young, kid, None, today).is_err());
        let pending = person(4, "1980-01-01", PersonStatus::PendingGuardianApproval);
        assert!(check_guardian(&pending, kid, None, today).is_err());
    }

    #[test]
    fn expiry_cap() {
        let today = d("2026-03-01");
        assert_eq!(
            minor_expiry_cap(d("2010-06-15"), today),
            Some(d("2028-06-14"))
        );
        assert_eq!(
            minor_expiry_cap(d("2008-02-29"), d("2026-02-01")),
            Some(d("2026-02-28"))
        );
        assert_eq!(minor_expiry_cap(d("2008-03-01"), today), None);
        assert_eq!(minor_expiry_cap(d("1990-01-01"), today), None);
    }

    #[test]
    fn permission_bits() {
        let mut p = GuardianPerms::DEFAULT_MINOR;
        assert_eq!(p.names(), ["education", "government", "travel", "health"]);
        assert!(p.permits("travel") && !p.permits("gaming") && !p.permits("unknown"));
        p.insert(GuardianPerms::category("gaming").unwrap());
        assert!(p.permits("gaming"));
        p.remove(GuardianPerms::category("education").unwrap());
        assert!(!p.permits("education"));
        assert_eq!(p.bits(), 0b1_0000_1110);
        assert!(GuardianPerms::UNRESTRICTED.permits("gaming"));
        assert!(GuardianPerms::UNRESTRICTED.names().is_empty());
        assert_eq!(
            GuardianPerms::from_names(["social", "video"])
                .unwrap()
                .bits(),
            0b1100_0000
        );
        assert!(GuardianPerms::from_names(["casino"]).is_err());
        assert!(GuardianPerms::from_bits(1 << 10).is_err());
        assert!(GuardianPerms::from_bits((1 << 31) | 1).is_err());
        assert!(GuardianPerms::for_minor(1 << 31).is_err());
        assert_eq!(GuardianPerms::for_minor(0b11).unwrap().bits(), 3);
        assert_eq!(
            GuardianPerms::ALL_CATEGORIES.names().len(),
            GuardianPerms::CATEGORIES.len()
        );
        let a = GuardianPerms::from_bits(0b0110).unwrap();
        let b = GuardianPerms::from_bits(0b0011).unwrap();
        assert_eq!((a | b).bits(), 0b0111);
        assert_eq!((a & b).bits(), 0b0010);
        assert_eq!(a.difference(b).bits(), 0b0100);
        assert!((a | b).contains(a));
        assert_eq!(
            GuardianPerms::for_credential(AgeGroup::Teen, GuardianPerms::DEFAULT_MINOR),
            GuardianPerms::DEFAULT_MINOR
        );
        assert_eq!(
            GuardianPerms::for_credential(AgeGroup::Adult, GuardianPerms::DEFAULT_MINOR),
            GuardianPerms::UNRESTRICTED
        );
        assert_eq!(
            format!("{a:?}"),
            "GuardianPerms([\"government\", \"travel\"])"
        );
        // JSON forms.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"bits":6,"categories":["government","travel"]}"#);
        assert_eq!(serde_json::from_str::<GuardianPerms>(&json).unwrap(), a);
        assert_eq!(serde_json::from_str::<GuardianPerms>("6").unwrap(), a);
        assert_eq!(
            serde_json::from_str::<GuardianPerms>(r#"["government","travel"]"#).unwrap(),
            a
        );
        assert!(
            serde_json::from_str::<GuardianPerms>(r#"{"bits":6,"categories":["news"]}"#).is_err()
        );
        assert!(serde_json::from_str::<GuardianPerms>("4096").is_err());
        assert_eq!(
            GuardianRelation::parse("parent").unwrap(),
            GuardianRelation::Parent
        );
        assert!(GuardianRelation::parse("uncle").is_none());
    }
}
