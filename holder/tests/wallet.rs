//! Wallet behaviour through the public API: round trips, passphrases, corruption, concurrency,
//! records and redaction. Tiny Argon2 parameters everywhere except `default_kdf_params`.

#![allow(clippy::unwrap_used)]

use netid_core::{
    AssuranceLevel, Attribute, CredentialAttributes, Date, DocType, HolderBinding, Nym, Passphrase,
    Statements, Suite,
};
use netid_holder::store::{read_header, CHECKSUM_LEN, HEADER_LEN};
use netid_holder::{
    CredentialRecord, CredentialStatus, FileStorage, GuardianRelation, HistoryEntry, KdfParams,
    MemoryStorage, PseudonymTag, Storage, Wallet, WalletError, WalletOptions, Ward,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const OPTS: WalletOptions = WalletOptions::insecure_for_tests();
const NOW: u64 = 1_772_323_200;
const NETID: &str = "7Q2KX9M4ABCD5";

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned())
}

fn attributes(binding: HolderBinding, netid: &str) -> CredentialAttributes {
    CredentialAttributes {
        netid: netid.into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: [0x11; 32],
        birthdate: Date::from_ymd(2000, 2, 29).unwrap(),
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        nym: Nym::from_prf_output(&[0x22; 32]),
        binding,
        expiry: Date::from_ymd(2036, 2, 28).unwrap(),
        rev_index: 42,
        guardian_perms: 0,
    }
}

fn record<S: Storage>(w: &Wallet<S>, suite: Suite, issued_at: u64) -> CredentialRecord {
    let r = CredentialRecord::new(
        suite,
        "cn.gov.netid".into(),
        "https://issuer.example".into(),
        attributes(w.holder_binding().unwrap(), NETID),
        vec![0xAB; 80],
        issued_at,
    )
    .unwrap();
    if suite == Suite::Groth16 {
        r
    } else {
        r.with_prover_blind(&BLIND).unwrap()
    }
}

/// A prover blind (any canonical scalar).
const BLIND: [u8; 32] = [0x01; 32];

fn entry(at: u64, app: &str) -> HistoryEntry {
    let mut st = Statements::new(Date::from_ymd(2026, 3, 1).unwrap());
    st.age_at_least = Some(18);
    st.assurance_at_least = Some(AssuranceLevel::Remote);
    st.disclose.insert(Attribute::GivenName);
    st.pseudonym = true;
    HistoryEntry::new(
        at,
        app.into(),
        "示例商城".into(),
        Suite::Groth16,
        st,
        Some(PseudonymTag::of(app.as_bytes())),
    )
    .unwrap()
}

/// A wallet with two credentials, a ward and some history, stored in memory.
fn populated() -> Wallet<MemoryStorage> {
    let mut w = Wallet::create(MemoryStorage::new(), &pass("口令 one"), OPTS, NOW).unwrap();
    let bbs = record(&w, Suite::BbsSha256, NOW + 1);
    let g16 = record(&w, Suite::Groth16, NOW + 2);
    w.put_credential(bbs).unwrap();
    w.put_credential(g16).unwrap();
    w.put_ward(
        Ward::new(
            "ABCDEFGH12345".into(),
            "*明".into(),
            GuardianRelation::Parent,
            NOW,
            0b101,
        )
        .unwrap(),
    )
    .unwrap();
    for i in 0..3 {
        w.record_presentation(entry(NOW + 10 + i, "cn.example.shop"));
    }
    w.save().unwrap();
    w
}

#[test]
fn create_open_round_trip() {
    let w = populated();
    let public = w.device_key().public_key();
    let creds: Vec<_> = w.credentials().to_vec();
    let wards: Vec<_> = w.wards().to_vec();
    let history: Vec<_> = w.history().cloned().collect();
    let storage = w.close();

    let w = Wallet::open(storage, &pass("口令 one"), OPTS).unwrap();
    assert_eq!(w.device_key().public_key(), public);
    assert_eq!(w.credentials(), &creds[..]);
    assert_eq!(w.wards(), &wards[..]);
    assert_eq!(w.history().cloned().collect::<Vec<_>>(), history);
    assert_eq!(w.created_at(), NOW);
    assert_eq!(w.kdf_params(), KdfParams::INSECURE_TESTING);
    assert_eq!(w.netid(), Some(NETID));
    assert_eq!(w.masked_name().as_deref(), Some("*丽"));
    let today = Date::from_ymd(2026, 3, 1).unwrap();
    let c = w.credential_for(Suite::Groth16, today).unwrap();
    assert_eq!(c.suite(), Suite::Groth16);
    assert_eq!(c.rev_index(), 42);
    assert_eq!(c.expiry(), Date::from_ymd(2036, 2, 28).unwrap());
    assert_eq!(c.signature(), &[0xAB; 80][..]);
    assert!(w.credential_for(Suite::BbsShake256, today).is_none());
    assert!(w
        .credential_for(Suite::Groth16, Date::from_ymd(2036, 2, 29).unwrap())
        .is_none());
}

#[test]
fn file_round_trip_and_lifecycle_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.netid");
    let mut w = Wallet::create(FileStorage::new(&path), &pass("p"), OPTS, NOW).unwrap();
    let r = record(&w, Suite::BbsShake256, NOW);
    w.put_credential(r).unwrap();
    w.save().unwrap();
    drop(w);
    let w = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    assert_eq!(w.credentials().len(), 1);
    assert_eq!(w.storage().path(), path);
    drop(w);

    assert!(matches!(
        Wallet::create(FileStorage::new(&path), &pass("p"), OPTS, NOW),
        Err(WalletError::AlreadyExists)
    ));
    assert!(matches!(
        Wallet::open(FileStorage::new(dir.path().join("nope")), &pass("p"), OPTS),
        Err(WalletError::NotFound)
    ));
    assert!(matches!(
        Wallet::create(MemoryStorage::new(), &pass(""), OPTS, NOW),
        Err(WalletError::EmptyPassphrase)
    ));
    // Production options refuse a file written with test parameters.
    assert!(matches!(
        Wallet::open(FileStorage::new(&path), &pass("p"), WalletOptions::new()),
        Err(WalletError::WeakKdfParams)
    ));
}

#[test]
fn wrong_passphrase() {
    let storage = populated().close();
    for wrong in ["口令 two", "", "口令 one ", "口令one"] {
        assert!(matches!(
            Wallet::open(storage.clone(), &pass(wrong), OPTS),
            Err(WalletError::WrongPassphrase)
        ));
    }
    let msg = WalletError::WrongPassphrase.to_string();
    assert_eq!(msg, "wrong passphrase");
}

#[test]
fn every_truncation_is_corrupt() {
    let bytes = populated().close().bytes().unwrap().to_vec();
    for len in 0..bytes.len() {
        let r = Wallet::open(
            MemoryStorage::with_bytes(bytes[..len].to_vec()),
            &pass("口令 one"),
            OPTS,
        );
        assert!(matches!(r, Err(WalletError::Corrupt { .. })), "len {len}");
    }
}

/// Flips one ciphertext byte and recomputes the checksum (a deliberate edit, not damage): the
/// passphrase check passes, the AEAD tag does not.
#[test]
fn tampered_ciphertext_is_corrupt_not_wrong_passphrase() {
    let bytes = populated().close().bytes().unwrap().to_vec();
    let end = bytes.len() - CHECKSUM_LEN;
    for i in (HEADER_LEN..end).step_by(37).chain([end - 1]) {
        let mut t = bytes.clone();
        t[i] ^= 0x40;
        let sum = Sha256::digest(&t[..end]);
        t[end..].copy_from_slice(&sum);
        let r = Wallet::open(MemoryStorage::with_bytes(t), &pass("口令 one"), OPTS);
        assert!(matches!(r, Err(WalletError::Corrupt { .. })), "byte {i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any single-byte change anywhere in the file is an error (never a panic, never a
    /// successful open).
    #[test]
    fn single_byte_corruption_is_an_error(pos in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut storage = populated_bytes();
        let bytes = storage.bytes_mut().unwrap();
        let i = pos.index(bytes.len());
        bytes[i] ^= x;
        let r = Wallet::open(storage, &pass("口令 one"), OPTS);
        prop_assert!(
            matches!(r, Err(WalletError::Corrupt { .. } | WalletError::UnsupportedVersion { .. })),
            "byte {} ^ {:#x}: {:?}", i, x, r.err()
        );
    }

    /// Arbitrary bytes, with or without the right magic and version, never panic.
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        let mut bytes = if magic { b"NETIDWAL\x00\x01".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&tail);
        let r = Wallet::open(MemoryStorage::with_bytes(bytes), &pass("x"), OPTS);
        prop_assert!(r.is_err());
    }
}

fn populated_bytes() -> MemoryStorage {
    use std::sync::OnceLock;
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    MemoryStorage::with_bytes(
        BYTES
            .get_or_init(|| populated().close().bytes().unwrap().to_vec())
            .clone(),
    )
}

#[test]
fn passphrase_change() {
    let mut w = populated();
    let before = w.storage().bytes().unwrap().to_vec();
    let salt_before = read_header(&before).unwrap().salt;

    assert!(matches!(
        w.change_passphrase(&pass("not it"), &pass("new")),
        Err(WalletError::WrongPassphrase)
    ));
    assert!(matches!(
        w.change_passphrase(&pass("口令 one"), &pass("")),
        Err(WalletError::EmptyPassphrase)
    ));
    assert_eq!(
        w.storage().bytes().unwrap(),
        &before[..],
        "failed changes write nothing"
    );

    w.record_presentation(entry(NOW + 100, "cn.unsaved.change"));
    w.change_passphrase(&pass("口令 one"), &pass("新口令"))
        .unwrap();
    let after = w.storage().bytes().unwrap().to_vec();
    assert_ne!(read_header(&after).unwrap().salt, salt_before);
    // Later saves use the new key.
    w.save().unwrap();
    let storage = w.close();
    assert!(matches!(
        Wallet::open(storage.clone(), &pass("口令 one"), OPTS),
        Err(WalletError::WrongPassphrase)
    ));
    let w = Wallet::open(storage, &pass("新口令"), OPTS).unwrap();
    assert_eq!(w.credentials().len(), 2);
    assert_eq!(w.history().last().unwrap().app_id(), "cn.unsaved.change");
}

#[test]
fn every_save_uses_a_fresh_nonce() {
    let mut w = populated();
    let a = read_header(w.storage().bytes().unwrap()).unwrap();
    w.save().unwrap();
    let b = read_header(w.storage().bytes().unwrap()).unwrap();
    assert_eq!(a.salt, b.salt);
    assert_ne!(a.nonce, b.nonce);
}

#[test]
fn history_is_bounded() {
    let mut w = Wallet::create(MemoryStorage::new(), &pass("p"), OPTS, NOW).unwrap();
    assert_eq!(w.history_limit(), netid_holder::DEFAULT_HISTORY_LIMIT);
    w.set_history_limit(10).unwrap();
    for i in 0..25 {
        w.record_presentation(entry(i, &format!("app.{i}")));
    }
    assert_eq!(w.history().len(), 10);
    assert_eq!(w.history().next().unwrap().at(), 15);
    assert_eq!(w.history().next_back().unwrap().at(), 24);
    w.set_history_limit(3).unwrap();
    let ats: Vec<_> = w.history().map(HistoryEntry::at).collect();
    assert_eq!(ats, [22, 23, 24]);
    assert!(w
        .set_history_limit(netid_holder::MAX_HISTORY_LIMIT + 1)
        .is_err());
    w.save().unwrap();
    let mut w = Wallet::open(w.close(), &pass("p"), OPTS).unwrap();
    assert_eq!(w.history_limit(), 3);
    assert_eq!(w.history().len(), 3);
    w.set_history_limit(0).unwrap();
    w.record_presentation(entry(99, "app.x"));
    assert_eq!(w.history().len(), 0);
    w.set_history_limit(5).unwrap();
    w.record_presentation(entry(100, "app.y"));
    w.clear_history();
    assert_eq!(w.history().len(), 0);
}

#[test]
fn credential_rules() {
    let mut w = populated();
    let other = Wallet::create(MemoryStorage::new(), &pass("p"), OPTS, NOW).unwrap();

    // Bound to another wallet's secret (a copied credential): refused in both suites.
    for suite in [Suite::BbsShake256, Suite::Groth16] {
        let foreign = record(&other, suite, NOW);
        assert!(matches!(
            w.put_credential(foreign),
            Err(WalletError::BindingMismatch)
        ));
    }
    // A BBS credential without its prover blind cannot be presented: refused.
    let blindless = CredentialRecord::new(
        Suite::BbsShake256,
        "cn.gov.netid".into(),
        "https://issuer.example".into(),
        attributes(w.holder_binding().unwrap(), NETID),
        vec![1],
        NOW,
    )
    .unwrap();
    assert!(matches!(
        w.put_credential(blindless.clone()),
        Err(WalletError::InvalidRecord { .. })
    ));
    // A Groth16 credential has no blind; a blind must be a canonical scalar.
    let g16 = record(&w, Suite::Groth16, NOW);
    assert!(g16.clone().with_prover_blind(&BLIND).is_err());
    assert!(blindless.with_prover_blind(&[0xff; 32]).is_err());
    // Another person's credential.
    let stranger = CredentialRecord::new(
        Suite::BbsShake256,
        "cn.gov.netid".into(),
        "https://issuer.example".into(),
        attributes(w.holder_binding().unwrap(), "ZZZZZZZZZZZZ1"),
        vec![1],
        NOW,
    )
    .unwrap()
    .with_prover_blind(&BLIND)
    .unwrap();
    assert!(matches!(
        w.put_credential(stranger),
        Err(WalletError::HolderMismatch)
    ));
    // Invalid records are refused at construction.
    let mut bad = attributes(w.holder_binding().unwrap(), NETID);
    bad.given_name = String::new();
    assert!(matches!(
        CredentialRecord::new(Suite::Groth16, "i".into(), "u".into(), bad, vec![1], 0),
        Err(WalletError::Core(_))
    ));
    for (id, url, sig) in [
        ("", "u", 1),
        ("i d", "u", 1),
        ("i", "", 1),
        ("i", "u", 0),
        ("i", "u", 4097),
    ] {
        let a = attributes(w.holder_binding().unwrap(), NETID);
        assert!(
            CredentialRecord::new(Suite::Groth16, id.into(), url.into(), a, vec![1; sig], 0)
                .is_err(),
            "{id:?} {url:?} {sig}"
        );
    }

    // A refresh replaces the record of the same issuer and suite.
    let refreshed = record(&w, Suite::Groth16, NOW + 50);
    w.put_credential(refreshed).unwrap();
    assert_eq!(w.credentials().len(), 2);
    let today = Date::from_ymd(2026, 3, 1).unwrap();
    assert_eq!(
        w.credential_for(Suite::Groth16, today).unwrap().issued_at(),
        NOW + 50
    );

    // Revocation makes it unusable, but it stays listed.
    assert!(w.set_credential_status(Suite::Groth16, "cn.gov.netid", CredentialStatus::Revoked));
    assert!(!w.set_credential_status(Suite::Groth16, "other", CredentialStatus::Revoked));
    assert!(w.credential_for(Suite::Groth16, today).is_none());
    w.save().unwrap();
    let mut w = Wallet::open(w.close(), &pass("口令 one"), OPTS).unwrap();
    let g = w.credentials().iter().find(|c| c.suite() == Suite::Groth16);
    assert_eq!(g.unwrap().status(), CredentialStatus::Revoked);
    assert!(w
        .remove_credential(Suite::Groth16, "cn.gov.netid")
        .is_some());
    assert!(w
        .remove_credential(Suite::Groth16, "cn.gov.netid")
        .is_none());
    assert_eq!(w.credentials().len(), 1);
}

#[test]
fn wards() {
    let mut w = populated();
    assert_eq!(w.wards().len(), 1);
    w.ward_mut("ABCDEFGH12345").unwrap().set_permissions(0b111);
    let second = Ward::new(
        "QRSTVWXY67890".into(),
        "*红".into(),
        GuardianRelation::LegalGuardian,
        NOW,
        0,
    )
    .unwrap();
    w.put_ward(second).unwrap();
    let own = Ward::new(NETID.into(), "*丽".into(), GuardianRelation::Parent, NOW, 0).unwrap();
    assert!(matches!(
        w.put_ward(own),
        Err(WalletError::InvalidRecord { .. })
    ));
    w.save().unwrap();
    let mut w = Wallet::open(w.close(), &pass("口令 one"), OPTS).unwrap();
    assert_eq!(w.wards().len(), 2);
    assert_eq!(w.wards()[0].permissions(), 0b111);
    assert_eq!(w.wards()[1].relation(), GuardianRelation::LegalGuardian);
    assert!(w.remove_ward("QRSTVWXY67890").is_some());
    assert!(w.ward_mut("QRSTVWXY67890").is_none());
}

#[test]
fn concurrent_modification_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.netid");
    drop(Wallet::create(FileStorage::new(&path), &pass("p"), OPTS, NOW).unwrap());
    let mut a = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    let mut b = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    a.record_presentation(entry(1, "app.a"));
    a.save().unwrap();
    b.record_presentation(entry(2, "app.b"));
    assert!(matches!(b.save(), Err(WalletError::ModifiedConcurrently)));
    // a keeps saving fine; a reopened b sees a's change.
    a.save().unwrap();
    let b = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    assert_eq!(b.history().next().unwrap().app_id(), "app.a");
}

#[test]
fn debug_output_is_redacted() {
    // The secret key bytes are checked in the crate's unit tests (they are not reachable
    // through the public API); here: nothing identifying.
    let w = populated();
    let dbg = format!("{w:?}");
    for needle in [NETID, "王", "丽", "ABCDEFGH12345", "口令"] {
        assert!(!dbg.contains(needle), "{needle} in {dbg}");
    }
    assert!(dbg.contains(&hex::encode(w.device_key().public_key())));
    let c = format!("{:?}", w.credentials());
    for needle in [NETID, "王", "丽", "171717", "AB, AB", "ab, ab", "abab"] {
        assert!(!c.contains(needle), "{needle} in {c}");
    }
    let p = format!("{:?}", pass("口令 one"));
    assert!(!p.contains("口令"));
    let e = format!(
        "{:?} {}",
        w.history().next().unwrap(),
        WalletError::WrongPassphrase
    );
    assert!(!e.contains("口令"));
}

#[test]
fn stale_temp_file_does_not_affect_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.netid");
    let mut w = Wallet::create(FileStorage::new(&path), &pass("p"), OPTS, NOW).unwrap();
    w.record_presentation(entry(1, "app.saved"));
    w.save().unwrap();
    // A crash mid-save leaves a partial temporary file next to the wallet.
    let tmp = dir.path().join(".w.netid.tmp.12345.deadbeefdeadbeef");
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&tmp, &full[..full.len() / 2]).unwrap();
    let mut w = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    assert_eq!(w.history().next().unwrap().app_id(), "app.saved");
    w.record_presentation(entry(2, "app.after"));
    w.save().unwrap();
    assert!(tmp.exists());
    let w = Wallet::open(FileStorage::new(&path), &pass("p"), OPTS).unwrap();
    assert_eq!(w.history().len(), 2);
    // It is young, so cleanup leaves it (another process might be writing it).
    assert_eq!(w.storage().remove_stale_temp_files().unwrap(), 0);
}

/// The one test with production parameters (64 MiB, t = 3): two Argon2id runs.
#[test]
fn default_kdf_params() {
    let mut w = Wallet::create(
        MemoryStorage::new(),
        &pass("口令"),
        WalletOptions::new(),
        NOW,
    )
    .unwrap();
    assert_eq!(w.kdf_params(), KdfParams::DEFAULT);
    w.save().unwrap(); // no key derivation on save
    let h = read_header(w.storage().bytes().unwrap()).unwrap();
    assert_eq!(
        (h.kdf.memory_kib(), h.kdf.iterations(), h.kdf.parallelism()),
        (65536, 3, 1)
    );
    let w = Wallet::open(w.close(), &pass("口令"), WalletOptions::new()).unwrap();
    assert_eq!(w.kdf_params(), KdfParams::DEFAULT);
}

/// A metadata document of `key` at `(epoch, sequence)`, signed by it.
fn signed_metadata(
    key: &ed25519_dalek::SigningKey,
    epoch: u64,
    sequence: u64,
) -> netid_core::SignedMetadata {
    let md = netid_core::IssuerMetadata {
        version: netid_core::METADATA_VERSION,
        issuer_id: "netid-issuer".into(),
        bbs_sha256_public_key: vec![1; 96].into(),
        bbs_shake256_public_key: vec![2; 96].into(),
        groth16_public_key: vec![3; 32].into(),
        groth16_setup: netid_core::Groth16Setup::None,
        groth16_verifying_key: Vec::new().into(),
        revocation_root: vec![4; 32].into(),
        epoch,
        app_registry_key: vec![5; 32].into(),
        updated_at: NOW,
        metadata_key: key.verifying_key().to_bytes().to_vec().into(),
        sequence,
        epoch_start: 0,
        epoch_length: 0,
        grace_epochs: 0,
        previous_epochs: Vec::new(),
        epoch_records: Vec::new(),
    };
    netid_core::SignedMetadata::sign(&md, key).unwrap()
}

/// specs/revocation.md §5: the wallet pins an issuer's metadata key on first use, refuses
/// documents under another key, with a bad signature, or older than the last one it accepted
/// (a rollback), keeps the pin across saves, and pins each issuer on its own.
#[test]
fn issuer_metadata_is_pinned_and_never_rolled_back() {
    const URL: &str = "http://issuer.example";
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let mut w = populated();
    assert!(w.issuer_pin(URL).is_none());
    assert_eq!(
        w.accept_metadata(URL, &signed_metadata(&key, 5, 1))
            .unwrap()
            .epoch,
        5
    );
    let pin = w.issuer_pin(URL).unwrap().clone();
    assert_eq!(pin.metadata_key(), key.verifying_key().as_bytes());
    assert_eq!(pin.position(), (5, 1));
    let refused = |w: &mut Wallet<MemoryStorage>, doc: &netid_core::SignedMetadata, why: &str| {
        let e = w.accept_metadata(URL, doc).unwrap_err();
        assert!(matches!(e, WalletError::MetadataRefused(_)), "{why}: {e}");
        assert_eq!(w.issuer_pin(URL), Some(&pin), "{why}: the pin moved");
    };
    refused(&mut w, &signed_metadata(&other, 6, 0), "another key");
    refused(&mut w, &signed_metadata(&key, 4, 9), "a lower epoch");
    refused(&mut w, &signed_metadata(&key, 5, 0), "a lower sequence");
    let mut forged = signed_metadata(&key, 9, 0);
    forged.signature = signed_metadata(&key, 8, 0).signature;
    refused(&mut w, &forged, "a signature over another document");
    // The same document again, then a newer one: accepted, and the pin moves forward.
    w.accept_metadata(URL, &signed_metadata(&key, 5, 1))
        .unwrap();
    w.accept_metadata(URL, &signed_metadata(&key, 6, 0))
        .unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().position(), (6, 0));
    // Another issuer is pinned on its own.
    w.accept_metadata("http://other.example", &signed_metadata(&other, 1, 0))
        .unwrap();
    // Saved and reopened, the pins hold.
    w.save().unwrap();
    let mut w = Wallet::open(w.close(), &pass("口令 one"), OPTS).unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().position(), (6, 0));
    let e = w
        .accept_metadata(URL, &signed_metadata(&key, 5, 1))
        .unwrap_err();
    assert!(matches!(e, WalletError::MetadataRefused(_)), "{e}");
    assert!(w
        .accept_metadata("http://other.example", &signed_metadata(&key, 2, 0))
        .is_err());
}

/// `signed_metadata` of epoch `epoch` carrying the records `rs` (oldest first; grace K = 1).
fn with_records(
    key: &ed25519_dalek::SigningKey,
    epoch: u64,
    rs: &[netid_core::EpochRecord],
) -> netid_core::SignedMetadata {
    let doc = signed_metadata(key, epoch, 0);
    let mut md: netid_core::IssuerMetadata =
        serde_json::from_slice(doc.document.as_slice()).unwrap();
    md.epoch_start = 1_000 + i64::try_from(epoch).unwrap() * 60;
    md.epoch_length = 60;
    md.grace_epochs = 1;
    md.epoch_records = rs.iter().rev().map(|r| r.sign(key)).collect();
    netid_core::SignedMetadata::sign(&md, key).unwrap()
}

/// A chain of records of `signed_metadata`'s roots and keys for `epochs`, from `prev`.
fn chain_from(
    prev: Option<&netid_core::EpochRecord>,
    epochs: &[u64],
    root: u8,
) -> Vec<netid_core::EpochRecord> {
    let mut out: Vec<netid_core::EpochRecord> = Vec::new();
    for &e in epochs {
        let prev = out
            .last()
            .or(prev)
            .map_or([0; 32], netid_core::EpochRecord::hash);
        out.push(netid_core::EpochRecord {
            epoch: e,
            start: 1_000 + i64::try_from(e).unwrap() * 60,
            length: 60,
            revocation_root: [root; 32],
            bbs_sha256_public_key: [1; 96],
            bbs_shake256_public_key: [2; 96],
            revoked_total: e,
            prev,
        });
    }
    out
}

/// specs/revocation.md §5: the wallet keeps the newest epoch record it accepted and takes a
/// newer document only when its records descend from it (directly, or through the records
/// between); another history signed by the same key, or a document without records, is
/// refused; the record survives a save.
#[test]
fn epoch_records_must_descend_from_the_one_the_wallet_holds() {
    const URL: &str = "http://issuer.example";
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let rs = chain_from(None, &[1, 2, 3, 4, 5], 4);
    let mut w = populated();
    w.accept_metadata(URL, &with_records(&key, 2, &rs[..2]))
        .unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().record(), Some(&rs[1].head()));
    // A fork: epoch 2 again with another root, and epoch 3 on top of it.
    let forked = chain_from(Some(&rs[0]), &[2, 3], 9);
    let mut forked3 = forked[1].clone();
    forked3.revocation_root = [4; 32];
    forked3.prev = forked[0].hash();
    let e = w
        .accept_metadata(URL, &with_records(&key, 3, &[forked[0].clone(), forked3]))
        .unwrap_err();
    assert!(
        matches!(e, WalletError::MetadataRefused(ref m) if m.contains("fork")),
        "{e}"
    );
    // No records after records: refused.
    assert!(w
        .accept_metadata(URL, &signed_metadata(&key, 3, 0))
        .is_err());
    assert_eq!(w.issuer_pin(URL).unwrap().position(), (2, 0));
    // Three epochs on: the records between are needed.
    let five = with_records(&key, 5, &rs[3..]);
    let e = w.accept_metadata(URL, &five).unwrap_err();
    assert!(
        matches!(
            e,
            WalletError::EpochGap {
                after: 2,
                before: 4
            }
        ),
        "{e}"
    );
    w.accept_metadata_bridged(URL, &five, &[rs[2].sign(&key)])
        .unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().record(), Some(&rs[4].head()));
    w.save().unwrap();
    let mut w = Wallet::open(w.close(), &pass("口令 one"), OPTS).unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().record(), Some(&rs[4].head()));
    let forked5 = chain_from(Some(&rs[3]), &[5], 9);
    let forked6 = [
        forked5[0].clone(),
        chain_from(Some(&forked5[0]), &[6], 4)[0].clone(),
    ];
    assert!(w
        .accept_metadata(URL, &with_records(&key, 6, &forked6))
        .is_err());
    let six = chain_from(Some(&rs[4]), &[6], 4);
    w.accept_metadata(
        URL,
        &with_records(&key, 6, &[rs[4].clone(), six[0].clone()]),
    )
    .unwrap();
    assert_eq!(w.issuer_pin(URL).unwrap().position(), (6, 0));
}

/// The bucket `bucket` of `tree` as the issuer serves it at `epoch`.
fn served_bucket(
    tree: &netid_circuits::gadgets::merkle::RevocationTree,
    epoch: u64,
) -> netid_core::issuer_api::RevocationBucket {
    let (offsets, upper) = tree.bucket(0);
    netid_core::issuer_api::RevocationBucket {
        epoch,
        bucket: 0,
        siblings: upper
            .iter()
            .map(|s| netid_circuits::presentation::fr_to_bytes(s).to_vec().into())
            .collect(),
        revoked: netid_core::issuer_api::encode_revoked_offsets(&offsets),
    }
}

/// specs/revocation.md §8: the wallet keeps a Groth16 credential's path of one epoch, computed
/// from that epoch's bucket, and presents with it (fetching nothing) while verifiers accept
/// the epoch; a path of an epoch past the grace epochs, or not leading to the epoch's root, is
/// not used; only Groth16 records keep one, and it survives a save.
#[test]
fn kept_revocation_paths_are_used_only_while_their_epoch_is_accepted() {
    use netid_circuits::gadgets::merkle::RevocationTree;
    use netid_circuits::presentation::fr_to_bytes;
    use netid_holder::present::{kept_path, revocation_path};
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let at4 = RevocationTree::from_revoked([7]).unwrap();
    let at5 = RevocationTree::from_revoked([7, 43]).unwrap();
    let root =
        |t: &RevocationTree| -> netid_core::b64::Bytes { fr_to_bytes(&t.root()).to_vec().into() };
    let doc = signed_metadata(&key, 5, 0);
    let mut meta: netid_core::IssuerMetadata =
        serde_json::from_slice(doc.document.as_slice()).unwrap();
    meta.revocation_root = root(&at5);
    meta.grace_epochs = 1;
    meta.previous_epochs = vec![netid_core::EpochKeys {
        epoch: 4,
        revocation_root: root(&at4),
        bbs_sha256_public_key: vec![1; 96].into(),
        bbs_shake256_public_key: vec![2; 96].into(),
    }];
    let mut w = populated();
    let g16 = w
        .credentials()
        .iter()
        .find(|c| c.suite() == Suite::Groth16)
        .unwrap()
        .clone();
    assert_eq!(g16.rev_index(), 42);
    assert!(kept_path(&meta, &g16).is_none());
    // The bucket of the grace epoch gives a path of epoch 4, which the metadata accepts.
    let p4 = revocation_path(&meta, 42, &served_bucket(&at4, 4)).unwrap();
    assert_eq!(p4.epoch(), 4);
    // A bucket of an epoch the metadata does not accept, or whose epoch it misstates, is
    // refused.
    assert!(revocation_path(&meta, 42, &served_bucket(&at4, 3)).is_err());
    assert!(revocation_path(&meta, 42, &served_bucket(&at4, 5)).is_err());
    let kept = g16.clone().with_revocation_path(p4.clone()).unwrap();
    assert_eq!(kept_path(&meta, &kept), Some(p4.clone()));
    // One epoch later, epoch 4 is past the grace epochs: the path is not used.
    let mut later = meta.clone();
    later.epoch = 6;
    later.previous_epochs[0].epoch = 5;
    later.previous_epochs[0].revocation_root = root(&at5);
    assert!(kept_path(&later, &kept).is_none());
    // A path that does not lead to its epoch's root is not used.
    let p5_wrong = netid_holder::RevocationPath::new(5, &p4.siblings()).unwrap();
    let wrong = g16.clone().with_revocation_path(p5_wrong).unwrap();
    assert!(kept_path(&meta, &wrong).is_none());
    // Only Groth16 records keep one; 32 siblings of 32 bytes.
    let bbs = w
        .credential_for(Suite::BbsSha256, Date::from_ymd(2030, 1, 1).unwrap())
        .unwrap()
        .clone();
    assert!(bbs.with_revocation_path(p4.clone()).is_err());
    assert!(netid_holder::RevocationPath::new(4, &p4.siblings()[..31]).is_err());
    // Kept in the wallet file.
    w.put_credential(kept).unwrap();
    w.save().unwrap();
    let w = Wallet::open(w.close(), &pass("口令 one"), OPTS).unwrap();
    let back = w
        .credentials()
        .iter()
        .find(|c| c.suite() == Suite::Groth16)
        .unwrap();
    assert_eq!(back.revocation_path(), Some(&p4));
}
