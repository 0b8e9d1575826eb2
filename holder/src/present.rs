//! The wallet's side of a presentation, with no network and no clock: check a request before
//! showing it, decide whether (and with which suite) the wallet can answer it, and build the
//! presentation of either suite from a [`CredentialRecord`] and the issuer's public data the
//! caller fetched (metadata; the BBS digit signatures of the credential's epoch; the Groth16
//! revocation path and proving keys). Presentations name the epoch whose keys they use
//! (specs/revocation.md §4).

use ed25519_dalek::VerifyingKey;
use netid_bbs::netid::{HolderKey, NetidBbs};
use netid_circuits::gadgets::eddsa;
use netid_circuits::gadgets::merkle::{
    path_from_bucket, MerklePath, BUCKET_BITS, LIVE, REVOKED, UPPER,
};
use netid_circuits::keys::ProvingKeys;
use netid_circuits::presentation::{fr_from_bytes, fr_to_bytes};
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::issuer_api::{decode_revoked_offsets, RevocationBucket};
use netid_core::{
    age_on, AppCertificate, Date, EpochKeys, HolderSecret, IssuerMetadata, Presentation,
    PresentationRequest, Statements, Suite,
};

use crate::{CredentialRecord, RevocationPath};

/// Why a request cannot be answered or a presentation not built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    /// The request is malformed, expired, not signed by an app the registry certified, or asks
    /// for more than the app's certificate allows.
    #[error("the request is not acceptable: {0}")]
    Request(String),
    /// The issuer's metadata is unusable.
    #[error("the issuer's metadata is unusable: {0}")]
    Metadata(String),
    /// The credential does not satisfy a statement (under age, too low an assurance, expired).
    #[error("your credential cannot prove this: {0}")]
    Unprovable(String),
    /// The wallet holds no usable credential of a suite the request accepts.
    #[error("no usable credential for the suites the request accepts ({0})")]
    NoCredential(String),
    /// The suite's prover failed (bad issuer data, a revoked or outdated credential).
    #[error("building the presentation failed: {0}")]
    Prover(String),
    /// A BBS credential from an epoch that verifiers no longer accept (specs/revocation.md
    /// §6): presenting it would be refused, and the refusal would tell its epoch. Refresh it.
    #[error(
        "the credential is from epoch {credential}, which verifiers no longer accept (the \
         issuer is at epoch {current}): refresh it"
    )]
    Stale {
        /// The credential's epoch.
        credential: u64,
        /// The metadata's epoch.
        current: u64,
    },
}

/// The epoch whose BBS key signed `credential` and its keys, if verifiers still accept it (the
/// metadata's epoch or one of its grace epochs, specs/revocation.md §4). A record without an
/// epoch (stored before wallets kept it) is taken to be of the metadata's epoch.
///
/// # Errors
/// [`PresentError::Stale`] for an epoch no longer accepted.
pub fn credential_epoch(
    metadata: &IssuerMetadata,
    credential: &CredentialRecord,
) -> Result<EpochKeys, PresentError> {
    let epoch = credential.epoch().unwrap_or(metadata.epoch);
    metadata.epoch_keys(epoch).ok_or(PresentError::Stale {
        credential: epoch,
        current: metadata.epoch,
    })
}

/// Whether `credential` is a BBS credential from before the metadata's epoch: the CLI then
/// refreshes before presenting (specs/revocation.md §6), while a grace epoch still lets it
/// present when the refresh fails.
pub fn needs_refresh(metadata: &IssuerMetadata, credential: &CredentialRecord) -> bool {
    credential.suite() != Suite::Groth16 && credential.epoch().is_some_and(|e| e < metadata.epoch)
}

/// What [`check_request`] learnt: who asks (from the app certificate the registry signed).
pub type Asker = AppCertificate;

/// Checks `request` as a wallet must before showing it: well-formed and unexpired at `now`,
/// its app certificate signed by the issuer's app registry (`metadata.app_registry_key`),
/// signed by the certified app key, asking nothing outside the certificate's policy.
///
/// # Errors
/// [`PresentError::Metadata`] for an unusable registry key; [`PresentError::Request`].
pub fn check_request(
    request: &PresentationRequest,
    metadata: &IssuerMetadata,
    now: u64,
) -> Result<Asker, PresentError> {
    let key: [u8; 32] = metadata
        .app_registry_key
        .as_slice()
        .try_into()
        .map_err(|_| PresentError::Metadata("app registry key must be 32 bytes".into()))?;
    let key = VerifyingKey::from_bytes(&key)
        .map_err(|_| PresentError::Metadata("app registry key is not an Ed25519 key".into()))?;
    let asker = netid_core::verify_request(request, &key, now)
        .map_err(|e| PresentError::Request(e.to_string()))?;
    check_request_date(request.statements.today, now)?;
    Ok(asker)
}

/// How far (in days) a request's `today` may be from the wallet's own date.
pub const MAX_DATE_SKEW_DAYS: u32 = 1;

/// Refuses a request whose `today` is more than [`MAX_DATE_SKEW_DAYS`] from the wallet's date at
/// `now` (China Standard Time). Range proofs are evaluated on the verifier's `today`: a verifier
/// free to pick it could ask "born on or before D" for any D and, over a few requests, learn the
/// birthdate bit by bit (specs/threat-model.md §4).
///
/// # Errors
/// [`PresentError::Request`].
pub fn check_request_date(today: Date, now: u64) -> Result<(), PresentError> {
    let own = Date::from_unix_seconds(i64::try_from(now).unwrap_or(i64::MAX), 8 * 3600)
        .map_err(|_| PresentError::Request("the wallet's clock is out of range".into()))?;
    let skew = today.days().abs_diff(own.days());
    if skew > MAX_DATE_SKEW_DAYS {
        return Err(PresentError::Request(format!(
            "the request is for {today}, but today is {own}: the wallet proves statements only \
             about today"
        )));
    }
    Ok(())
}

/// Whether `credential` makes every statement of `statements` true (so that a proof can
/// exist), checked before any proving so the holder gets a plain answer.
///
/// # Errors
/// [`PresentError::Unprovable`] naming the first false statement.
pub fn check_statements(
    credential: &CredentialRecord,
    statements: &Statements,
) -> Result<(), PresentError> {
    let attrs = credential.attributes();
    if let Some(n) = statements.age_at_least {
        let age = age_on(attrs.birthdate, statements.today).unwrap_or(0);
        if age < u32::from(n) {
            return Err(PresentError::Unprovable(format!(
                "you are not at least {n} years old on {}",
                statements.today
            )));
        }
    }
    if let Some(level) = statements.assurance_at_least {
        if attrs.assurance < level {
            return Err(PresentError::Unprovable(format!(
                "real-name assurance level {} is below the level {} asked",
                attrs.assurance.level(),
                level.level()
            )));
        }
    }
    if statements.not_expired && attrs.expiry < statements.today {
        return Err(PresentError::Unprovable(format!(
            "the credential expired on {}",
            attrs.expiry
        )));
    }
    Ok(())
}

/// The first suite of `request.suites` (the app's order of preference) for which `credentials`
/// holds a usable credential on the request's date; with `prefer`, that suite only.
///
/// # Errors
/// [`PresentError::NoCredential`].
pub fn choose_credential<'a>(
    credentials: &'a [CredentialRecord],
    request: &PresentationRequest,
    prefer: Option<Suite>,
) -> Result<&'a CredentialRecord, PresentError> {
    let today = request.statements.today;
    request
        .suites
        .iter()
        .filter(|s| prefer.is_none_or(|p| p == **s))
        .find_map(|s| {
            credentials
                .iter()
                .find(|c| c.suite() == *s && c.is_usable_on(today))
        })
        .ok_or_else(|| {
            PresentError::NoCredential(
                request
                    .suites
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// A BBS presentation (suites `bbs-sha256`, `bbs-shake256`) of `credential` answering
/// `request`, proving knowledge of the wallet's `secret` (holder binding), with the digit
/// signatures of the credential's epoch ([`credential_epoch`]; the bytes of
/// `GET /v1/bbs/{suite}/epochs/{epoch}/digits`). The presentation names that epoch.
///
/// # Errors
/// [`PresentError::Stale`] for a credential of an epoch no longer accepted;
/// [`PresentError::Metadata`] for a bad key or digit signatures; [`PresentError::Prover`].
pub fn present_bbs(
    metadata: &IssuerMetadata,
    credential: &CredentialRecord,
    secret: &HolderSecret,
    digit_signatures: &[u8],
    request: &PresentationRequest,
) -> Result<Presentation, PresentError> {
    let suite = credential.suite();
    let bbs = NetidBbs::for_suite(suite)
        .ok_or_else(|| PresentError::Prover(format!("{} is not a BBS suite", suite.name())))?;
    let keys = credential_epoch(metadata, credential)?;
    let pk_bytes = match suite {
        Suite::BbsSha256 => &keys.bbs_sha256_public_key,
        _ => &keys.bbs_shake256_public_key,
    };
    let pk = netid_bbs::PublicKey::from_bytes(pk_bytes.as_slice())
        .map_err(|e| PresentError::Metadata(format!("BBS public key: {e}")))?;
    let digits = bbs
        .load_digit_signatures(digit_signatures)
        .map_err(|e| PresentError::Metadata(format!("digit signatures: {e}")))?;
    let sig = netid_bbs::Signature::from_bytes(credential.signature())
        .map_err(|e| PresentError::Prover(format!("credential signature: {e}")))?;
    let blind = credential
        .prover_blind()
        .ok_or_else(|| PresentError::Prover("the credential has no prover blind".into()))?;
    bbs.present(
        &pk,
        &digits,
        credential.attributes(),
        &sig,
        HolderKey {
            secret,
            prover_blind: &blind,
        },
        request,
        &mut rand::rng(),
    )
    .map(|mut p| {
        p.epoch = Some(keys.epoch);
        p
    })
    .map_err(|e| PresentError::Prover(e.to_string()))
}

/// The bucket of the revocation tree that holds slot `rev_index` (specs/revocation.md §8): the
/// wallet asks for this, never for its slot.
pub fn bucket_of(rev_index: u32) -> u32 {
    rev_index >> BUCKET_BITS
}

/// The path `GET {issuer}/v1/bbs/{suite}/epochs/{epoch}/digits` of the digit signatures that
/// [`present_bbs`] needs for `credential`: those of its epoch ([`credential_epoch`]).
///
/// # Errors
/// [`PresentError::Stale`] for a credential of an epoch no longer accepted.
pub fn digits_route(
    metadata: &IssuerMetadata,
    credential: &CredentialRecord,
) -> Result<String, PresentError> {
    let epoch = credential_epoch(metadata, credential)?.epoch;
    Ok(format!(
        "/v1/bbs/{}/epochs/{epoch}/digits",
        credential.suite().name()
    ))
}

/// The path `GET {issuer}/v1/revocation/epochs/{epoch}/buckets/{bucket}` of the bucket that
/// holds slot `rev_index` in the tree of the metadata's epoch.
pub fn bucket_route(metadata: &IssuerMetadata, rev_index: u32) -> String {
    format!(
        "/v1/revocation/epochs/{}/buckets/{}",
        metadata.epoch,
        bucket_of(rev_index)
    )
}

/// The authentication path of slot `rev_index` (32 siblings of 32 bytes, level 0 first),
/// computed by the wallet from the bucket that holds it (specs/revocation.md §8) and checked
/// against the revocation root that the (signed) metadata gives the bucket's epoch (the current
/// one or a grace epoch): a bucket of an epoch no longer accepted, of another slot, or altered
/// on its way leads elsewhere and is refused.
///
/// # Errors
/// [`PresentError::Metadata`] for a bucket that is malformed or does not lead to its epoch's
/// root; [`PresentError::Prover`] when the slot itself is revoked.
pub fn revocation_path(
    metadata: &IssuerMetadata,
    rev_index: u32,
    bucket: &RevocationBucket,
) -> Result<RevocationPath, PresentError> {
    let bad = |what: &str| PresentError::Metadata(format!("revocation bucket: {what}"));
    let keys = metadata
        .epoch_keys(bucket.epoch)
        .ok_or_else(|| bad("of an epoch the metadata does not accept"))?;
    if bucket.bucket != bucket_of(rev_index) {
        return Err(bad("not the one asked for"));
    }
    let revoked = decode_revoked_offsets(&bucket.revoked).map_err(|e| bad(&e.to_string()))?;
    let upper: Vec<_> = bucket
        .siblings
        .iter()
        .map(|s| fr_from_bytes(s.as_slice(), "sibling"))
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&e.to_string()))?;
    let upper: [_; UPPER] = upper
        .try_into()
        .map_err(|_| bad("wrong number of siblings"))?;
    let path = path_from_bucket(u64::from(rev_index), &revoked, &upper)
        .map_err(|e| bad(&e.to_string()))?;
    let root = fr_from_bytes(keys.revocation_root.as_slice(), "root")
        .map_err(|e| PresentError::Metadata(format!("revocation root: {e}")))?;
    let offset = u16::try_from(rev_index & 0xffff).unwrap_or(u16::MAX);
    if revoked.contains(&offset) && path.root(u64::from(rev_index), REVOKED) == root {
        return Err(PresentError::Prover(
            "this credential is revoked; enrol this device again".into(),
        ));
    }
    if path.root(u64::from(rev_index), LIVE) != root {
        return Err(bad("does not lead to the published revocation root"));
    }
    let siblings: Vec<[u8; 32]> = path.siblings.iter().map(fr_to_bytes).collect();
    RevocationPath::new(bucket.epoch, &siblings)
        .map_err(|e| PresentError::Metadata(format!("revocation path: {e}")))
}

/// The path `credential` keeps (a Groth16 credential, [`CredentialRecord::revocation_path`])
/// when the metadata still accepts its epoch and it leads there from a live slot: presenting
/// with it fetches nothing, so the issuer does not learn when the wallet presents
/// (specs/revocation.md §8). `None` when there is none, its epoch is past the grace epochs, or
/// it does not lead to that epoch's root.
pub fn kept_path(
    metadata: &IssuerMetadata,
    credential: &CredentialRecord,
) -> Option<RevocationPath> {
    let kept = credential.revocation_path()?;
    let root = fr_from_bytes(
        metadata
            .epoch_keys(kept.epoch())?
            .revocation_root
            .as_slice(),
        "root",
    )
    .ok()?;
    let path = merkle_path(kept).ok()?;
    (path.root(u64::from(credential.rev_index()), LIVE) == root).then(|| kept.clone())
}

/// A kept path's siblings as field elements.
///
/// # Errors
/// [`PresentError::Metadata`] for a sibling that is not a canonical field element.
pub fn merkle_path(path: &RevocationPath) -> Result<MerklePath, PresentError> {
    let siblings = path
        .siblings()
        .iter()
        .map(|s| fr_from_bytes(s, "sibling"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PresentError::Metadata(format!("revocation path: {e}")))?;
    Ok(MerklePath {
        siblings: siblings.try_into().map_err(|v: Vec<_>| {
            PresentError::Metadata(format!("revocation path has {} siblings", v.len()))
        })?,
    })
}

/// A Groth16 presentation of `credential` answering `request`, proving knowledge of the
/// wallet's `secret` (holder binding), with the revocation `path` of the credential's slot
/// (from [`revocation_path`] or [`kept_path`]) and the proving keys. The presentation names
/// the path's epoch and proves against that epoch's root (the current one or a grace epoch).
///
/// # Errors
/// [`PresentError::Stale`] for a path of an epoch the metadata no longer accepts;
/// [`PresentError::Metadata`] for a bad issuer key or path; [`PresentError::Prover`].
pub fn present_groth16(
    metadata: &IssuerMetadata,
    credential: &CredentialRecord,
    secret: &HolderSecret,
    path: &RevocationPath,
    keys: &ProvingKeys,
    request: &PresentationRequest,
) -> Result<Presentation, PresentError> {
    let epoch = path.epoch();
    let root = metadata
        .epoch_keys(epoch)
        .ok_or(PresentError::Stale {
            credential: epoch,
            current: metadata.epoch,
        })?
        .revocation_root;
    let issuer = eddsa::PublicKey::from_bytes(metadata.groth16_public_key.as_slice())
        .map_err(|e| PresentError::Metadata(format!("Groth16 issuer key: {e}")))?;
    let sig = eddsa::Signature::from_bytes(credential.signature())
        .map_err(|e| PresentError::Prover(format!("credential signature: {e}")))?;
    let path = merkle_path(path)?;
    let root = fr_from_bytes(root.as_slice(), "root")
        .map_err(|e| PresentError::Metadata(format!("revocation root: {e}")))?;
    g16::prove(
        keys,
        &issuer,
        root,
        HolderCredential {
            attributes: credential.attributes(),
            signature: &sig,
            path: &path,
            secret,
        },
        request,
        &mut rand_core_06::OsRng,
    )
    .map(|mut p| {
        p.epoch = Some(epoch);
        p
    })
    .map_err(|e| PresentError::Prover(e.to_string()))
}

/// Plain-language lines describing what `statements` ask (for the consent screen and the
/// history).
pub fn describe_statements(statements: &Statements) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = statements.age_at_least {
        out.push(format!(
            "年满 {n} 周岁 / you are at least {n} years old on {} (birthdate not revealed)",
            statements.today
        ));
    }
    if let Some(level) = statements.assurance_at_least {
        out.push(format!(
            "实名认证 / real-name verified at assurance level ≥ {}",
            level.level()
        ));
    }
    if statements.not_expired {
        out.push("证件有效 / your credential has not expired".into());
    }
    if statements.pseudonym {
        out.push("应用内化名 / your pseudonym for this app (the same every time for this app, unlinkable across apps)".into());
    }
    for a in statements.disclose.iter() {
        out.push(format!("公开 / disclose: {}", a.name()));
    }
    if out.is_empty() {
        out.push("nothing but that you hold a valid credential".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_date_within_a_day_of_the_wallet_clock() {
        // 2026-03-01 12:00 in China (04:00 UTC).
        let now = 1_772_337_600u64;
        let day = |s: &str| s.parse::<Date>().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(
            Date::from_unix_seconds(now as i64, 8 * 3600).ok(),
            Some(day("2026-03-01"))
        );
        for ok in ["2026-02-28", "2026-03-01", "2026-03-02"] {
            assert!(check_request_date(day(ok), now).is_ok(), "{ok}");
        }
        for bad in ["2026-02-27", "2026-03-03", "2000-01-01", "2099-12-31"] {
            assert!(
                matches!(
                    check_request_date(day(bad), now),
                    Err(PresentError::Request(_))
                ),
                "{bad}"
            );
        }
        assert!(check_request_date(day("2026-03-01"), u64::MAX).is_err());
    }
}
