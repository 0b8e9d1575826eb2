//! Guardians (specs/protocol.md §4, specs/issuer.md §6): the issuer's request for a guardian's
//! presentation, approving a 14–17-year-old's enrolment, listing wards and setting their
//! permissions.

use netid_core::{Attribute, Date, DisclosedValue, Presentation, PresentationRequest, Suite};
use netid_verifier::VerifierError;

use super::{suites_or_all, unix_u64, Issuer, GUARDIAN_REQUEST_TTL_SECS};
use crate::api::{GuardianProof, WardInfo};
use crate::clock::today;
use crate::minors::{check_guardian, GuardianPerms};
use crate::netid_number::NetidNumber;
use crate::storage::{PersonId, PersonRecord, PersonStatus, Storage};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    /// A fresh request a guardian's wallet answers to prove who they are (discloses the 网号,
    /// age ≥ 18, not expired), for the given suites (default: all).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a bad suite list.
    pub async fn guardian_request(
        &self,
        suites: &[Suite],
    ) -> Result<PresentationRequest, IssuerError> {
        let now = self.now();
        let suites = suites_or_all(suites, self.groth16_setup)?;
        let request = self
            .self_app
            .request(today(now)?)
            .age_at_least(18)
            .disclose(Attribute::Netid)
            .not_expired()
            .suites(&suites)
            .ttl(std::time::Duration::from_secs(GUARDIAN_REQUEST_TTL_SECS))
            .build(unix_u64(now))
            .map_err(|_| IssuerError::InvalidInput("cannot build the guardian request"))?;
        self.guardians
            .register(&request, unix_u64(now))
            .await
            .map_err(|_| IssuerError::InvalidInput("cannot register the guardian request"))?;
        Ok(request)
    }

    /// The person with 网号 `netid` (a guardian route's minor).
    async fn minor(&self, netid: &str) -> Result<PersonRecord, IssuerError> {
        self.storage
            .person_by_netid(&NetidNumber::parse(netid)?)
            .await?
            .ok_or(IssuerError::NotFound("minor"))
    }

    /// Verifies a guardian's presentation and returns the guardian's record.
    pub(super) async fn verified_guardian(
        &self,
        presentation: &Presentation,
    ) -> Result<PersonRecord, IssuerError> {
        let now = self.now();
        let claims = self
            .guardians
            .receive(presentation, unix_u64(now))
            .await
            .map_err(guardian_error)?;
        if claims.age_at_least.unwrap_or(0) < 18 {
            return Err(IssuerError::InvalidGuardian(
                "the presentation must prove age 18",
            ));
        }
        let netid = match claims.disclosed.get(Attribute::Netid) {
            Some(DisclosedValue::Text(t)) => NetidNumber::parse(t)?,
            _ => {
                return Err(IssuerError::InvalidGuardian(
                    "the presentation must disclose the 网号",
                ))
            }
        };
        self.storage
            .person_by_netid(&netid)
            .await?
            .ok_or(IssuerError::InvalidGuardian("the guardian is not enrolled"))
    }

    pub(super) async fn guardian_from(
        &self,
        proof: &GuardianProof,
        minor_birthdate: Date,
        minor: Option<PersonId>,
        today: Date,
    ) -> Result<PersonRecord, IssuerError> {
        let g = self.verified_guardian(&proof.presentation).await?;
        check_guardian(&g, minor_birthdate, minor, today)?;
        Ok(g)
    }

    /// A guardian approves a 14–17-year-old's pending enrolment; the relation is stored.
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`], [`IssuerError::NotFound`], [`IssuerError::NotAllowed`].
    pub async fn approve_minor(
        &self,
        minor_netid: &str,
        proof: &GuardianProof,
    ) -> Result<WardInfo, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        let minor = self.minor(minor_netid).await?;
        let g = self
            .guardian_from(proof, minor.birthdate, Some(minor.id), today)
            .await?;
        // Only a pending enrolment can gain a guardian this way; once a minor is active, a new
        // guardian link would let any adult who learns the minor's 网号 read and change their
        // permissions. An existing guardian approving again is idempotent.
        if minor.status != PersonStatus::PendingGuardianApproval {
            let already = self
                .storage
                .guardians_of(minor.id)
                .await?
                .iter()
                .any(|l| l.guardian == g.id);
            if !already {
                return Err(IssuerError::NotAllowed(
                    "this enrolment is not awaiting a guardian's approval",
                ));
            }
        }
        let minor = self
            .storage
            .approve_minor(minor.id, g.id, proof.relation, now)
            .await?;
        tracing::info!(minor = minor.id.0, guardian = g.id.0, "minor approved");
        Ok(ward_info(&minor, proof.relation))
    }

    /// The wards of the guardian who presents.
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`] and storage errors.
    pub async fn wards(&self, presentation: &Presentation) -> Result<Vec<WardInfo>, IssuerError> {
        let g = self.verified_guardian(presentation).await?;
        let mut out = Vec::new();
        for link in self.storage.wards_of(g.id).await? {
            if let Some(m) = self.storage.person(link.minor).await? {
                out.push(ward_info(&m, link.relation));
            }
        }
        Ok(out)
    }

    /// The guardian who presents stops being the minor's guardian (a link made in error, a
    /// change of custody). The minor's permission bits stay as they are; other guardians keep
    /// theirs.
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`] (the presentation, or not this minor's guardian),
    /// [`IssuerError::NotFound`].
    pub async fn unlink_guardian(
        &self,
        minor_netid: &str,
        presentation: &Presentation,
    ) -> Result<(), IssuerError> {
        let g = self.verified_guardian(presentation).await?;
        let minor = self.minor(minor_netid).await?;
        if !self.storage.remove_guardian(g.id, minor.id).await? {
            return Err(IssuerError::InvalidGuardian("not a guardian of this minor"));
        }
        tracing::info!(
            minor = minor.id.0,
            guardian = g.id.0,
            "guardian link removed"
        );
        Ok(())
    }

    /// Sets the app categories a ward may use (signed into the ward's next credential).
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`] (not this minor's guardian), [`IssuerError::InvalidPermissions`].
    pub async fn set_permissions(
        &self,
        minor_netid: &str,
        categories: &[String],
        presentation: &Presentation,
    ) -> Result<WardInfo, IssuerError> {
        let now = self.now();
        let perms = GuardianPerms::from_names(categories.iter().map(String::as_str))?;
        let g = self.verified_guardian(presentation).await?;
        let minor = self.minor(minor_netid).await?;
        let link = self
            .storage
            .guardians_of(minor.id)
            .await?
            .into_iter()
            .find(|l| l.guardian == g.id)
            .ok_or(IssuerError::InvalidGuardian("not a guardian of this minor"))?;
        let minor = self
            .storage
            .set_guardian_perms(minor.id, g.id, perms, now)
            .await?;
        Ok(ward_info(&minor, link.relation))
    }
}

pub(super) fn guardian_error(e: VerifierError) -> IssuerError {
    tracing::info!(error = %e, "guardian presentation refused");
    IssuerError::InvalidGuardian("the guardian's presentation was not accepted")
}

pub(super) fn ward_info(m: &PersonRecord, relation: crate::minors::GuardianRelation) -> WardInfo {
    let mut masked: String = "*".into();
    masked.push_str(&m.given_name);
    WardInfo {
        netid: m.netid.grouped(),
        masked_name: masked,
        relation,
        status: m.status,
        permissions: m.guardian_perms.bits(),
        categories: m
            .guardian_perms
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    }
}
