//! Refresh (specs/protocol.md §8): new credentials for a known device, authenticated by a device
//! signature (single-use within its window) or an enrolment ticket.

use ed25519_dalek::{Signature, VerifyingKey};
use subtle::ConstantTimeEq;

use super::credentials::{HolderBindingInput, Issuance};
use super::{suites_or_all, Issuer, TICKET_TTL_SECS};
use crate::api::{refresh_pop_message, EnrolResponse, REFRESH_SKEW_SECS};

/// The `used_once` scope of accepted refresh signatures.
const REFRESH_SCOPE: &str = "refresh";
use crate::clock::today;
use crate::keys::hmac_parts;
use crate::netid_number::NetidNumber;
use crate::storage::{CredentialStatus, PersonId, PersonStatus, Storage};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    pub(super) fn ticket(&self, person: PersonId, device: &[u8; 32], now: i64) -> String {
        let expires = now.saturating_add(TICKET_TTL_SECS);
        let mac = self.ticket_mac(person, device, expires);
        let mut t = Vec::with_capacity(32);
        t.extend_from_slice(&person.0.to_be_bytes());
        t.extend_from_slice(&expires.to_be_bytes());
        t.extend_from_slice(&mac);
        netid_core::b64::encode(t)
    }

    pub(super) fn ticket_mac(&self, person: PersonId, device: &[u8; 32], expires: i64) -> [u8; 16] {
        let full = hmac_parts(
            self.secrets.ticket_key(),
            &[
                b"netid/v1/ticket",
                &person.0.to_be_bytes(),
                device,
                &expires.to_be_bytes(),
            ],
        );
        let mut mac = [0u8; 16];
        mac.copy_from_slice(&full[..16]);
        mac
    }

    pub(super) fn check_ticket(
        &self,
        ticket: &str,
        person: PersonId,
        device: &[u8; 32],
        now: i64,
    ) -> Result<(), IssuerError> {
        let bad = IssuerError::NotAllowed("invalid or expired enrolment ticket");
        let raw = netid_core::b64::decode(ticket, "ticket")
            .map_err(|_| IssuerError::InvalidInput("ticket is not base64url"))?;
        if raw.len() != 32 {
            return Err(bad);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&raw[..8]);
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&raw[8..16]);
        let expires = i64::from_be_bytes(exp);
        let want = self.ticket_mac(PersonId(i64::from_be_bytes(id)), device, expires);
        if i64::from_be_bytes(id) != person.0
            || !bool::from(want.ct_eq(&raw[16..]))
            || now >= expires
        {
            return Err(bad);
        }
        Ok(())
    }

    /// Refreshes a holder's credentials (or issues the first ones after a guardian approved,
    /// with the ticket): authenticated by the device key the credentials are bound to.
    ///
    /// # Errors
    /// [`IssuerError::NotAllowed`] for a bad signature or timestamp, and — the same answer — for
    /// an unknown 网号 or a device that holds none of its credentials (nor a valid ticket); to
    /// the person's own device, for a revoked device or a suspended person;
    /// [`IssuerError::GuardianApprovalRequired`] for a pending one.
    pub async fn refresh(
        &self,
        req: &crate::api::RefreshRequest,
    ) -> Result<EnrolResponse, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        // abs_diff: the timestamp is the client's (any i64), and must not overflow.
        if req.timestamp.abs_diff(now) > REFRESH_SKEW_SECS.unsigned_abs() {
            return Err(IssuerError::NotAllowed(
                "timestamp too far from the issuer's clock",
            ));
        }
        let device = VerifyingKey::from_bytes(&req.device_key)
            .map_err(|_| IssuerError::InvalidInput("device_key is not an Ed25519 public key"))?;
        let netid = NetidNumber::parse(&req.netid)?;
        device
            .verify_strict(
                &refresh_pop_message(
                    &req.netid,
                    req.timestamp,
                    &req.device_key,
                    &req.binding,
                    &req.commitments,
                ),
                &Signature::from_bytes(&req.device_signature),
            )
            .map_err(|_| IssuerError::NotAllowed("device_signature does not verify"))?;
        let suites = suites_or_all(&req.suites, self.groth16_setup)?;
        let holder = HolderBindingInput::check(&req.binding, &req.commitments, &suites)?;
        // The device signs its own request, so anyone can send one for any 网号. Until the
        // device is shown to hold this person's credentials (or their guardian-approval ticket),
        // every refusal is the same 403: no oracle for whether a 网号 exists or what state it is
        // in, and nothing is remembered (a stranger cannot fill the replay cache).
        let refused = || IssuerError::NotAllowed("refresh refused for this device and 网号");
        let person = self
            .storage
            .person_by_netid(&netid)
            .await?
            .ok_or_else(refused)?;
        let digest = netid_core::device_key_digest(&req.device_key);
        let latest = self
            .storage
            .credentials_of(person.id)
            .await?
            .into_iter()
            .filter(|c| bool::from(c.device_key.ct_eq(&digest)))
            .max_by_key(|c| c.id);
        let revoked = match (&latest, &req.ticket) {
            (Some(c), _) => c.status == CredentialStatus::Revoked,
            (None, Some(t)) => {
                self.check_ticket(t, person.id, &digest, now)
                    .map_err(|_| refused())?;
                false
            }
            (None, None) => return Err(refused()),
        };
        // From here on the requester is the person's own device: it may learn why.
        // Single use across all replicas: the signature is kept for as long as its timestamp
        // could pass the skew check.
        if !self
            .storage
            .use_once(
                REFRESH_SCOPE,
                &req.device_signature,
                now.saturating_add(2 * REFRESH_SKEW_SECS),
                now,
            )
            .await?
        {
            return Err(IssuerError::NotAllowed("refresh request already used"));
        }
        // Counted once fresh and the holder's own: neither strangers nor replays of a captured
        // request use up the holder's budget.
        let mut subject = netid.as_str().as_bytes().to_vec();
        subject.extend_from_slice(&req.device_key);
        self.rate_check(
            "refresh",
            &subject,
            self.config.rate_limits.refresh_per_device,
        )
        .await?;
        match person.status {
            PersonStatus::Active => {}
            PersonStatus::PendingGuardianApproval => {
                return Err(IssuerError::GuardianApprovalRequired)
            }
            PersonStatus::Suspended => {
                return Err(IssuerError::NotAllowed("this enrolment is suspended"))
            }
        }
        if revoked {
            return Err(IssuerError::NotAllowed(
                "the credentials of this device were revoked; enrol again",
            ));
        }
        // The binding is pinned per device: whoever holds the device key but not the wallet
        // secret cannot refresh onto a secret of their own (specs/issuer.md §7).
        let pinned = latest.as_ref().and_then(|c| c.binding);
        if pinned.is_some_and(|b| !bool::from(b.ct_eq(&holder.binding_bytes()))) {
            return Err(IssuerError::NotAllowed(
                "this device's credentials are bound to another wallet secret; enrol again",
            ));
        }
        let nym =
            self.secrets
                .identity()
                .nym_of_netid(&person.netid)
                .ok_or(IssuerError::KeyMismatch(
                    "stored 网号 not made under this key",
                ))?;
        // Each suite commits on its own: when a later one fails (revocation slots exhausted,
        // storage), what the earlier ones revoked stays logged for the next seal.
        let mut done = Issuance::default();
        let all = self
            .issue_each(
                &person, &suites, digest, &holder, today, None, now, &mut done,
            )
            .await;
        all?;
        let credentials = self.sign_all(&person, &done.issued, &nym, &holder)?;
        Ok(EnrolResponse {
            netid: person.netid.grouped(),
            status: person.status,
            created: false,
            credentials,
            ticket: None,
        })
    }
}
