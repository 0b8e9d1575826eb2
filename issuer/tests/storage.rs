//! The storage test suite, run against both backends: SQLite (a fresh file per test) and
//! PostgreSQL (the server at `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`,
//! a fresh schema per test so parallel tests never collide; set `NETID_SKIP_POSTGRES=1` to skip
//! them where no server runs). Plus a crash test: a child process enrolling in a loop is killed
//! with SIGKILL and every enrolment it acknowledged must be in the SQLite file.

#![allow(clippy::unwrap_used, missing_docs)]

use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::presentation::fr_to_bytes;
use netid_core::{AssuranceLevel, Date, DocType, Suite};
use netid_issuer::clock;
use netid_issuer::id_number::{check_character, IdNumber};
use netid_issuer::keys::{IdentityKeys, NymKey};
use netid_issuer::minors::{GuardianPerms, GuardianRelation};
use netid_issuer::netid_number::NetidKey;
use netid_issuer::storage::{
    CredentialRequest, CredentialStatus, Enrolment, NewPerson, PersonStatus, PostgresStorage,
    RevocationMove, SqliteStorage, Storage, NO_SLOT,
};

const NOW: i64 = 1_780_000_000; // 2026-05-29

/// The epoch-record signer of a fixed issuer (the records' start and length are nominal here:
/// storage tests move epochs by hand).
fn signer() -> netid_issuer::RecordSigner<'static> {
    static SECRETS: std::sync::OnceLock<netid_issuer::authority::IssuerSecrets> =
        std::sync::OnceLock::new();
    netid_issuer::RecordSigner::new(
        SECRETS.get_or_init(netid_issuer::authority::IssuerSecrets::generate),
        netid_issuer::storage::EpochSchedule::new(NOW, 10).unwrap(),
    )
}

fn today() -> Date {
    clock::today(NOW).unwrap()
}

fn keys() -> IdentityKeys {
    IdentityKeys::new(NetidKey::new([11; 32]), NymKey::new([12; 32]))
}

/// A valid ID number for someone born on `birth`, with sequence `seq` (1..=999).
fn id_for(birth: Date, seq: u32) -> IdNumber {
    let (y, m, d) = birth.ymd();
    let body = format!("110105{y:04}{m:02}{d:02}{seq:03}");
    let b: [u8; 17] = body.as_bytes().try_into().unwrap();
    let s = format!("{body}{}", check_character(&b).unwrap() as char);
    IdNumber::parse(&s, today()).unwrap()
}

/// The `i`-th adult test person.
fn adult(i: u32) -> IdNumber {
    let birth = Date::from_ymd(1970, 1, 1)
        .unwrap()
        .checked_add_days(i / 999)
        .unwrap();
    id_for(birth, i % 999 + 1)
}

fn new_person(id: &IdNumber, status: PersonStatus) -> NewPerson {
    let k = keys();
    NewPerson {
        id_hash: k.id_hash(id),
        netid: k.netid_number(id),
        family_name: "王".into(),
        given_name: "丽".into(),
        birthdate: id.birthdate(),
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        status,
        guardian_perms: GuardianPerms::UNRESTRICTED,
    }
}

fn cred(suite: Suite, device: u8) -> CredentialRequest {
    CredentialRequest {
        suite,
        device_key: [device; 32],
        binding: [device ^ 0x5a; 32],
        expiry: Date::from_ymd(2027, 5, 29).unwrap(),
        guardian_perms: GuardianPerms::UNRESTRICTED,
    }
}

fn enrolment(id: &IdNumber, credential: Option<CredentialRequest>) -> Enrolment {
    Enrolment {
        person: new_person(id, PersonStatus::Active),
        guardian: None,
        credential,
    }
}

/// The suite: one generic async fn per behaviour.
mod suite {
    use std::collections::HashSet;
    use std::sync::Arc;

    use netid_core::AppPolicy;
    use netid_issuer::evidence::phone::{
        MemoryCodeSender, PhoneCodePolicy, PhoneNumber, PhoneVerifier,
    };
    use netid_issuer::keys::PhoneCodeKey;
    use netid_issuer::storage::{AppRecord, PersonId};
    use netid_issuer::{IssuerError, PhoneCodeError};

    use super::*;

    pub async fn enrol_and_look_up<S: Storage>(s: &S) {
        let id = adult(1);
        let out = s.enrol_person(&enrolment(&id, None), NOW).await.unwrap();
        assert!(out.created);
        assert!(out.credential.is_none() && out.replaced.is_empty());
        let p = out.person;
        assert_eq!(p.netid, keys().netid_number(&id));
        assert_eq!(p.birthdate, id.birthdate());
        assert_eq!(p.status, PersonStatus::Active);
        assert_eq!((p.created_at, p.updated_at), (NOW, NOW));
        assert_eq!(s.person(p.id).await.unwrap().unwrap(), p);
        assert_eq!(
            s.person_by_id_hash(&keys().id_hash(&id))
                .await
                .unwrap()
                .unwrap(),
            p
        );
        assert_eq!(s.person_by_netid(&p.netid).await.unwrap().unwrap(), p);
        assert!(s
            .person_by_id_hash(&keys().id_hash(&adult(2)))
            .await
            .unwrap()
            .is_none());
        assert!(s.person(PersonId(9999)).await.unwrap().is_none());
        // Re-enrolment: same row, same 网号, names updated.
        let mut again = enrolment(&id, None);
        again.person.given_name = "莉".into();
        again.person.assurance = AssuranceLevel::InPerson;
        let out2 = s.enrol_person(&again, NOW + 10).await.unwrap();
        assert!(!out2.created);
        assert_eq!(out2.person.id, p.id);
        assert_eq!(out2.person.netid, p.netid);
        assert_eq!(out2.person.given_name, "莉");
        assert_eq!(out2.person.assurance, AssuranceLevel::InPerson);
        assert_eq!(out2.person.created_at, NOW);
        assert_eq!(out2.person.updated_at, NOW + 10);
        assert_eq!(s.count_persons().await.unwrap(), 1);
        // Status changes.
        let susp = s
            .set_person_status(p.id, PersonStatus::Suspended, NOW + 20)
            .await
            .unwrap();
        assert_eq!(susp.status, PersonStatus::Suspended);
        // A suspended person stays suspended on re-enrolment and gets no credential.
        let e = s
            .enrol_person(&enrolment(&id, Some(cred(Suite::Groth16, 1))), NOW + 30)
            .await
            .unwrap_err();
        assert!(matches!(e, IssuerError::NotAllowed(_)), "{e}");
        assert_eq!(
            s.person(p.id).await.unwrap().unwrap().status,
            PersonStatus::Suspended
        );
        assert!(s.credentials_of(p.id).await.unwrap().is_empty());
        assert!(matches!(
            s.set_person_status(PersonId(9999), PersonStatus::Active, NOW)
                .await,
            Err(IssuerError::NotFound(_))
        ));
    }

    pub async fn key_mismatch_is_detected<S: Storage>(s: &S) {
        let a = adult(1);
        let b = adult(2);
        s.enrol_person(&enrolment(&a, None), NOW).await.unwrap();
        // Same id_hash, another 网号 (the 网号 key changed).
        let mut e = enrolment(&a, None);
        e.person.netid = keys().netid_number(&b);
        let err = s.enrol_person(&e, NOW).await.unwrap_err();
        assert!(matches!(err, IssuerError::KeyMismatch(_)), "{err}");
        // Another id_hash, an existing 网号.
        let mut e = enrolment(&b, None);
        e.person.netid = keys().netid_number(&a);
        let err = s.enrol_person(&e, NOW).await.unwrap_err();
        assert!(matches!(err, IssuerError::KeyMismatch(_)), "{err}");
        assert_eq!(s.count_persons().await.unwrap(), 1);
    }

    pub async fn credential_lifecycle<S: Storage>(s: &S) {
        let id = adult(7);
        let out = s
            .enrol_person(&enrolment(&id, Some(cred(Suite::BbsSha256, 1))), NOW)
            .await
            .unwrap();
        let person = out.person.id;
        let c1 = out.credential.unwrap();
        assert_eq!(c1.status, CredentialStatus::Live);
        // BBS credentials take no revocation slot (specs/revocation.md §7).
        assert_eq!(c1.rev_index, NO_SLOT);
        assert_eq!(c1.device_key, [1; 32]);
        assert_eq!(c1.binding, Some([1 ^ 0x5a; 32]));
        assert_eq!(c1.issued_at, NOW);
        // Same device, other suite: both stay live; the Groth16 credential takes a slot.
        let c2 = s
            .issue_credential(person, &cred(Suite::Groth16, 1), NOW + 1)
            .await
            .unwrap();
        assert!(c2.replaced.is_empty());
        assert_eq!(c2.credential.rev_index, 0);
        assert_eq!((out.logged, c2.logged), (0, 0));
        // Refresh on the same device and suite: the earlier one is superseded. A supersession
        // revokes nothing, so the revocation state does not move.
        let c3 = s
            .issue_credential(person, &cred(Suite::BbsSha256, 1), NOW + 2)
            .await
            .unwrap();
        assert_eq!(c3.replaced.len(), 1);
        assert_eq!(c3.logged, 0);
        assert_eq!(c3.credential.rev_index, NO_SLOT);
        assert_eq!(s.revocation_version().await.unwrap(), 0);
        assert_eq!(s.epoch().await.unwrap(), 0);
        assert_eq!(c3.replaced[0].id, c1.id);
        assert_eq!(c3.replaced[0].status, CredentialStatus::Superseded);
        assert_eq!(c3.replaced[0].status_changed_at, Some(NOW + 2));
        // A Groth16 refresh on the same device keeps its slot, which stays live in the tree.
        let c3g = s
            .issue_credential(person, &cred(Suite::Groth16, 1), NOW + 2)
            .await
            .unwrap();
        assert_eq!(c3g.replaced.len(), 1);
        assert_eq!(c3g.replaced[0].id, c2.credential.id);
        assert_eq!(c3g.credential.rev_index, c2.credential.rev_index);
        assert_eq!(c3g.logged, 0);
        assert!(s.revoked_rev_indices().await.unwrap().is_empty());
        // Re-enrolment on a new device: every live credential on the old device is revoked and
        // returned, and the new device's Groth16 credential takes a new slot.
        let out = s
            .enrol_person(&enrolment(&id, Some(cred(Suite::Groth16, 2))), NOW + 3)
            .await
            .unwrap();
        assert!(!out.created);
        let mut replaced: Vec<_> = out.replaced.iter().map(|c| (c.id, c.status)).collect();
        replaced.sort_by_key(|(id, _)| *id);
        assert_eq!(
            replaced,
            [
                (c3.credential.id, CredentialStatus::Revoked),
                (c3g.credential.id, CredentialStatus::Revoked)
            ]
        );
        let c4 = out.credential.unwrap();
        assert_eq!(c4.rev_index, 1);
        // A revocation logs its slot, committed with it; the epoch and the version move only
        // when a seal takes the log at a boundary (specs/revocation.md §2, §3).
        assert_eq!(out.logged, 1);
        assert_eq!(s.revocation_version().await.unwrap(), 0);
        assert_eq!(s.epoch().await.unwrap(), 0);
        let moved = |version, epoch, revoked: &[u64], sealed| {
            let tree = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
            Some(RevocationMove {
                version,
                epoch,
                root: fr_to_bytes(&tree.root()),
                sealed,
            })
        };
        assert_eq!(
            s.seal_epoch(1, NOW + 4, &signer()).await.unwrap(),
            moved(1, 1, &[0], 1)
        );
        assert_eq!(s.revocation_version().await.unwrap(), 1);
        assert_eq!(s.epoch().await.unwrap(), 1);
        // Sealing an epoch that is already sealed does nothing.
        assert_eq!(s.seal_epoch(1, NOW + 4, &signer()).await.unwrap(), None);
        let all = s.credentials_of(person).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(
            all.iter()
                .filter(|c| c.status == CredentialStatus::Live)
                .count(),
            1
        );
        // The old device's slot is revoked (its superseded and revoked credentials share it).
        assert_eq!(s.revoked_rev_indices().await.unwrap(), [0]);
        assert_eq!(s.credential(c4.id).await.unwrap().unwrap(), c4);
        // Admin revocation: once, then idempotent.
        let r = s.revoke_credential(c4.id, NOW + 4).await.unwrap().unwrap();
        assert_eq!(r.status, CredentialStatus::Revoked);
        assert_eq!(
            (
                s.revocation_version().await.unwrap(),
                s.epoch().await.unwrap()
            ),
            (1, 1)
        );
        assert!(s.revoke_credential(c4.id, NOW + 5).await.unwrap().is_none());
        // A seal whose boundary is not after a row leaves it for the next epoch.
        assert_eq!(
            s.seal_epoch(2, NOW + 4, &signer()).await.unwrap(),
            moved(2, 2, &[0], 0)
        );
        assert!(matches!(
            s.revoke_credential(netid_issuer::storage::CredentialId(9999), NOW)
                .await,
            Err(IssuerError::NotFound(_))
        ));
        assert_eq!(s.revoked_rev_indices().await.unwrap(), [0, 1]);
        // Lost phone: revoke everything live. A revoked credential's slot is never reused on
        // its device: the next Groth16 credential there takes a new one.
        s.issue_credential(person, &cred(Suite::BbsShake256, 3), NOW + 6)
            .await
            .unwrap();
        let c5 = s
            .issue_credential(person, &cred(Suite::Groth16, 3), NOW + 6)
            .await
            .unwrap();
        assert_eq!(c5.credential.rev_index, 2);
        let gone = s.revoke_person_credentials(person, NOW + 7).await.unwrap();
        assert_eq!(gone.credentials.len(), 2);
        assert_eq!(gone.logged, 1);
        assert_eq!(
            s.seal_epoch(3, NOW + 8, &signer()).await.unwrap(),
            moved(3, 3, &[0, 1, 2], 2)
        );
        assert_eq!(s.seal_epoch(2, NOW + 8, &signer()).await.unwrap(), None);
        assert_eq!(
            (
                s.revocation_version().await.unwrap(),
                s.epoch().await.unwrap()
            ),
            (3, 3)
        );
        assert_eq!(s.revoked_rev_indices().await.unwrap(), [0, 1, 2]);
        // The stored tree keeps every epoch: its root and bucket at each equal a tree built
        // from the slots revoked by then, and an epoch that has not begun has none.
        for (epoch, revoked) in [(0u64, &[][..]), (1, &[0][..]), (2, &[0]), (3, &[0, 1, 2])] {
            let tree = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
            assert_eq!(
                s.revocation_root(epoch).await.unwrap(),
                fr_to_bytes(&tree.root()),
                "epoch {epoch}"
            );
            let bucket = s.revocation_bucket(epoch, 0).await.unwrap();
            let (offsets, upper) = tree.bucket(0);
            assert_eq!(bucket.revoked, offsets);
            assert_eq!(
                bucket.upper.to_vec(),
                upper.iter().map(fr_to_bytes).collect::<Vec<_>>()
            );
        }
        assert!(matches!(
            s.revocation_bucket(4, 0).await,
            Err(IssuerError::NotFound(_))
        ));
        assert!(matches!(
            s.revocation_bucket(0, 1 << 16).await,
            Err(IssuerError::InvalidInput(_))
        ));
        let again = s.revoke_person_credentials(person, NOW + 8).await.unwrap();
        assert!(again.credentials.is_empty());
        assert_eq!(again.logged, 0);
        // Issuing to an unknown person fails cleanly.
        assert!(matches!(
            s.issue_credential(PersonId(9999), &cred(Suite::Groth16, 1), NOW)
                .await,
            Err(IssuerError::NotFound(_))
        ));
        // Guardian permission bits are stored with the credential.
        let mut req = cred(Suite::Groth16, 4);
        req.guardian_perms = GuardianPerms::DEFAULT_MINOR;
        let c = s.issue_credential(person, &req, NOW + 9).await.unwrap();
        assert_eq!(c.credential.guardian_perms, GuardianPerms::DEFAULT_MINOR);
        assert_eq!(c.credential.expiry, req.expiry);
        assert_eq!(c.credential.suite, Suite::Groth16);
    }

    pub async fn minors_and_guardians<S: Storage>(s: &S) {
        let parent = s
            .enrol_person(&enrolment(&adult(1), None), NOW)
            .await
            .unwrap()
            .person;
        let other = s
            .enrol_person(&enrolment(&adult(2), None), NOW)
            .await
            .unwrap()
            .person;
        // A teen enrols and waits for approval.
        let teen_id = id_for(Date::from_ymd(2010, 6, 1).unwrap(), 12);
        let mut teen_e = Enrolment {
            person: new_person(&teen_id, PersonStatus::PendingGuardianApproval),
            guardian: None,
            credential: None,
        };
        teen_e.person.guardian_perms = GuardianPerms::DEFAULT_MINOR;
        let teen = s.enrol_person(&teen_e, NOW).await.unwrap().person;
        assert_eq!(teen.status, PersonStatus::PendingGuardianApproval);
        assert_eq!(teen.guardian_perms, GuardianPerms::DEFAULT_MINOR);
        let e = s
            .issue_credential(teen.id, &cred(Suite::Groth16, 5), NOW)
            .await
            .unwrap_err();
        assert!(matches!(e, IssuerError::GuardianApprovalRequired), "{e}");
        // A credential in the enrolment itself is refused too, and nothing is stored.
        teen_e.credential = Some(cred(Suite::Groth16, 5));
        assert!(matches!(
            s.enrol_person(&teen_e, NOW).await,
            Err(IssuerError::GuardianApprovalRequired)
        ));
        teen_e.credential = None;
        assert!(s.credentials_of(teen.id).await.unwrap().is_empty());
        // Not a guardian yet: cannot set permissions.
        let e = s
            .set_guardian_perms(teen.id, parent.id, GuardianPerms::ALL_CATEGORIES, NOW)
            .await
            .unwrap_err();
        assert!(matches!(e, IssuerError::InvalidGuardian(_)), "{e}");
        // Approval records the relation and activates the teen.
        let approved = s
            .approve_minor(teen.id, parent.id, GuardianRelation::Parent, NOW + 1)
            .await
            .unwrap();
        assert_eq!(approved.status, PersonStatus::Active);
        // Re-enrolment of an active teen keeps them active and keeps the bits.
        let again = s.enrol_person(&teen_e, NOW + 2).await.unwrap().person;
        assert_eq!(again.status, PersonStatus::Active);
        s.issue_credential(teen.id, &cred(Suite::Groth16, 5), NOW + 3)
            .await
            .unwrap();
        let links = s.guardians_of(teen.id).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].guardian, parent.id);
        assert_eq!(links[0].relation, GuardianRelation::Parent);
        assert_eq!(links[0].created_at, NOW + 1);
        assert_eq!(s.wards_of(parent.id).await.unwrap(), links);
        assert!(s.wards_of(other.id).await.unwrap().is_empty());
        // The guardian sets permissions; a stranger cannot; adults' bit is refused.
        let p = GuardianPerms::from_names(["education", "gaming"]).unwrap();
        let updated = s
            .set_guardian_perms(teen.id, parent.id, p, NOW + 4)
            .await
            .unwrap();
        assert_eq!(updated.guardian_perms, p);
        assert!(s
            .set_guardian_perms(teen.id, other.id, GuardianPerms::NONE, NOW)
            .await
            .is_err());
        assert!(matches!(
            s.set_guardian_perms(teen.id, parent.id, GuardianPerms::UNRESTRICTED, NOW)
                .await,
            Err(IssuerError::InvalidPermissions(_))
        ));
        assert_eq!(s.person(teen.id).await.unwrap().unwrap().guardian_perms, p);
        // A child is enrolled by a guardian: relation and credential in one transaction.
        let child_id = id_for(Date::from_ymd(2018, 2, 3).unwrap(), 21);
        let mut child_e = Enrolment {
            person: new_person(&child_id, PersonStatus::Active),
            guardian: Some((parent.id, GuardianRelation::LegalGuardian)),
            credential: Some(cred(Suite::BbsSha256, 6)),
        };
        child_e.person.guardian_perms = GuardianPerms::DEFAULT_MINOR;
        let child = s.enrol_person(&child_e, NOW).await.unwrap();
        assert!(child.credential.is_some());
        assert_eq!(s.wards_of(parent.id).await.unwrap().len(), 2);
        // Idempotent relation.
        s.add_guardian(
            parent.id,
            child.person.id,
            GuardianRelation::LegalGuardian,
            NOW + 9,
        )
        .await
        .unwrap();
        assert_eq!(s.guardians_of(child.person.id).await.unwrap().len(), 1);
        // A second guardian.
        s.add_guardian(other.id, child.person.id, GuardianRelation::Parent, NOW)
            .await
            .unwrap();
        assert_eq!(s.guardians_of(child.person.id).await.unwrap().len(), 2);
        // Bad guardians: self, unknown. An enrolment naming an unknown guardian stores nothing.
        assert!(matches!(
            s.add_guardian(parent.id, parent.id, GuardianRelation::Parent, NOW)
                .await,
            Err(IssuerError::InvalidGuardian(_))
        ));
        assert!(matches!(
            s.add_guardian(
                PersonId(9999),
                child.person.id,
                GuardianRelation::Parent,
                NOW
            )
            .await,
            Err(IssuerError::NotFound(_))
        ));
        let before = s.count_persons().await.unwrap();
        let orphan_id = id_for(Date::from_ymd(2019, 2, 3).unwrap(), 22);
        let orphan = Enrolment {
            person: new_person(&orphan_id, PersonStatus::Active),
            guardian: Some((PersonId(9999), GuardianRelation::Parent)),
            credential: Some(cred(Suite::BbsSha256, 7)),
        };
        assert!(matches!(
            s.enrol_person(&orphan, NOW).await,
            Err(IssuerError::NotFound(_))
        ));
        assert_eq!(s.count_persons().await.unwrap(), before);
        assert!(s
            .person_by_id_hash(&keys().id_hash(&orphan_id))
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            s.approve_minor(PersonId(9999), parent.id, GuardianRelation::Parent, NOW)
                .await,
            Err(IssuerError::NotFound(_))
        ));
    }

    fn verifier() -> PhoneVerifier {
        PhoneVerifier::new(PhoneCodeKey::new([5; 32]), PhoneCodePolicy::default()).unwrap()
    }

    pub async fn phone_codes<S: Storage>(s: &S) {
        let v = verifier();
        let outbox = MemoryCodeSender::new();
        let phone = PhoneNumber::parse("13800138000").unwrap();
        let ch = v.start(s, &outbox, &phone, NOW).await.unwrap();
        assert_eq!(ch.expires_at, NOW + 300);
        let code = outbox.last_code_for(&phone).unwrap();
        let wrong = if code.expose_secret() == "000000" {
            "111111"
        } else {
            "000000"
        };
        let err = v
            .confirm(s, &ch.challenge_id, wrong, NOW + 1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                IssuerError::PhoneCode(PhoneCodeError::Wrong { attempts_left: 4 })
            ),
            "{err}"
        );
        let err = v
            .confirm(s, &ch.challenge_id, "12a", NOW + 1)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            IssuerError::PhoneCode(PhoneCodeError::Malformed)
        ));
        let ok = v
            .confirm(s, &ch.challenge_id, code.expose_secret(), NOW + 2)
            .await
            .unwrap();
        assert_eq!(ok.phone, phone);
        assert_eq!(ok.challenge_id, ch.challenge_id);
        // Single use.
        let err = v
            .confirm(s, &ch.challenge_id, code.expose_secret(), NOW + 3)
            .await
            .unwrap_err();
        assert!(
            matches!(err, IssuerError::PhoneCode(PhoneCodeError::Reused)),
            "{err}"
        );
        // Expiry: valid until just before expires_at.
        let ch2 = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let code2 = outbox.last_code_for(&phone).unwrap();
        let err = v
            .confirm(s, &ch2.challenge_id, code2.expose_secret(), NOW + 300)
            .await
            .unwrap_err();
        assert!(
            matches!(err, IssuerError::PhoneCode(PhoneCodeError::Expired)),
            "{err}"
        );
        let ch3 = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let code3 = outbox.last_code_for(&phone).unwrap();
        v.confirm(s, &ch3.challenge_id, code3.expose_secret(), NOW + 299)
            .await
            .unwrap();
        // Attempt limit: after 5 wrong codes even the right one is refused.
        let ch4 = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let code4 = outbox.last_code_for(&phone).unwrap();
        let wrong = if code4.expose_secret() == "000000" {
            "111111"
        } else {
            "000000"
        };
        for left in (0..5).rev() {
            let err = v
                .confirm(s, &ch4.challenge_id, wrong, NOW)
                .await
                .unwrap_err();
            assert!(matches!(
                err,
                IssuerError::PhoneCode(PhoneCodeError::Wrong { attempts_left }) if attempts_left == left
            ));
        }
        let err = v
            .confirm(s, &ch4.challenge_id, code4.expose_secret(), NOW)
            .await
            .unwrap_err();
        assert!(
            matches!(err, IssuerError::PhoneCode(PhoneCodeError::TooManyAttempts)),
            "{err}"
        );
        // Unknown challenge.
        let unknown = netid_issuer::evidence::ChallengeId::generate();
        let err = v.confirm(s, &unknown, "123456", NOW).await.unwrap_err();
        assert!(matches!(
            err,
            IssuerError::PhoneCode(PhoneCodeError::UnknownChallenge)
        ));
        // A code from one challenge does not open another.
        let ch5 = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let ch6 = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let code6 = outbox.last_code_for(&phone).unwrap();
        let code6_ok_for_5 = v
            .confirm(s, &ch5.challenge_id, code6.expose_secret(), NOW)
            .await;
        assert!(code6_ok_for_5.is_err());
        v.confirm(s, &ch6.challenge_id, code6.expose_secret(), NOW)
            .await
            .unwrap();
        assert_eq!(outbox.count(), 6);
        // Purge removes expired challenges only.
        let ch7 = v.start(s, &outbox, &phone, NOW + 1000).await.unwrap();
        assert_eq!(s.purge_phone_challenges(NOW + 301).await.unwrap(), 6);
        let code7 = outbox.last_code_for(&phone).unwrap();
        v.confirm(s, &ch7.challenge_id, code7.expose_secret(), NOW + 1001)
            .await
            .unwrap();
        // Creating challenges purges those expired over an hour ago, at most once a minute:
        // an hour after ch8 expired, starting ch9 deletes it ("unknown", no longer "expired").
        let ch8 = v.start(s, &outbox, &phone, NOW + 2000).await.unwrap();
        let late = ch8.expires_at + 10;
        assert!(matches!(
            v.confirm(s, &ch8.challenge_id, "000000", late).await,
            Err(IssuerError::PhoneCode(PhoneCodeError::Expired))
        ));
        let t9 = ch8.expires_at + netid_issuer::evidence::phone::PURGE_AFTER_SECS + 1;
        let ch9 = v.start(s, &outbox, &phone, t9).await.unwrap();
        assert!(matches!(
            v.confirm(s, &ch8.challenge_id, "000000", t9).await,
            Err(IssuerError::PhoneCode(PhoneCodeError::UnknownChallenge))
        ));
        assert_eq!(v.purge_expired(s, t9 + 10).await.unwrap(), 0);
        let code9 = outbox.last_code_for(&phone).unwrap();
        v.confirm(s, &ch9.challenge_id, code9.expose_secret(), t9 + 1)
            .await
            .unwrap();
    }

    pub async fn phone_attempts_are_counted_atomically<S: Storage + Clone + 'static>(s: &S) {
        let v = Arc::new(verifier());
        let outbox = MemoryCodeSender::new();
        let phone = PhoneNumber::parse("+85291234567").unwrap();
        let ch = v.start(s, &outbox, &phone, NOW).await.unwrap();
        let code = outbox.last_code_for(&phone).unwrap();
        let wrong = if code.expose_secret() == "000000" {
            "111111"
        } else {
            "000000"
        };
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (s, v, id) = (s.clone(), v.clone(), ch.challenge_id);
            set.spawn(async move { v.confirm(&s, &id, wrong, NOW).await });
        }
        let (mut wrongs, mut locked) = (0, 0);
        while let Some(r) = set.join_next().await {
            match r.unwrap().unwrap_err() {
                IssuerError::PhoneCode(PhoneCodeError::Wrong { .. }) => wrongs += 1,
                IssuerError::PhoneCode(PhoneCodeError::TooManyAttempts) => locked += 1,
                e => panic!("{e}"),
            }
        }
        assert_eq!((wrongs, locked), (5, 15));
    }

    pub async fn apps_and_keys<S: Storage>(s: &S) {
        let app = AppRecord {
            app_id: "com.example.shop".into(),
            name: "Example Shop".into(),
            category: "shopping".into(),
            policy: AppPolicy {
                age: true,
                pseudonym: true,
                pseudonym_suite: Some(Suite::BbsSha256),
                ..AppPolicy::default()
            },
            app_key: [3; 32],
            certificate: vec![1, 2, 3],
            active: true,
            created_at: NOW,
        };
        s.register_app(&app).await.unwrap();
        assert!(matches!(
            s.register_app(&app).await,
            Err(IssuerError::Conflict(_))
        ));
        assert_eq!(s.app("com.example.shop").await.unwrap().unwrap(), app);
        assert!(s.app("nope").await.unwrap().is_none());
        let mut game = app.clone();
        game.app_id = "com.example.game".into();
        game.category = "gaming".into();
        s.register_app(&game).await.unwrap();
        let ids: Vec<_> = s
            .apps()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.app_id)
            .collect();
        assert_eq!(ids, ["com.example.game", "com.example.shop"]);
        s.set_app_active("com.example.game", false).await.unwrap();
        assert!(!s.app("com.example.game").await.unwrap().unwrap().active);
        assert!(matches!(
            s.set_app_active("nope", false).await,
            Err(IssuerError::NotFound(_))
        ));
        // Issuer keys.
        let k1 = s
            .record_issuer_key("bbs-sha256", &[1; 96], NOW)
            .await
            .unwrap();
        let again = s
            .record_issuer_key("bbs-sha256", &[1; 96], NOW + 5)
            .await
            .unwrap();
        assert_eq!(k1, again);
        assert_eq!(k1.created_at, NOW);
        let k2 = s.record_issuer_key("groth16", &[2; 32], NOW).await.unwrap();
        s.retire_issuer_key(k1.id, NOW + 10).await.unwrap();
        s.retire_issuer_key(k1.id, NOW + 20).await.unwrap();
        let keys = s.issuer_keys().await.unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].retired_at, Some(NOW + 10));
        assert_eq!(keys[1], k2);
        assert!(matches!(
            s.retire_issuer_key(9999, NOW).await,
            Err(IssuerError::NotFound(_))
        ));
        // Epoch counter.
        assert_eq!(s.epoch().await.unwrap(), 0);
        assert_eq!(s.bump_epoch().await.unwrap(), 1);
        assert_eq!(s.bump_epoch().await.unwrap(), 2);
        assert_eq!(s.epoch().await.unwrap(), 2);
    }

    /// 100 concurrent enrolments of one person, each from its own device: one person row, one
    /// 网号, one live credential; every other credential revoked.
    pub async fn concurrent_enrolments_of_one_person<S: Storage + Clone + 'static>(s: &S) {
        let id = adult(42);
        let mut set = tokio::task::JoinSet::new();
        for i in 0..100u8 {
            let s = s.clone();
            let e = enrolment(&id, Some(cred(Suite::Groth16, i)));
            set.spawn(async move { s.enrol_person(&e, NOW + i64::from(i)).await });
        }
        let mut persons = HashSet::new();
        let mut netids = HashSet::new();
        let mut created = 0;
        let mut rev = HashSet::new();
        while let Some(r) = set.join_next().await {
            let out = r.unwrap().unwrap();
            persons.insert(out.person.id);
            netids.insert(out.person.netid.as_str().to_owned());
            created += usize::from(out.created);
            assert!(rev.insert(out.credential.unwrap().rev_index));
        }
        assert_eq!(persons.len(), 1);
        assert_eq!(netids.len(), 1);
        assert_eq!(created, 1);
        assert_eq!(s.count_persons().await.unwrap(), 1);
        let person = *persons.iter().next().unwrap();
        let creds = s.credentials_of(person).await.unwrap();
        assert_eq!(creds.len(), 100);
        assert_eq!(
            creds
                .iter()
                .filter(|c| c.status == CredentialStatus::Live)
                .count(),
            1
        );
        assert_eq!(s.revoked_rev_indices().await.unwrap().len(), 99);
        assert_eq!(rev, (0..100).collect());
    }

    /// 100 different people concurrently: 100 persons, 100 distinct 网号.
    pub async fn concurrent_enrolments_of_many_people<S: Storage + Clone + 'static>(s: &S) {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..100u32 {
            let s = s.clone();
            let e = enrolment(&adult(1000 + i), Some(cred(Suite::Groth16, 1)));
            set.spawn(async move { s.enrol_person(&e, NOW).await });
        }
        let mut netids = HashSet::new();
        let mut persons = HashSet::new();
        let mut rev = HashSet::new();
        while let Some(r) = set.join_next().await {
            let out = r.unwrap().unwrap();
            assert!(out.created);
            netids.insert(out.person.netid.as_str().to_owned());
            persons.insert(out.person.id);
            rev.insert(out.credential.unwrap().rev_index);
        }
        assert_eq!(netids.len(), 100);
        assert_eq!(persons.len(), 100);
        assert_eq!(rev.len(), 100);
        assert_eq!(s.count_persons().await.unwrap(), 100);
        assert!(s.revoked_rev_indices().await.unwrap().is_empty());
    }

    /// The state replicas share: the guardian verifier's requests, single-use values (one
    /// winner among concurrent callers, reusable after expiry), the revocation version, and
    /// one live fingerprint per key file.
    /// The log and the sealer (specs/revocation.md §2, §3): logged slots wait for a seal,
    /// which puts those logged before its boundary into the epoch's tree at once; sealing an
    /// epoch twice does nothing; epochs before it keep their tree; concurrent loggers and
    /// Pruning the stored tree (specs/revocation.md §8): the roots and buckets of every kept
    /// epoch are what they were, older epochs are gone, fewer rows remain, pruning again or
    /// below the mark does nothing, and later seals build on the pruned tree.
    pub async fn prune_keeps_every_kept_epoch<S: Storage>(s: &S) {
        let mut revoked: Vec<u64> = Vec::new();
        for e in 1..=6u32 {
            // Two slots in bucket 0 and one elsewhere per epoch: nodes change in every epoch.
            let slots = [e, 100 + e, (e << 16) + 7];
            s.log_revocations(&slots, NOW + i64::from(e) * 10)
                .await
                .unwrap();
            revoked.extend(slots.iter().map(|&x| u64::from(x)));
            s.seal_epoch(u64::from(e), NOW + i64::from(e) * 10 + 1, &signer())
                .await
                .unwrap()
                .unwrap();
        }
        let mut before = Vec::new();
        for e in 0..=6u64 {
            let mut buckets = Vec::new();
            for b in [0u64, 1, 3, 6] {
                buckets.push(s.revocation_bucket(e, b).await.unwrap());
            }
            before.push((s.revocation_root(e).await.unwrap(), buckets));
        }
        let gone = |r: Result<[u8; 32], IssuerError>| matches!(r, Err(IssuerError::Gone(_)));
        assert!(s.prune_revocation_nodes(4).await.unwrap() > 0);
        for e in 0..4u64 {
            assert!(gone(s.revocation_root(e).await), "epoch {e}");
            assert!(matches!(
                s.revocation_bucket(e, 0).await,
                Err(IssuerError::Gone(_))
            ));
        }
        for e in 4..=6u64 {
            let (root, buckets) = &before[usize::try_from(e).unwrap()];
            assert_eq!(&s.revocation_root(e).await.unwrap(), root, "epoch {e}");
            for (k, b) in [0u64, 1, 3, 6].into_iter().enumerate() {
                assert_eq!(&s.revocation_bucket(e, b).await.unwrap(), &buckets[k]);
            }
        }
        assert_eq!(s.prune_revocation_nodes(4).await.unwrap(), 0);
        assert_eq!(s.prune_revocation_nodes(2).await.unwrap(), 0);
        // Never beyond the current epoch.
        s.prune_revocation_nodes(100).await.unwrap();
        assert!(gone(s.revocation_root(5).await));
        assert_eq!(s.revocation_root(6).await.unwrap(), before[6].0);
        // The next seal builds on what is left.
        s.log_revocations(&[9 << 16], NOW + 100).await.unwrap();
        revoked.push(9 << 16);
        let m = s
            .seal_epoch(7, NOW + 101, &signer())
            .await
            .unwrap()
            .unwrap();
        let tree = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
        assert_eq!(m.root, fr_to_bytes(&tree.root()));
        assert_eq!(
            s.revocation_bucket(7, 0).await.unwrap().revoked,
            tree.bucket(0).0
        );
    }

    /// Each seal commits the signed record of its epoch, chained to the one before; the
    /// first start writes the current epoch's; readers page through them.
    pub async fn epoch_records_chain<S: Storage>(s: &S) {
        let key = signer().public_key();
        assert!(s.ensure_epoch_record(&signer()).await.unwrap());
        assert!(!s.ensure_epoch_record(&signer()).await.unwrap());
        s.log_revocations(&[3, 70_000], NOW).await.unwrap();
        s.seal_epoch(1, NOW + 1, &signer()).await.unwrap().unwrap();
        // Caught up over a downtime: epochs 2 to 4 were never served and have no record.
        s.log_revocations(&[4], NOW + 1).await.unwrap();
        s.seal_epoch(5, NOW + 2, &signer()).await.unwrap().unwrap();
        assert_eq!(s.seal_epoch(5, NOW + 2, &signer()).await.unwrap(), None);
        assert!(!s.ensure_epoch_record(&signer()).await.unwrap());
        let all = s.epoch_records(None, 256).await.unwrap();
        let opened: Vec<netid_core::EpochRecord> =
            all.iter().map(|r| r.open(&key).unwrap()).collect();
        assert_eq!(
            opened
                .iter()
                .map(|r| (r.epoch, r.revoked_total))
                .collect::<Vec<_>>(),
            [(0, 0), (1, 2), (5, 3)]
        );
        assert_eq!(opened[0].prev, [0; 32]);
        netid_core::check_chain(&opened).unwrap();
        for r in &opened {
            assert_eq!(r.revocation_root, s.revocation_root(r.epoch).await.unwrap());
            assert_eq!(
                (r.start, r.length),
                (NOW + 10 * i64::try_from(r.epoch).unwrap(), 10)
            );
        }
        // Pages after an epoch, oldest first; newest first up to an epoch.
        let epochs = |v: Vec<netid_core::SignedEpochRecord>| -> Vec<u64> {
            v.iter().map(|r| r.open(&key).unwrap().epoch).collect()
        };
        assert_eq!(epochs(s.epoch_records(Some(0), 1).await.unwrap()), [1]);
        assert_eq!(epochs(s.epoch_records(Some(1), 256).await.unwrap()), [5]);
        assert_eq!(epochs(s.epoch_records(Some(2), 256).await.unwrap()), [5]);
        assert!(s.epoch_records(Some(5), 256).await.unwrap().is_empty());
        assert!(s
            .epoch_records(Some(u64::MAX), 256)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(epochs(s.epoch_records_to(5, 2).await.unwrap()), [5, 1]);
        assert_eq!(epochs(s.epoch_records_to(4, 8).await.unwrap()), [1, 0]);
    }

    /// sealers never lose a slot; the epoch schedule is fixed by its first caller.
    pub async fn log_and_seal<S: Storage>(s: &S) {
        let b1 = 1u32 << 16;
        assert_eq!(s.log_revocations(&[5, b1 + 7, 5], NOW).await.unwrap(), 2);
        // Not sealed: no epoch has it yet.
        assert_eq!(s.epoch().await.unwrap(), 0);
        assert!(s.revocation_bucket(0, 0).await.unwrap().revoked.is_empty());
        // A row logged at the boundary belongs to the epoch after it.
        assert_eq!(s.log_revocations(&[9], NOW + 1).await.unwrap(), 1);
        let moved = s.seal_epoch(1, NOW + 1, &signer()).await.unwrap().unwrap();
        assert_eq!(moved.sealed, 2);
        let tree = RevocationTree::from_revoked([5, u64::from(b1) + 7]).unwrap();
        assert_eq!(moved.epoch, 1);
        assert_eq!(moved.root, fr_to_bytes(&tree.root()));
        assert_eq!(s.revocation_root(1).await.unwrap(), moved.root);
        assert_eq!(s.revocation_bucket(1, 1).await.unwrap().revoked, [7]);
        assert_eq!(
            s.revocation_root(0).await.unwrap(),
            fr_to_bytes(&RevocationTree::new().root())
        );
        assert_eq!(s.seal_epoch(1, NOW + 1, &signer()).await.unwrap(), None);
        assert_eq!(s.epoch().await.unwrap(), 1);
        // The next epoch takes it; an epoch may skip numbers (the issuer was down).
        let moved = s.seal_epoch(4, NOW + 2, &signer()).await.unwrap().unwrap();
        assert_eq!((moved.epoch, moved.sealed), (4, 1));
        assert_eq!(s.revocation_bucket(4, 0).await.unwrap().revoked, [5, 9]);
        assert_eq!(s.revocation_bucket(3, 0).await.unwrap().revoked, [5]);
        // A slot logged twice stays once; NO_SLOT is no slot.
        assert_eq!(s.log_revocations(&[5], NOW).await.unwrap(), 0);
        assert!(matches!(
            s.log_revocations(&[NO_SLOT], NOW).await,
            Err(IssuerError::InvalidInput(_))
        ));
        // Loggers and sealers side by side: every slot ends up in the tree.
        let mut all: Vec<u64> = vec![5, 9, u64::from(b1) + 7];
        let mut tasks = Vec::new();
        for t in 0..4u32 {
            let s = s.clone();
            let slots: Vec<u32> = (0..25).map(|i| (t * 25 + i) * 40_009 % (1 << 24)).collect();
            all.extend(slots.iter().map(|&x| u64::from(x)));
            tasks.push(tokio::spawn(async move {
                for chunk in slots.chunks(5) {
                    s.log_revocations(chunk, NOW).await.unwrap();
                    let next = s.epoch().await.unwrap() + 1;
                    s.seal_epoch(next, NOW + 1, &signer()).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // A sealer that lost the race to its lock left its rows to the next seal.
        let next = s.epoch().await.unwrap() + 1;
        s.seal_epoch(next, NOW + 1, &signer())
            .await
            .unwrap()
            .unwrap();
        let e = s.epoch().await.unwrap();
        let tree = RevocationTree::from_revoked(all.iter().copied()).unwrap();
        assert_eq!(
            s.revocation_root(e).await.unwrap(),
            fr_to_bytes(&tree.root())
        );
        for b in [0u64, 1, 100, 255] {
            let (offsets, _) = tree.bucket(b);
            assert_eq!(
                s.revocation_bucket(e, b).await.unwrap().revoked,
                offsets,
                "bucket {b}"
            );
        }
        // The schedule: fixed by the first call so that the current epoch begins now; later
        // calls get it as stored.
        let schedule = s.epoch_schedule(10, NOW + 100).await.unwrap();
        assert_eq!(schedule.length(), 10);
        assert_eq!(schedule.epoch_at(NOW + 100), e);
        assert_eq!(schedule.start(e), NOW + 100);
        assert_eq!(s.epoch_schedule(86_400, NOW + 999).await.unwrap(), schedule);
        assert!(matches!(
            s.epoch_schedule(0, NOW).await,
            Err(IssuerError::InvalidInput(_))
        ));
    }

    pub async fn replica_state<S: Storage>(s: &S) {
        let (h, other) = ([1u8; 32], [2u8; 32]);
        assert_eq!(s.stored_request(&h).await.unwrap(), None);
        s.save_request(&h, "{\"r\":1}", NOW + 100, NOW)
            .await
            .unwrap();
        s.save_request(&other, "{}", NOW + 10, NOW).await.unwrap();
        s.count_request_rejection(&h).await.unwrap();
        s.count_request_rejection(&h).await.unwrap();
        s.save_request_claims(&h, "{\"c\":2}").await.unwrap();
        let r = s.stored_request(&h).await.unwrap().unwrap();
        assert_eq!(
            (r.request.as_str(), r.claims.as_deref(), r.rejections),
            ("{\"r\":1}", Some("{\"c\":2}"), 2)
        );
        // Updates of unknown requests create nothing; saving again keeps the record.
        s.count_request_rejection(&[3; 32]).await.unwrap();
        s.save_request_claims(&[3; 32], "{}").await.unwrap();
        assert_eq!(s.stored_request(&[3; 32]).await.unwrap(), None);
        s.save_request(&h, "{}", NOW + 100, NOW).await.unwrap();
        assert_eq!(s.stored_request(&h).await.unwrap().unwrap().rejections, 2);
        // A later save forgets the requests whose time has passed.
        s.save_request(&[4; 32], "{}", NOW + 200, NOW + 50)
            .await
            .unwrap();
        assert_eq!(s.stored_request(&other).await.unwrap(), None);
        assert!(s.stored_request(&h).await.unwrap().is_some());

        // Single use: one winner among concurrent callers.
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let s = s.clone();
            set.spawn(async move { s.use_once("refresh", b"sig", NOW + 60, NOW).await });
        }
        let mut wins = 0;
        while let Some(r) = set.join_next().await {
            wins += usize::from(r.unwrap().unwrap());
        }
        assert_eq!(wins, 1);
        // Scopes are apart; an expired record can be used again.
        assert!(s
            .use_once("guardian-nonce", b"sig", NOW + 60, NOW)
            .await
            .unwrap());
        assert!(!s
            .use_once("refresh", b"sig", NOW + 120, NOW + 59)
            .await
            .unwrap());
        assert!(s
            .use_once("refresh", b"sig", NOW + 120, NOW + 60)
            .await
            .unwrap());
        assert!(!s
            .use_once("refresh", b"sig", NOW + 180, NOW + 61)
            .await
            .unwrap());

        // The revocation version.
        assert_eq!(s.revocation_version().await.unwrap(), 0);
        assert_eq!(s.bump_revocation_version().await.unwrap(), 1);
        assert_eq!(s.revocation_version().await.unwrap(), 1);

        // One live fingerprint per key file: a second one is refused, until the first retires.
        let k = s
            .record_issuer_key("netid.key", &[7; 32], NOW)
            .await
            .unwrap();
        assert!(s
            .record_issuer_key("netid.key", &[8; 32], NOW)
            .await
            .is_err());
        s.retire_issuer_key(k.id, NOW + 1).await.unwrap();
        s.record_issuer_key("netid.key", &[8; 32], NOW + 2)
            .await
            .unwrap();
    }
}

async fn sqlite_storage() -> (SqliteStorage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("issuer.db"))
        .await
        .unwrap();
    (s, dir)
}

/// A fresh schema on the test server, or `None` when PostgreSQL tests are skipped.
async fn pg_storage() -> Option<(PostgresStorage, String)> {
    if std::env::var_os("NETID_SKIP_POSTGRES").is_some_and(|v| v == "1") {
        eprintln!("NETID_SKIP_POSTGRES=1: skipping a PostgreSQL test");
        return None;
    }
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "netid_test_{}",
        netid_issuer::evidence::ChallengeId::generate().to_hex()
    );
    let s = PostgresStorage::connect_in_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at DATABASE_URL is needed (or set NETID_SKIP_POSTGRES=1): {e:?}")
        });
    Some((s, schema))
}

async fn pg_drop(s: PostgresStorage, schema: &str) {
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(s.pool())
        .await
        .unwrap();
    s.close().await;
}

/// The sealer's advisory lock is per schema (specs/revocation.md §3): while a replica of the
/// issuer in schema A holds it, A's other replicas leave the seal to it, and the issuer in
/// schema B of the same database seals undisturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sealer_lock_is_per_schema() {
    let Some((a, schema_a)) = pg_storage().await else {
        return;
    };
    let (b, schema_b) = pg_storage().await.unwrap();
    // A replica of A sealing: its transaction holds A's lock.
    let mut holder = a.pool().begin().await.unwrap();
    let got: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(hashtext('netid/v1/sealer/' || current_schema()))",
    )
    .fetch_one(&mut *holder)
    .await
    .unwrap();
    assert!(got);
    assert_eq!(a.seal_epoch(1, NOW + 1, &signer()).await.unwrap(), None);
    assert_eq!(
        b.seal_epoch(1, NOW + 1, &signer())
            .await
            .unwrap()
            .map(|m| m.epoch),
        Some(1)
    );
    holder.rollback().await.unwrap();
    assert_eq!(
        a.seal_epoch(1, NOW + 1, &signer())
            .await
            .unwrap()
            .map(|m| m.epoch),
        Some(1)
    );
    pg_drop(a, &schema_a).await;
    pg_drop(b, &schema_b).await;
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (s, _dir) = super::sqlite_storage().await;
                    super::suite::$name(&s).await;
                    s.close().await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some((s, schema)) = super::pg_storage().await else { return };
                    super::suite::$name(&s).await;
                    super::pg_drop(s, &schema).await;
                }
            )*
        }
    };
}

both_backends!(
    enrol_and_look_up,
    key_mismatch_is_detected,
    credential_lifecycle,
    minors_and_guardians,
    phone_codes,
    phone_attempts_are_counted_atomically,
    apps_and_keys,
    concurrent_enrolments_of_one_person,
    concurrent_enrolments_of_many_people,
    replica_state,
    log_and_seal,
    epoch_records_chain,
    prune_keeps_every_kept_epoch,
);

#[tokio::test]
async fn any_storage_from_url() {
    use netid_issuer::storage::AnyStorage;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let s = AnyStorage::connect(&url).await.unwrap();
    assert_eq!(s.backend(), "sqlite");
    suite::enrol_and_look_up(&s).await;
    let mem = AnyStorage::connect("sqlite::memory:").await.unwrap();
    suite::apps_and_keys(&mem).await;
    assert!(AnyStorage::connect("mysql://x").await.is_err());
    if let Some((pg, schema)) = pg_storage().await {
        // The URL form, pointed at the test's own schema (never at `public`).
        let url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        let any = AnyStorage::connect(&url).await.unwrap();
        assert_eq!(any.backend(), "postgres");
        suite::apps_and_keys(&any).await;
        if let AnyStorage::Postgres(p) = any {
            p.close().await;
        }
        pg_drop(pg, &schema).await;
    }
}

#[tokio::test]
async fn sqlite_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let p = {
        let s = SqliteStorage::open(&path).await.unwrap();
        let out = s
            .enrol_person(&enrolment(&adult(3), Some(cred(Suite::Groth16, 9))), NOW)
            .await
            .unwrap();
        s.close().await;
        out.person
    };
    let s = SqliteStorage::open(&path).await.unwrap();
    assert_eq!(s.person(p.id).await.unwrap().unwrap(), p);
    assert_eq!(s.credentials_of(p.id).await.unwrap().len(), 1);
}

/// Child side of [`sqlite_acknowledged_enrolments_survive_sigkill`]: enrols people in a loop and
/// prints each index once `enrol_person` returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(path) = std::env::var_os("NETID_CRASH_DB") else {
        return;
    };
    use std::io::Write as _;
    let s = SqliteStorage::open(std::path::Path::new(&path))
        .await
        .unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0..100_000u32 {
        s.enrol_person(&enrolment(&adult(i), Some(cred(Suite::BbsSha256, 1))), NOW)
            .await
            .unwrap();
        writeln!(out, "ack {i}").unwrap();
        out.flush().unwrap();
    }
}

/// Upgrading a database written before the revocation log (migration 0005): the migration
/// logs the slots the credentials' states revoke, the first start hashes them into the stored
/// tree once, and the tree then equals one built from those slots.
#[tokio::test]
async fn sqlite_upgrade_logs_and_hashes_earlier_revocations_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let s = SqliteStorage::open(&path).await.unwrap();
    let mut revoked = Vec::new();
    for i in 0..3u32 {
        let out = s
            .enrol_person(
                &enrolment(&adult(40 + i), Some(cred(Suite::Groth16, 1))),
                NOW,
            )
            .await
            .unwrap();
        let c = out.credential.unwrap();
        if i != 1 {
            s.revoke_credential(c.id, NOW + 1).await.unwrap().unwrap();
            revoked.push(u64::from(c.rev_index));
        }
    }
    // Back to the schema before 0005, with the credentials' states as they are, and the epoch
    // where the code of then moved it (once per revocation).
    for q in [
        "UPDATE counters SET value = 2 WHERE name = 'epoch'",
        "DROP TABLE revocation_log",
        "DROP TABLE rev_nodes",
        "DELETE FROM counters WHERE name = 'rev_nodes_from'",
        "DELETE FROM _sqlx_migrations WHERE version = 5",
    ] {
        sqlx::query(q).execute(s.pool()).await.unwrap();
    }
    s.close().await;
    let s = SqliteStorage::open(&path).await.unwrap();
    let e = s.epoch().await.unwrap();
    assert_eq!(e, 2);
    // Logged by the migration, not hashed yet: no bucket is served until the first start.
    assert!(matches!(
        s.revocation_bucket(e, 0).await,
        Err(netid_issuer::IssuerError::NotFound(_))
    ));
    assert_eq!(s.build_revocation_nodes().await.unwrap(), Some(1));
    assert_eq!(s.build_revocation_nodes().await.unwrap(), None);
    let tree = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
    assert_eq!(
        s.revocation_root(e).await.unwrap(),
        fr_to_bytes(&tree.root())
    );
    assert_eq!(
        s.revocation_bucket(e, 0).await.unwrap().revoked,
        tree.bucket(0).0
    );
    // The next seal builds on that tree.
    let out = s
        .enrol_person(&enrolment(&adult(50), Some(cred(Suite::Groth16, 1))), NOW)
        .await
        .unwrap();
    let c = out.credential.unwrap();
    assert!(s.revoke_credential(c.id, NOW + 2).await.unwrap().is_some());
    let moved = s
        .seal_epoch(e + 1, NOW + 3, &signer())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.sealed, 1);
    revoked.push(u64::from(c.rev_index));
    let tree = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
    assert_eq!(
        s.revocation_root(e + 1).await.unwrap(),
        fr_to_bytes(&tree.root())
    );
}

/// The `n`-th of distinct slots spread over the whole tree (`n·65537 mod (2^32 − 2)` is a
/// bijection), one per bucket for runs of up to 65 536.
fn spread(n: u32) -> u32 {
    u32::try_from(u64::from(n) * 65_537 % u64::from(u32::MAX - 1)).unwrap()
}

/// The child of `sqlite_sealer_killed_mid_seal_loses_nothing`: logs batches of slots spread
/// over many buckets (a seal of one takes a while) and seals each, saying so before and after.
#[tokio::test]
async fn sealer_child() {
    let Some(path) = std::env::var_os("NETID_SEALER_DB") else {
        return;
    };
    use std::io::Write as _;
    let s = SqliteStorage::open(std::path::Path::new(&path))
        .await
        .unwrap();
    let mut out = std::io::stdout().lock();
    let start: u32 = std::env::var("NETID_SEALER_START")
        .unwrap()
        .parse()
        .unwrap();
    for batch in 0..1000u32 {
        let slots: Vec<u32> = (0..600)
            .map(|i| spread((start + batch) * 600 + i))
            .collect();
        s.log_revocations(&slots, NOW).await.unwrap();
        writeln!(out, "logged {}", start + batch).unwrap();
        out.flush().unwrap();
        let next = s.epoch().await.unwrap() + 1;
        s.seal_epoch(next, NOW + 1, &signer()).await.unwrap();
        writeln!(out, "sealed {}", start + batch).unwrap();
        out.flush().unwrap();
    }
}

/// `kill -9` of the sealer in the middle of a seal loses nothing (specs/revocation.md §3): the
/// seal rolls back whole, the logged slots wait, and the next seal puts every one of them
/// into the tree, whose root then equals a tree built from all of them.
#[test]
fn sqlite_sealer_killed_mid_seal_loses_nothing() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut logged: Vec<u32> = Vec::new();
    let mut start = 0u32;
    let mut killed_mid_seal = 0;
    for round in 0..3u32 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "sealer_child", "--nocapture", "--test-threads=1"])
            .env("NETID_SEALER_DB", &path)
            .env("NETID_SEALER_START", start.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        // Let it seal `round` batches, then kill it right after it logged the next one: it
        // is sealing that one.
        let mut last = None;
        while let Some(Ok(line)) = lines.next() {
            if let Some(b) = line.strip_prefix("logged ") {
                let b: u32 = b.parse().unwrap();
                last = Some(b);
                if b >= start + round {
                    break;
                }
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let last = last.expect("the child logged nothing");
        for b in start..=last {
            logged.extend((0..600).map(|i| spread(b * 600 + i)));
        }
        start = last + 1;
        // Was the seal of the last batch cut off? Then its slots are logged and unsealed.
        killed_mid_seal += rt.block_on(async {
            let s = SqliteStorage::open(&path).await.unwrap();
            let e = s.epoch().await.unwrap();
            let m = s
                .seal_epoch(e + 1, NOW + 1, &signer())
                .await
                .unwrap()
                .unwrap();
            s.close().await;
            assert_eq!(m.epoch, e + 1);
            usize::from(m.sealed > 0)
        });
    }
    assert!(
        killed_mid_seal > 0,
        "no kill landed in the middle of a seal"
    );
    rt.block_on(async {
        let s = SqliteStorage::open(&path).await.unwrap();
        let e = s.epoch().await.unwrap();
        let tree = RevocationTree::from_revoked(logged.iter().map(|&x| u64::from(x))).unwrap();
        assert_eq!(
            s.revocation_root(e).await.unwrap(),
            fr_to_bytes(&tree.root()),
            "a logged slot is missing from the tree, or a seal was half applied"
        );
        // Every seal committed its record with it, and only then: one per epoch, chained
        // (each child process signs with keys of its own, so only the bytes are read here).
        let records: Vec<netid_core::EpochRecord> = s
            .epoch_records(None, 256)
            .await
            .unwrap()
            .iter()
            .map(|r| netid_core::EpochRecord::from_bytes(r.record.as_slice()).unwrap())
            .collect();
        assert_eq!(
            records.iter().map(|r| r.epoch).collect::<Vec<_>>(),
            (1..=e).collect::<Vec<_>>()
        );
        netid_core::check_chain(&records).unwrap();
        assert_eq!(
            records.last().unwrap().revocation_root,
            s.revocation_root(e).await.unwrap()
        );
        assert_eq!(
            records.last().unwrap().revoked_total,
            u64::try_from(logged.len()).unwrap()
        );
    });
}

#[test]
fn sqlite_acknowledged_enrolments_survive_sigkill() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let mut acked = Vec::new();
    for round in 0..3u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("NETID_CRASH_DB", &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        // Let it acknowledge a varying number of enrolments, then SIGKILL it mid-burst.
        let target = 20 + 15 * round;
        let mut n = 0;
        while n < target {
            let Some(line) = lines.next() else { break };
            if let Some(i) = line.unwrap().strip_prefix("ack ") {
                acked.push(i.parse::<u32>().unwrap());
                n += 1;
            }
        }
        child.kill().unwrap();
        // Lines acknowledged between our last read and the kill also count.
        for line in lines.map_while(Result::ok) {
            if let Some(i) = line.strip_prefix("ack ") {
                acked.push(i.parse::<u32>().unwrap());
            }
        }
        child.wait().unwrap();
        assert!(n >= 10, "the child acknowledged only {n} enrolments");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = SqliteStorage::open(&path).await.unwrap();
        let k = keys();
        for i in &acked {
            assert!(
                s.person_by_id_hash(&k.id_hash(&adult(*i)))
                    .await
                    .unwrap()
                    .is_some(),
                "acknowledged enrolment {i} lost"
            );
        }
        // Each round restarted at 0: re-enrolments, so persons = highest index + 1 at most.
        let max = acked.iter().max().copied().unwrap_or(0);
        assert!(s.count_persons().await.unwrap() > u64::from(max));
    });
}
