//! Signing credentials in every suite (specs/credential.md): the attributes, their expiry (minors
//! capped at their 18th birthday) and the suites' signatures, shared by enrolment, guardian
//! approval and refresh.

use netid_circuits::gadgets::merkle::DEPTH;
use netid_core::{CredentialAttributes, Date, Suite};

use super::Issuer;
use crate::api::IssuedCredential;
use crate::minors::{age_group, minor_expiry_cap, GuardianPerms};
use crate::storage::{CredentialRecord, CredentialRequest, PersonRecord, Storage};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    pub(super) fn expiry(
        &self,
        birthdate: Date,
        card_valid_until: Option<Date>,
        today: Date,
    ) -> Result<Date, IssuerError> {
        let mut expiry = today
            .checked_add_days(self.config.credential_validity_days)
            .ok_or(IssuerError::InvalidInput(
                "credential validity out of range",
            ))?;
        if let Some(cap) = minor_expiry_cap(birthdate, today) {
            expiry = expiry.min(cap);
        }
        if let Some(v) = card_valid_until {
            expiry = expiry.min(v);
        }
        Ok(expiry)
    }

    pub(super) fn cred_request(
        &self,
        person: &PersonRecord,
        suite: Suite,
        device_key: [u8; 32],
        today: Date,
        expiry: Option<Date>,
    ) -> Result<CredentialRequest, IssuerError> {
        let group = age_group(person.birthdate, today)?;
        Ok(CredentialRequest {
            suite,
            device_key,
            expiry: match expiry {
                Some(e) => e,
                None => self.expiry(person.birthdate, None, today)?,
            },
            guardian_perms: GuardianPerms::for_credential(group, person.guardian_perms),
        })
    }

    pub(super) fn sign_all(
        &self,
        person: &PersonRecord,
        issued: &[CredentialRecord],
        nym: &netid_core::Nym,
    ) -> Result<Vec<IssuedCredential>, IssuerError> {
        let epoch = self.rev().epoch;
        issued
            .iter()
            .map(|c| self.sign(person, c, nym, epoch))
            .collect()
    }

    pub(super) fn sign(
        &self,
        person: &PersonRecord,
        cred: &CredentialRecord,
        nym: &netid_core::Nym,
        epoch: u64,
    ) -> Result<IssuedCredential, IssuerError> {
        if u64::from(cred.rev_index) >= 1u64 << DEPTH {
            return Err(IssuerError::Exhausted("revocation tree slots"));
        }
        let attributes = CredentialAttributes {
            netid: person.netid.as_str().to_owned(),
            family_name: person.family_name.clone(),
            given_name: person.given_name.clone(),
            id_hash: *person.id_hash.as_bytes(),
            birthdate: person.birthdate,
            doc_type: person.doc_type,
            assurance: person.assurance,
            nym: nym.clone(),
            device_key: cred.device_key,
            expiry: cred.expiry,
            rev_index: cred.rev_index,
            guardian_perms: cred.guardian_perms.bits(),
        };
        attributes.validate()?;
        fn sign_err<E>(_: E) -> IssuerError {
            IssuerError::Key {
                what: "credential signing failed",
                source: None,
            }
        }
        let signature = match cred.suite {
            Suite::Groth16 => {
                netid_circuits::suite::sign_credential(self.secrets.groth16(), &attributes)
                    .map_err(sign_err)?
                    .to_bytes()
                    .to_vec()
            }
            bbs => {
                let key = self.secrets.bbs_epoch_key(bbs, epoch)?;
                key.bbs
                    .issue(&key.sk, &key.pk, &attributes)
                    .map_err(sign_err)?
                    .to_bytes()
                    .to_vec()
            }
        };
        Ok(IssuedCredential {
            suite: cred.suite,
            issuer_id: self.config.issuer_id.clone(),
            attributes,
            signature,
            epoch,
        })
    }
}
