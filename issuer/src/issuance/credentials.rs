//! Signing credentials in every suite (specs/credential.md): the attributes, their expiry (minors
//! capped at their 18th birthday) and the suites' signatures, shared by enrolment, guardian
//! approval and refresh.

use netid_bbs::netid::NetidBbs;
use netid_core::issuer_api::{BindingCommitment, BINDING_COMMITMENT_LEN};
use netid_core::{CredentialAttributes, Date, HolderBinding, Suite};

use super::Issuer;
use crate::api::IssuedCredential;
use crate::minors::{age_group, minor_expiry_cap, GuardianPerms};
use crate::storage::{
    CredentialRecord, CredentialRequest, PersonRecord, Storage, REVOCATION_SLOTS,
};
use crate::IssuerError;

/// What a run of issuances committed: the credentials, and the earlier ones they replaced
/// (whose revoked slots those transactions logged for the next seal).
#[derive(Debug, Default)]
pub(super) struct Issuance {
    pub(super) issued: Vec<CredentialRecord>,
    pub(super) replaced: Vec<CredentialRecord>,
}

/// The holder binding of an enrolment or refresh, checked: the `binding` attribute and one
/// verified Blind BBS commitment per BBS suite to issue (specs/credential.md §2.3).
pub(crate) struct HolderBindingInput {
    binding: HolderBinding,
    commitments: Vec<(Suite, netid_bbs::Commitment)>,
}

impl HolderBindingInput {
    /// The binding's 32 bytes (recorded with each credential).
    pub(crate) fn binding_bytes(&self) -> [u8; 32] {
        self.binding.to_be_bytes()
    }

    /// Checks the request's binding and commitments against the suites to issue: the binding is
    /// a canonical BN254 element; every BBS suite has exactly one commitment, to one message,
    /// whose proof verifies; there is no commitment for anything else.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] (422), before anything is stored or consumed.
    pub(crate) fn check(
        binding: &[u8; 32],
        commitments: &[BindingCommitment],
        suites: &[Suite],
    ) -> Result<HolderBindingInput, IssuerError> {
        let binding = HolderBinding::from_be_bytes(binding).map_err(|_| {
            IssuerError::InvalidInput("binding is not a canonical BN254 field element")
        })?;
        let mut out = Vec::new();
        for c in commitments {
            let Some(bbs) = NetidBbs::for_suite(c.suite) else {
                return Err(IssuerError::InvalidInput(
                    "commitments are for BBS suites only",
                ));
            };
            if !suites.contains(&c.suite) {
                return Err(IssuerError::InvalidInput(
                    "a commitment is for a suite not asked for",
                ));
            }
            if out.iter().any(|(s, _)| *s == c.suite) {
                return Err(IssuerError::InvalidInput("two commitments for one suite"));
            }
            let bad = || IssuerError::InvalidInput("a commitment does not verify");
            if c.commitment.len() != BINDING_COMMITMENT_LEN {
                return Err(bad());
            }
            let decoded = netid_bbs::Commitment::from_bytes(&c.commitment).map_err(|_| bad())?;
            if decoded.committed_count() != 1 {
                return Err(bad());
            }
            bbs.blind_interface()
                .verify_commitment(&decoded)
                .map_err(|_| bad())?;
            out.push((c.suite, decoded));
        }
        if suites
            .iter()
            .any(|s| NetidBbs::for_suite(*s).is_some() && !out.iter().any(|(t, _)| t == s))
        {
            return Err(IssuerError::InvalidInput(
                "each BBS suite asked for needs a commitment to the wallet secret",
            ));
        }
        Ok(HolderBindingInput {
            binding,
            commitments: out,
        })
    }
}

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
        binding: [u8; 32],
        today: Date,
        expiry: Option<Date>,
    ) -> Result<CredentialRequest, IssuerError> {
        let group = age_group(person.birthdate, today)?;
        Ok(CredentialRequest {
            suite,
            device_key,
            binding,
            expiry: match expiry {
                Some(e) => e,
                None => self.expiry(person.birthdate, None, today)?,
            },
            guardian_perms: GuardianPerms::for_credential(group, person.guardian_perms),
        })
    }

    /// Issues `suites` to `person` on `device_key`, one storage transaction each, into `into`.
    /// Stops at the first error and leaves in `into` what committed before it, so that the
    /// caller applies those revocations before answering the error.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn issue_each(
        &self,
        person: &PersonRecord,
        suites: &[Suite],
        device_key: [u8; 32],
        holder: &HolderBindingInput,
        today: Date,
        expiry: Option<Date>,
        now: i64,
        into: &mut Issuance,
    ) -> Result<(), IssuerError> {
        for &suite in suites {
            let request = self.cred_request(
                person,
                suite,
                device_key,
                holder.binding_bytes(),
                today,
                expiry,
            )?;
            let r = self
                .storage
                .issue_credential(person.id, &request, now)
                .await?;
            into.replaced.extend(r.replaced);
            into.issued.push(r.credential);
        }
        Ok(())
    }

    pub(super) fn sign_all(
        &self,
        person: &PersonRecord,
        issued: &[CredentialRecord],
        nym: &netid_core::Nym,
        holder: &HolderBindingInput,
    ) -> Result<Vec<IssuedCredential>, IssuerError> {
        let epoch = self.rev().epoch;
        issued
            .iter()
            .map(|c| self.sign(person, c, nym, holder, epoch))
            .collect()
    }

    pub(super) fn sign(
        &self,
        person: &PersonRecord,
        cred: &CredentialRecord,
        nym: &netid_core::Nym,
        holder: &HolderBindingInput,
        epoch: u64,
    ) -> Result<IssuedCredential, IssuerError> {
        if cred.suite == Suite::Groth16 && u64::from(cred.rev_index) >= REVOCATION_SLOTS {
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
            binding: holder.binding,
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
                let commitment = holder
                    .commitments
                    .iter()
                    .find_map(|(s, c)| (*s == bbs).then_some(c))
                    .ok_or(IssuerError::InvalidInput(
                        "each BBS suite asked for needs a commitment to the wallet secret",
                    ))?;
                key.bbs
                    .issue(&key.sk, &key.pk, &attributes, commitment)
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
