//! Enrolment (specs/protocol.md §3, specs/issuer.md §1, §3–§6): the phone challenge, then the
//! evidence (card, face, phone, device key), the minors' rules and the first credentials.

use ed25519_dalek::{Signature, VerifyingKey};

use super::credentials::{HolderBindingInput, Issuance};
use super::{suites_or_all, Issuer};
use crate::api::{enrol_pop_message, EnrolRequest, EnrolResponse};
use crate::clock::today;
use crate::evidence::{ChallengeId, PhoneChallenge, PhoneNumber};
use crate::minors::{age_group, decide, Applicant, EnrolmentDecision, GuardianPerms};
use crate::storage::{CredentialRequest, Enrolment, NewPerson, PersonStatus, Storage};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    /// Sends a confirmation code to `phone`.
    ///
    /// # Errors
    /// [`IssuerError::InvalidPhoneNumber`], storage and delivery errors.
    pub async fn start_phone(&self, phone: &str) -> Result<PhoneChallenge, IssuerError> {
        let phone = PhoneNumber::parse(phone)?;
        self.rate_check(
            "phone",
            phone.as_str().as_bytes(),
            self.config.rate_limits.phone_per_number,
        )
        .await?;
        self.phone
            .start(&self.storage, &*self.sender, &phone, self.now())
            .await
    }

    /// Enrols a person from their evidence (specs/issuer.md §1, §3). Checks, in order: the card
    /// (signature, trust, validity, ID number), the face, the device key's proof of possession,
    /// the phone code (consumed only when everything before passed), the minors rules (and the
    /// guardian's presentation), then stores the person and issues the credentials.
    ///
    /// # Errors
    /// Every evidence and policy error of [`IssuerError`].
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<EnrolResponse, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        let card = self.cards.verify(&req.card, today)?;
        self.face.check(&req.face, &card)?;
        let challenge = ChallengeId::parse(&req.phone.challenge_id)?;
        let device = VerifyingKey::from_bytes(&req.device_key)
            .map_err(|_| IssuerError::InvalidInput("device_key is not an Ed25519 public key"))?;
        device
            .verify_strict(
                &enrol_pop_message(
                    challenge.as_bytes(),
                    &req.device_key,
                    &req.binding,
                    &req.commitments,
                ),
                &Signature::from_bytes(&req.device_signature),
            )
            .map_err(|_| IssuerError::InvalidInput("device_signature does not verify"))?;
        let suites = suites_or_all(&req.suites, self.groth16_setup)?;
        let holder = HolderBindingInput::check(&req.binding, &req.commitments, &suites)?;
        let applicant = if req.guardian.is_some() {
            Applicant::Guardian
        } else {
            Applicant::Holder
        };
        let decision = decide(card.birthdate(), today, applicant)?;
        let guardian = match &req.guardian {
            Some(g) => Some(self.guardian_from(g, card.birthdate(), None, today).await?),
            None => None,
        };
        let ids = self.secrets.identity().derive(card.id_number());
        if let Some(g) = &guardian {
            self.check_guardian_link(&ids.id_hash, g).await?;
        }
        self.phone
            .confirm(&self.storage, &challenge, &req.phone.code, now)
            .await?;

        let group = age_group(card.birthdate(), today)?;
        let status = match decision {
            EnrolmentDecision::Issue => PersonStatus::Active,
            EnrolmentDecision::AwaitGuardianApproval => PersonStatus::PendingGuardianApproval,
        };
        let stored_perms = if group.is_minor() {
            GuardianPerms::DEFAULT_MINOR
        } else {
            GuardianPerms::UNRESTRICTED
        };
        let device_digest = netid_core::device_key_digest(&req.device_key);
        let expiry = self.expiry(card.birthdate(), card.valid_until(), today)?;
        let first = (status == PersonStatus::Active).then(|| CredentialRequest {
            suite: suites[0],
            device_key: device_digest,
            binding: holder.binding_bytes(),
            expiry,
            guardian_perms: GuardianPerms::for_credential(group, stored_perms),
        });
        let outcome = self
            .storage
            .enrol_person(
                &Enrolment {
                    person: NewPerson {
                        id_hash: ids.id_hash,
                        netid: ids.netid.clone(),
                        family_name: card.family_name().to_owned(),
                        given_name: card.given_name().to_owned(),
                        birthdate: card.birthdate(),
                        doc_type: card.doc_type(),
                        assurance: netid_core::AssuranceLevel::Remote,
                        status,
                        guardian_perms: stored_perms,
                    },
                    guardian: guardian.map(|p| (p.id, guardian_rel(req))),
                    credential: first,
                },
                now,
            )
            .await?;
        let person = outcome.person;
        if person.netid != ids.netid || person.id_hash != ids.id_hash {
            return Err(IssuerError::KeyMismatch(
                "stored 网号 differs from the derived one",
            ));
        }
        let mut done = Issuance {
            issued: Vec::new(),
            replaced: outcome.replaced,
        };
        let mut ticket = None;
        // The first credential committed with the person; the other suites commit one by one.
        // When a later one fails (revocation slots exhausted, storage), what the earlier ones
        // revoked stays logged for the next seal.
        let expiry = Some(expiry);
        let rest = match (person.status, outcome.credential) {
            // The other suites; or every suite for an existing active person re-enrolling
            // while the request asked for nothing (cannot happen: suites is never empty).
            (PersonStatus::Active, first) => {
                let others = match first {
                    Some(first) => {
                        done.issued.push(first);
                        &suites[1..]
                    }
                    None => &suites[..],
                };
                self.issue_each(
                    &person,
                    others,
                    device_digest,
                    &holder,
                    today,
                    expiry,
                    now,
                    &mut done,
                )
                .await
            }
            (PersonStatus::PendingGuardianApproval, _) => {
                ticket = Some(self.ticket(person.id, &device_digest, now));
                Ok(())
            }
            (PersonStatus::Suspended, _) => {
                Err(IssuerError::NotAllowed("this enrolment is suspended"))
            }
        };
        rest?;
        let credentials = self.sign_all(&person, &done.issued, ids.nym_ref(), &holder)?;
        tracing::info!(
            person = person.id.0,
            created = outcome.created,
            credentials = credentials.len(),
            revoked = done.replaced.len(),
            "enrolment"
        );
        Ok(EnrolResponse {
            netid: person.netid.grouped(),
            status: person.status,
            created: outcome.created,
            credentials,
            ticket,
        })
    }
}

impl<S: Storage> Issuer<S> {
    /// A guardian's enrolment of a minor links the guardian only at the minor's first
    /// enrolment, or when the guardian already is one of theirs (a new device), or when the
    /// minor awaits approval with no guardian yet (as `approve_minor` allows). Otherwise anyone
    /// holding a child's card data and passing the face check could re-enrol the child and
    /// become a permanent guardian.
    async fn check_guardian_link(
        &self,
        id_hash: &crate::keys::IdHash,
        guardian: &crate::storage::PersonRecord,
    ) -> Result<(), IssuerError> {
        let Some(minor) = self.storage.person_by_id_hash(id_hash).await? else {
            return Ok(());
        };
        let links = self.storage.guardians_of(minor.id).await?;
        if links.iter().any(|l| l.guardian == guardian.id)
            || (links.is_empty() && minor.status == PersonStatus::PendingGuardianApproval)
        {
            return Ok(());
        }
        Err(IssuerError::NotAllowed(
            "this minor is enrolled with another guardian; only an existing guardian can \
             enrol them again",
        ))
    }
}

pub(super) fn guardian_rel(req: &EnrolRequest) -> crate::minors::GuardianRelation {
    req.guardian
        .as_ref()
        .map_or(crate::minors::GuardianRelation::Parent, |g| g.relation)
}
