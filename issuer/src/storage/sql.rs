//! The SQL both backends run (this file is compiled once per backend, as
//! `storage::sqlite::sql` and `storage::postgres::sql`, with the parent's `Db`, `Store` and
//! `BEGIN_WRITE`). Placeholders are `$n`, which SQLite and PostgreSQL both accept; integers are
//! `BIGINT`/`INTEGER` (i64), bytes `BYTEA`/`BLOB`, text `TEXT`.

use netid_core::{AppPolicy, AssuranceLevel, Date, DocType, Suite};
use std::collections::{BTreeMap, BTreeSet};

use ark_bn254::Fr;
use netid_circuits::gadgets::merkle::{
    bucket_subtree, zero_hash, BUCKETS, BUCKET_BITS, DEPTH, UPPER,
};
use netid_circuits::gadgets::poseidon::poseidon2;
use netid_circuits::presentation::{fr_from_bytes, fr_to_bytes};
use sqlx::Row as _;

use super::{Db, Store, BEGIN_WRITE, NEXT_REV_INDEX, SEALER_LOCK};
use crate::evidence::phone::{ChallengeId, PhoneNumber};
use crate::keys::IdHash;
use crate::minors::{GuardianPerms, GuardianRelation};
use crate::netid_number::NetidNumber;
use crate::storage::{
    AppRecord, CredentialId, CredentialRecord, CredentialRequest, CredentialStatus, Enrolment,
    EnrolmentOutcome, EpochDraft, EpochSchedule, EpochSigner, GuardianLink, IssuedCredential,
    IssuerKeyRecord, NewPhoneChallenge, PersonId, PersonRecord, PersonStatus, PhoneAttempt,
    PhoneChallengeRecord, RevocationMove, RevokedCredentials, Storage, StoredBucket, StoredRequest,
    NO_SLOT, REVOCATION_SLOTS,
};
use crate::IssuerError;

type Row = <Db as sqlx::Database>::Row;
type Tx = sqlx::Transaction<'static, Db>;

macro_rules! person_cols {
    () => {
        "id, id_hash, netid, family_name, given_name, birthdate, doc_type, assurance, status, \
         guardian_perms, created_at, updated_at"
    };
}

macro_rules! cred_cols {
    () => {
        "id, person_id, suite, device_key, rev_index, status, guardian_perms, issued_at, expiry, \
         status_changed_at, binding"
    };
}

macro_rules! app_cols {
    () => {
        "app_id, name, category, policy, app_key, certificate, active, created_at"
    };
}

/// A stored value that does not decode (the database was changed behind the issuer's back).
#[derive(Debug, thiserror::Error)]
#[error("corrupt stored value: {0}")]
struct CorruptRow(&'static str);

fn db_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> IssuerError {
    move |e| IssuerError::storage(op, e)
}

fn corrupt(what: &'static str) -> IssuerError {
    IssuerError::storage("decode row", CorruptRow(what))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_fk_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn get<'r, T>(r: &'r Row, col: &'static str) -> Result<T, IssuerError>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    r.try_get::<T, _>(col).map_err(|_| corrupt(col))
}

fn get_u32(r: &Row, col: &'static str) -> Result<u32, IssuerError> {
    u32::try_from(get::<i64>(r, col)?).map_err(|_| corrupt(col))
}

fn get_date(r: &Row, col: &'static str) -> Result<Date, IssuerError> {
    Date::from_days(get_u32(r, col)?).map_err(|_| corrupt(col))
}

fn get_array<const N: usize>(r: &Row, col: &'static str) -> Result<[u8; N], IssuerError> {
    <[u8; N]>::try_from(get::<Vec<u8>>(r, col)?.as_slice()).map_err(|_| corrupt(col))
}

fn person_from_row(r: &Row) -> Result<PersonRecord, IssuerError> {
    let code = |col| get::<i64>(r, col).and_then(|v| u64::try_from(v).map_err(|_| corrupt(col)));
    Ok(PersonRecord {
        id: PersonId(get(r, "id")?),
        id_hash: IdHash::from_bytes(get_array(r, "id_hash")?),
        netid: NetidNumber::parse(&get::<String>(r, "netid")?).map_err(|_| corrupt("netid"))?,
        family_name: get(r, "family_name")?,
        given_name: get(r, "given_name")?,
        birthdate: get_date(r, "birthdate")?,
        doc_type: DocType::from_code(code("doc_type")?).map_err(|_| corrupt("doc_type"))?,
        assurance: AssuranceLevel::from_level(code("assurance")?)
            .map_err(|_| corrupt("assurance"))?,
        status: PersonStatus::parse(&get::<String>(r, "status")?).ok_or(corrupt("status"))?,
        guardian_perms: GuardianPerms::from_bits(get_u32(r, "guardian_perms")?)
            .map_err(|_| corrupt("guardian_perms"))?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

fn cred_from_row(r: &Row) -> Result<CredentialRecord, IssuerError> {
    Ok(CredentialRecord {
        id: CredentialId(get(r, "id")?),
        person: PersonId(get(r, "person_id")?),
        suite: get::<String>(r, "suite")?
            .parse::<Suite>()
            .map_err(|_| corrupt("suite"))?,
        device_key: get_array(r, "device_key")?,
        rev_index: get_u32(r, "rev_index")?,
        status: CredentialStatus::parse(&get::<String>(r, "status")?).ok_or(corrupt("status"))?,
        guardian_perms: GuardianPerms::from_bits(get_u32(r, "guardian_perms")?)
            .map_err(|_| corrupt("guardian_perms"))?,
        issued_at: get(r, "issued_at")?,
        expiry: get_date(r, "expiry")?,
        status_changed_at: get(r, "status_changed_at")?,
        binding: get::<Option<Vec<u8>>>(r, "binding")?
            .map(|b| <[u8; 32]>::try_from(b.as_slice()).map_err(|_| corrupt("binding")))
            .transpose()?,
    })
}

fn link_from_row(r: &Row) -> Result<GuardianLink, IssuerError> {
    Ok(GuardianLink {
        guardian: PersonId(get(r, "guardian_id")?),
        minor: PersonId(get(r, "minor_id")?),
        relation: GuardianRelation::parse(&get::<String>(r, "relation")?)
            .ok_or(corrupt("relation"))?,
        created_at: get(r, "created_at")?,
    })
}

fn app_from_row(r: &Row) -> Result<AppRecord, IssuerError> {
    let policy: AppPolicy =
        serde_json::from_str(&get::<String>(r, "policy")?).map_err(|_| corrupt("policy"))?;
    Ok(AppRecord {
        app_id: get(r, "app_id")?,
        name: get(r, "name")?,
        category: get(r, "category")?,
        policy,
        app_key: get_array(r, "app_key")?,
        certificate: get(r, "certificate")?,
        active: get::<i64>(r, "active")? != 0,
        created_at: get(r, "created_at")?,
    })
}

fn key_from_row(r: &Row) -> Result<IssuerKeyRecord, IssuerError> {
    Ok(IssuerKeyRecord {
        id: get(r, "id")?,
        purpose: get(r, "purpose")?,
        public_key: get(r, "public_key")?,
        created_at: get(r, "created_at")?,
        retired_at: get(r, "retired_at")?,
    })
}

fn days(d: Date) -> i64 {
    i64::from(d.days())
}

/// Issues a credential inside `tx` (see [`Storage::issue_credential`]).
async fn issue_in_tx(
    tx: &mut Tx,
    person: PersonId,
    req: &CredentialRequest,
    now: i64,
) -> Result<IssuedCredential, IssuerError> {
    const OP: &str = "issue_credential";
    // Lock the person row: concurrent issuances for one person serialize here.
    let status = sqlx::query("UPDATE persons SET updated_at = $2 WHERE id = $1 RETURNING status")
        .bind(person.0)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err(OP))?
        .ok_or(IssuerError::NotFound("person"))?;
    match PersonStatus::parse(&get::<String>(&status, "status")?) {
        Some(PersonStatus::Active) => {}
        Some(PersonStatus::PendingGuardianApproval) => {
            return Err(IssuerError::GuardianApprovalRequired)
        }
        Some(PersonStatus::Suspended) => {
            return Err(IssuerError::NotAllowed("the enrolment is suspended"))
        }
        None => return Err(corrupt("status")),
    }
    // One device per person: live credentials on another device are revoked; the live one on
    // this device and suite is superseded; this device's other suites stay live.
    let replaced = sqlx::query(concat!(
        "UPDATE credentials SET status = CASE WHEN device_key = $2 THEN 'superseded' ",
        "ELSE 'revoked' END, status_changed_at = $4 ",
        "WHERE person_id = $1 AND status = 'live' AND (device_key <> $2 OR suite = $3) ",
        "RETURNING ",
        cred_cols!()
    ))
    .bind(person.0)
    .bind(&req.device_key[..])
    .bind(req.suite.name())
    .bind(now)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err(OP))?
    .iter()
    .map(cred_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    let rev_index = slot_in_tx(tx, req.suite, &replaced).await?;
    let row = sqlx::query(concat!(
        "INSERT INTO credentials (person_id, suite, device_key, rev_index, status, ",
        "guardian_perms, issued_at, expiry, binding) ",
        "VALUES ($1, $2, $3, $4, 'live', $5, $6, $7, $8) ",
        "RETURNING ",
        cred_cols!()
    ))
    .bind(person.0)
    .bind(req.suite.name())
    .bind(&req.device_key[..])
    .bind(i64::from(rev_index))
    .bind(i64::from(req.guardian_perms.bits()))
    .bind(now)
    .bind(days(req.expiry))
    .bind(&req.binding[..])
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    let logged = log_revoked_in_tx(tx, &replaced, now).await?;
    Ok(IssuedCredential {
        credential: cred_from_row(&row)?,
        replaced,
        logged,
    })
}

/// The revocation slot of a credential of `suite` issued inside `tx`, after `replaced` were
/// revoked or superseded (specs/revocation.md §7): none ([`NO_SLOT`]) outside Groth16; the
/// slot of the Groth16 credential it supersedes on the same device (a refresh keeps its slot,
/// so the tree does not move); otherwise the next one from the counter, checked against the
/// tree's capacity. Past it nothing of this transaction commits: the credentials it would
/// replace stay live, and the next enrolment or restart finds the state unchanged.
async fn slot_in_tx(
    tx: &mut Tx,
    suite: Suite,
    replaced: &[CredentialRecord],
) -> Result<u32, IssuerError> {
    if suite != Suite::Groth16 {
        return Ok(NO_SLOT);
    }
    if let Some(kept) = replaced.iter().find(|c| {
        c.suite == Suite::Groth16
            && c.status == CredentialStatus::Superseded
            && c.rev_index != NO_SLOT
    }) {
        return Ok(kept.rev_index);
    }
    let next: i64 = sqlx::query_scalar(NEXT_REV_INDEX)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err("issue_credential"))?;
    next.checked_sub(1)
        .filter(|v| u64::try_from(*v).is_ok_and(|v| v < REVOCATION_SLOTS))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or(IssuerError::Exhausted("revocation tree slots"))
}

/// Logs, inside `tx` (the transaction that changed their status), the Groth16 slots of
/// `replaced` credentials that were revoked and that no live credential holds any more
/// (specs/revocation.md §2). Nothing else moves: the sealer takes the rows at the next epoch
/// boundary (§3), so a revocation costs one insert, and takes no lock on the counters. A
/// supersession alone (a refresh: same device and suite, the slot kept) logs nothing. Returns
/// how many slots were logged.
async fn log_revoked_in_tx(
    tx: &mut Tx,
    replaced: &[CredentialRecord],
    now: i64,
) -> Result<u64, IssuerError> {
    const OP: &str = "log_revoked";
    let mut logged = 0;
    for c in replaced.iter().filter(|c| {
        c.suite == Suite::Groth16 && c.status == CredentialStatus::Revoked && c.rev_index != NO_SLOT
    }) {
        let held: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT id FROM credentials WHERE suite = 'groth16' AND status = 'live' ",
            "AND rev_index = $1 LIMIT 1"
        ))
        .bind(i64::from(c.rev_index))
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err(OP))?;
        if held.is_none() {
            logged += log_in_tx(tx, &[c.rev_index], now).await?;
        }
    }
    Ok(logged)
}

/// Appends `slots` to the revocation log, unsealed (a slot already logged stays as it is).
/// Returns how many were new.
async fn log_in_tx(tx: &mut Tx, slots: &[u32], now: i64) -> Result<u64, IssuerError> {
    let mut added = 0;
    for chunk in slots.chunks(500) {
        let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO revocation_log (slot, at) ");
        q.push_values(chunk, |mut row, slot| {
            row.push_bind(i64::from(*slot)).push_bind(now);
        });
        q.push(" ON CONFLICT (slot) DO NOTHING");
        added += q
            .build()
            .execute(&mut **tx)
            .await
            .map_err(db_err("log_revocations"))?
            .rows_affected();
    }
    Ok(added)
}

/// The sealer's step, inside `tx` (specs/revocation.md §3), whose caller holds the epoch
/// row's lock and read `current < target`: moves the epoch to `target` and the revocation
/// version on, hashes every unsealed log row from before `boundary` (the start of `target`)
/// into the tree of `target`, and marks them sealed in it. Rows logged from `boundary` on are
/// left for the next seal. Deterministic: a sealer killed before its commit leaves the same
/// rows for the next, which computes the same nodes.
async fn seal_in_tx(
    tx: &mut Tx,
    current: u64,
    target: u64,
    boundary: i64,
) -> Result<RevocationMove, IssuerError> {
    const OP: &str = "seal_epoch";
    sqlx::query("UPDATE counters SET value = $1 WHERE name = 'epoch'")
        .bind(to_i64(target)?)
        .execute(&mut **tx)
        .await
        .map_err(db_err(OP))?;
    let version: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'rev_version' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    // Slots logged before the tree was stored (by the upgrade) are hashed into the current
    // epoch's tree first, once.
    build_nodes_in_tx(tx, current).await?;
    let sealed: Vec<i64> = sqlx::query_scalar(
        "UPDATE revocation_log SET sealed_in = $1 WHERE sealed_in IS NULL AND at < $2 \
         RETURNING slot",
    )
    .bind(to_i64(target)?)
    .bind(boundary)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    let buckets: BTreeSet<u64> = sealed
        .iter()
        .map(|&s| u64::try_from(s).map(|s| s >> BUCKET_BITS))
        .collect::<Result<_, _>>()
        .map_err(|_| corrupt("revocation_log"))?;
    let root = if buckets.is_empty() {
        node_at(&mut **tx, DEPTH, 0, target).await?
    } else {
        rehash_buckets(tx, &buckets, target).await?
    };
    Ok(RevocationMove {
        version: u64::try_from(version).map_err(|_| corrupt("rev_version"))?,
        epoch: target,
        root: fr_to_bytes(&root),
        sealed: sealed.len(),
    })
}

async fn insert_guardian(
    tx: &mut Tx,
    guardian: PersonId,
    minor: PersonId,
    relation: GuardianRelation,
    now: i64,
) -> Result<GuardianLink, IssuerError> {
    const OP: &str = "add_guardian";
    if guardian == minor {
        return Err(IssuerError::InvalidGuardian(
            "a person cannot be their own guardian",
        ));
    }
    sqlx::query(concat!(
        "INSERT INTO guardians (guardian_id, minor_id, relation, created_at) ",
        "VALUES ($1, $2, $3, $4) ON CONFLICT (guardian_id, minor_id) DO NOTHING"
    ))
    .bind(guardian.0)
    .bind(minor.0)
    .bind(relation.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if is_fk_violation(&e) {
            IssuerError::NotFound("guardian or minor")
        } else {
            db_err(OP)(e)
        }
    })?;
    let row = sqlx::query(concat!(
        "SELECT guardian_id, minor_id, relation, created_at FROM guardians ",
        "WHERE guardian_id = $1 AND minor_id = $2"
    ))
    .bind(guardian.0)
    .bind(minor.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    link_from_row(&row)
}

fn to_i64(v: u64) -> Result<i64, IssuerError> {
    i64::try_from(v).map_err(|_| IssuerError::InvalidInput("value out of range"))
}

/// The value of tree node `(level, idx)` at `epoch` (`level ≥ BUCKET_BITS`): its stored row
/// with the greatest epoch not above `epoch`, or an empty subtree's value.
async fn node_at<'c, E>(ex: E, level: usize, idx: u64, epoch: u64) -> Result<Fr, IssuerError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let value: Option<Vec<u8>> = sqlx::query_scalar(concat!(
        "SELECT value FROM rev_nodes WHERE level = $1 AND idx = $2 AND epoch <= $3 ",
        "ORDER BY epoch DESC LIMIT 1"
    ))
    .bind(i16::try_from(level).map_err(|_| corrupt("level"))?)
    .bind(to_i64(idx)?)
    .bind(to_i64(epoch)?)
    .fetch_optional(ex)
    .await
    .map_err(db_err("rev_nodes"))?;
    match value {
        Some(v) => fr_from_bytes(&v, "rev_nodes").map_err(|_| corrupt("rev_nodes")),
        None => Ok(zero_hash(level)),
    }
}

/// The offsets of bucket `b`'s slots revoked at `epoch` or before, ascending.
async fn bucket_offsets<'c, E>(ex: E, b: u64, epoch: u64) -> Result<Vec<u16>, IssuerError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let lo = b << BUCKET_BITS;
    let slots: Vec<i64> = sqlx::query_scalar(concat!(
        "SELECT slot FROM revocation_log WHERE slot >= $1 AND slot < $2 AND sealed_in <= $3 ",
        "ORDER BY slot"
    ))
    .bind(to_i64(lo)?)
    .bind(to_i64(lo + (1 << BUCKET_BITS))?)
    .bind(to_i64(epoch)?)
    .fetch_all(ex)
    .await
    .map_err(db_err("revocation_log"))?;
    slots
        .into_iter()
        .map(|s| {
            u64::try_from(s)
                .ok()
                .and_then(|s| u16::try_from(s - lo).ok())
                .ok_or(corrupt("revocation_log"))
        })
        .collect()
}

/// Hashes `buckets` (from their logged slots) and every node above them into `rev_nodes` at
/// `epoch`, inside `tx`, which holds the epoch row's lock; returns the root. Siblings that did
/// not change are read from their stored rows: `r` revoked slots in a changed bucket cost at
/// most `16·r` hashes, and each level above it one more.
async fn rehash_buckets(
    tx: &mut Tx,
    buckets: &BTreeSet<u64>,
    epoch: u64,
) -> Result<Fr, IssuerError> {
    const OP: &str = "rehash_buckets";
    let mut level: BTreeMap<u64, Fr> = BTreeMap::new();
    for &b in buckets {
        let offsets = bucket_offsets(&mut **tx, b, epoch).await?;
        level.insert(b, bucket_subtree(&offsets, 0).0);
    }
    let mut height = BUCKET_BITS;
    loop {
        for (&idx, value) in &level {
            sqlx::query(concat!(
                "INSERT INTO rev_nodes (level, idx, epoch, value) VALUES ($1, $2, $3, $4) ",
                "ON CONFLICT (level, idx, epoch) DO UPDATE SET value = excluded.value"
            ))
            .bind(i16::try_from(height).map_err(|_| corrupt("level"))?)
            .bind(to_i64(idx)?)
            .bind(to_i64(epoch)?)
            .bind(&fr_to_bytes(value)[..])
            .execute(&mut **tx)
            .await
            .map_err(db_err(OP))?;
        }
        if height == DEPTH {
            return level.get(&0).copied().ok_or(corrupt("rev_nodes root"));
        }
        let parents: BTreeSet<u64> = level.keys().map(|i| i >> 1).collect();
        let mut next = BTreeMap::new();
        for p in parents {
            let left = match level.get(&(2 * p)) {
                Some(v) => *v,
                None => node_at(&mut **tx, height, 2 * p, epoch).await?,
            };
            let right = match level.get(&(2 * p + 1)) {
                Some(v) => *v,
                None => node_at(&mut **tx, height, 2 * p + 1, epoch).await?,
            };
            next.insert(p, poseidon2(left, right));
        }
        level = next;
        height += 1;
    }
}

/// Hashes the logged slots into `rev_nodes` once, when nothing has (the first start after
/// migration 0005, which logged the slots revoked before it), inside `tx`, which holds the
/// epoch row's lock. Returns how many buckets it hashed (`None` when the nodes were built).
async fn build_nodes_in_tx(tx: &mut Tx, epoch: u64) -> Result<Option<usize>, IssuerError> {
    const OP: &str = "build_revocation_nodes";
    let from: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'rev_nodes_from'")
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err(OP))?;
    if from >= 0 {
        return Ok(None);
    }
    let slots: Vec<i64> =
        sqlx::query_scalar("SELECT slot FROM revocation_log WHERE sealed_in IS NOT NULL")
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err(OP))?;
    let buckets: BTreeSet<u64> = slots
        .iter()
        .map(|&s| u64::try_from(s).map(|s| s >> BUCKET_BITS))
        .collect::<Result<_, _>>()
        .map_err(|_| corrupt("revocation_log"))?;
    if !buckets.is_empty() {
        tracing::info!(
            slots = slots.len(),
            buckets = buckets.len(),
            "hashing the revoked slots into the stored tree (once, after an upgrade)"
        );
        // Rows logged by the migration are sealed in the epoch it ran in, not above `epoch`.
        rehash_buckets(tx, &buckets, epoch).await?;
    }
    sqlx::query("UPDATE counters SET value = $1 WHERE name = 'rev_nodes_from'")
        .bind(to_i64(epoch)?)
        .execute(&mut **tx)
        .await
        .map_err(db_err(OP))?;
    Ok(Some(buckets.len()))
}

/// Writes the signed record of `epoch` (root `root`) inside `tx`, whose caller holds the epoch
/// row's lock (specs/revocation.md §5): chained to the last record before it, counting the
/// slots sealed by then. An epoch that already has a record keeps it.
async fn record_in_tx(
    tx: &mut Tx,
    epoch: u64,
    root: [u8; 32],
    signer: &dyn EpochSigner,
) -> Result<(), IssuerError> {
    const OP: &str = "epoch_record";
    let e = to_i64(epoch)?;
    let prev: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT record FROM epoch_records WHERE epoch < $1 ORDER BY epoch DESC LIMIT 1",
    )
    .bind(e)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    let prev = prev.map_or([0; 32], |r| {
        use sha2::Digest as _;
        sha2::Sha256::digest(&r).into()
    });
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM revocation_log WHERE sealed_in IS NOT NULL AND sealed_in <= $1",
    )
    .bind(e)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    let signed = signer.sign(&EpochDraft {
        epoch,
        root,
        revoked_total: u64::try_from(total).map_err(|_| corrupt("revocation_log"))?,
        prev,
    })?;
    sqlx::query(
        "INSERT INTO epoch_records (epoch, record, signature) VALUES ($1, $2, $3) \
         ON CONFLICT (epoch) DO NOTHING",
    )
    .bind(e)
    .bind(signed.record.as_slice())
    .bind(signed.signature.as_slice())
    .execute(&mut **tx)
    .await
    .map_err(db_err(OP))?;
    Ok(())
}

fn signed_record(r: &Row) -> Result<netid_core::SignedEpochRecord, IssuerError> {
    Ok(netid_core::SignedEpochRecord {
        record: get::<Vec<u8>>(r, "record")?.into(),
        signature: get::<Vec<u8>>(r, "signature")?.into(),
    })
}

/// The current epoch, read under the epoch row's lock (held until `tx` ends): the sealer, the
/// build of the stored tree and its pruning take it, so they never run side by side.
async fn lock_epoch(tx: &mut Tx, op: &'static str) -> Result<u64, IssuerError> {
    let epoch: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value WHERE name = 'epoch' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err(op))?;
    u64::try_from(epoch).map_err(|_| corrupt("epoch"))
}

/// Checks that `epoch` has begun and that its nodes are stored (from the first build on): only
/// such epochs have a root and buckets, and a committed epoch's rows never change.
async fn served_epoch<'c, E>(ex: E, epoch: u64, what: &'static str) -> Result<(), IssuerError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let rows =
        sqlx::query("SELECT name, value FROM counters WHERE name IN ('epoch', 'rev_nodes_from')")
            .fetch_all(ex)
            .await
            .map_err(db_err("served_epoch"))?;
    let mut now = None;
    let mut from = None;
    for r in &rows {
        match get::<String>(r, "name")?.as_str() {
            "epoch" => now = Some(get::<i64>(r, "value")?),
            _ => from = Some(get::<i64>(r, "value")?),
        }
    }
    let (now, from) = now.zip(from).ok_or(corrupt("counters"))?;
    let e = i64::try_from(epoch).unwrap_or(i64::MAX);
    if e > now || from < 0 {
        return Err(IssuerError::NotFound(what));
    }
    if e < from {
        // Before the stored tree (an upgrade), or pruned (`prune_revocation_nodes`).
        return Err(IssuerError::Gone(what));
    }
    Ok(())
}

impl Storage for Store {
    async fn enrol_person(&self, e: &Enrolment, now: i64) -> Result<EnrolmentOutcome, IssuerError> {
        const OP: &str = "enrol_person";
        let p = &e.person;
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // No conflict target: a conflict on either unique column (id_hash, netid) does nothing,
        // also when the other transaction is still in flight (PostgreSQL waits for it).
        let inserted = sqlx::query(concat!(
            "INSERT INTO persons (id_hash, netid, family_name, given_name, birthdate, doc_type, ",
            "assurance, status, guardian_perms, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING ",
            "RETURNING ",
            person_cols!()
        ))
        .bind(&p.id_hash.as_bytes()[..])
        .bind(p.netid.as_str())
        .bind(&p.family_name)
        .bind(&p.given_name)
        .bind(days(p.birthdate))
        .bind(i64::from(p.doc_type.code()))
        .bind(i64::from(p.assurance.level()))
        .bind(p.status.as_str())
        .bind(i64::from(p.guardian_perms.bits()))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        let (person, created) = match inserted {
            Some(row) => (person_from_row(&row)?, true),
            None => {
                let row = sqlx::query(concat!(
                    "UPDATE persons SET family_name = $2, given_name = $3, doc_type = $4, ",
                    "assurance = $5, status = CASE WHEN status = 'pending_guardian_approval' ",
                    "THEN $6 ELSE status END, updated_at = $7 WHERE id_hash = $1 RETURNING ",
                    person_cols!()
                ))
                .bind(&p.id_hash.as_bytes()[..])
                .bind(&p.family_name)
                .bind(&p.given_name)
                .bind(i64::from(p.doc_type.code()))
                .bind(i64::from(p.assurance.level()))
                .bind(p.status.as_str())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err(OP))?
                .ok_or(IssuerError::KeyMismatch(
                    "the 网号 is stored for another ID hash",
                ))?;
                (person_from_row(&row)?, false)
            }
        };
        if person.netid != p.netid {
            return Err(IssuerError::KeyMismatch(
                "the stored 网号 differs from the one derived now",
            ));
        }
        if let Some((guardian, relation)) = e.guardian {
            insert_guardian(&mut tx, guardian, person.id, relation, now).await?;
        }
        let (credential, replaced, logged) = match &e.credential {
            Some(req) => {
                let issued = issue_in_tx(&mut tx, person.id, req, now).await?;
                (Some(issued.credential), issued.replaced, issued.logged)
            }
            None => (None, Vec::new(), 0),
        };
        tx.commit().await.map_err(db_err(OP))?;
        Ok(EnrolmentOutcome {
            person,
            created,
            credential,
            replaced,
            logged,
        })
    }

    async fn person(&self, id: PersonId) -> Result<Option<PersonRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            person_cols!(),
            " FROM persons WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("person"))?
        .as_ref()
        .map(person_from_row)
        .transpose()
    }

    async fn person_by_id_hash(
        &self,
        id_hash: &IdHash,
    ) -> Result<Option<PersonRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            person_cols!(),
            " FROM persons WHERE id_hash = $1"
        ))
        .bind(&id_hash.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("person_by_id_hash"))?
        .as_ref()
        .map(person_from_row)
        .transpose()
    }

    async fn person_by_netid(
        &self,
        netid: &NetidNumber,
    ) -> Result<Option<PersonRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            person_cols!(),
            " FROM persons WHERE netid = $1"
        ))
        .bind(netid.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("person_by_netid"))?
        .as_ref()
        .map(person_from_row)
        .transpose()
    }

    async fn count_persons(&self) -> Result<u64, IssuerError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("count_persons"))?;
        u64::try_from(n).map_err(|_| corrupt("count"))
    }

    async fn set_person_status(
        &self,
        id: PersonId,
        status: PersonStatus,
        now: i64,
    ) -> Result<PersonRecord, IssuerError> {
        let row = sqlx::query(concat!(
            "UPDATE persons SET status = $2, updated_at = $3 WHERE id = $1 RETURNING ",
            person_cols!()
        ))
        .bind(id.0)
        .bind(status.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("set_person_status"))?
        .ok_or(IssuerError::NotFound("person"))?;
        person_from_row(&row)
    }

    async fn issue_credential(
        &self,
        person: PersonId,
        request: &CredentialRequest,
        now: i64,
    ) -> Result<IssuedCredential, IssuerError> {
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err("issue_credential"))?;
        let issued = issue_in_tx(&mut tx, person, request, now).await?;
        tx.commit().await.map_err(db_err("issue_credential"))?;
        Ok(issued)
    }

    async fn credential(&self, id: CredentialId) -> Result<Option<CredentialRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            cred_cols!(),
            " FROM credentials WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("credential"))?
        .as_ref()
        .map(cred_from_row)
        .transpose()
    }

    async fn credentials_of(&self, person: PersonId) -> Result<Vec<CredentialRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            cred_cols!(),
            " FROM credentials WHERE person_id = $1 ORDER BY id"
        ))
        .bind(person.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("credentials_of"))?
        .iter()
        .map(cred_from_row)
        .collect()
    }

    async fn revoke_credential(
        &self,
        id: CredentialId,
        now: i64,
    ) -> Result<Option<CredentialRecord>, IssuerError> {
        const OP: &str = "revoke_credential";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        let row = sqlx::query(concat!(
            "UPDATE credentials SET status = 'revoked', status_changed_at = $2 ",
            "WHERE id = $1 AND status = 'live' RETURNING ",
            cred_cols!()
        ))
        .bind(id.0)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        let revoked = row.as_ref().map(cred_from_row).transpose()?;
        log_revoked_in_tx(&mut tx, revoked.as_slice(), now).await?;
        tx.commit().await.map_err(db_err(OP))?;
        match revoked {
            Some(r) => Ok(Some(r)),
            None => match self.credential(id).await? {
                Some(_) => Ok(None),
                None => Err(IssuerError::NotFound("credential")),
            },
        }
    }

    async fn revoke_person_credentials(
        &self,
        person: PersonId,
        now: i64,
    ) -> Result<RevokedCredentials, IssuerError> {
        const OP: &str = "revoke_person_credentials";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        let credentials = sqlx::query(concat!(
            "UPDATE credentials SET status = 'revoked', status_changed_at = $2 ",
            "WHERE person_id = $1 AND status = 'live' RETURNING ",
            cred_cols!()
        ))
        .bind(person.0)
        .bind(now)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err(OP))?
        .iter()
        .map(cred_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let logged = log_revoked_in_tx(&mut tx, &credentials, now).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(RevokedCredentials {
            credentials,
            logged,
        })
    }

    async fn revoked_rev_indices(&self) -> Result<Vec<u32>, IssuerError> {
        // A slot is revoked when a Groth16 credential held it and none holding it is live: a
        // refresh supersedes the credential but keeps its slot live. Slots of other suites'
        // credentials (NO_SLOT, or distinct slots from before slots were per device) are never
        // in the tree.
        let rows: Vec<i64> = sqlx::query_scalar(concat!(
            "SELECT DISTINCT c.rev_index FROM credentials c ",
            "WHERE c.suite = 'groth16' AND c.status <> 'live' AND NOT EXISTS (",
            "SELECT 1 FROM credentials l WHERE l.suite = 'groth16' AND l.status = 'live' ",
            "AND l.rev_index = c.rev_index) ORDER BY c.rev_index"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("revoked_rev_indices"))?;
        rows.into_iter()
            .map(|v| u32::try_from(v).map_err(|_| corrupt("rev_index")))
            .collect()
    }

    async fn add_guardian(
        &self,
        guardian: PersonId,
        minor: PersonId,
        relation: GuardianRelation,
        now: i64,
    ) -> Result<GuardianLink, IssuerError> {
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err("add_guardian"))?;
        let link = insert_guardian(&mut tx, guardian, minor, relation, now).await?;
        tx.commit().await.map_err(db_err("add_guardian"))?;
        Ok(link)
    }

    async fn approve_minor(
        &self,
        minor: PersonId,
        guardian: PersonId,
        relation: GuardianRelation,
        now: i64,
    ) -> Result<PersonRecord, IssuerError> {
        const OP: &str = "approve_minor";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        let row = sqlx::query(concat!(
            "UPDATE persons SET status = CASE WHEN status = 'pending_guardian_approval' ",
            "THEN 'active' ELSE status END, updated_at = $2 WHERE id = $1 RETURNING ",
            person_cols!()
        ))
        .bind(minor.0)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(OP))?
        .ok_or(IssuerError::NotFound("person"))?;
        let person = person_from_row(&row)?;
        if person.status == PersonStatus::Suspended {
            return Err(IssuerError::NotAllowed("the enrolment is suspended"));
        }
        insert_guardian(&mut tx, guardian, minor, relation, now).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(person)
    }

    async fn guardians_of(&self, minor: PersonId) -> Result<Vec<GuardianLink>, IssuerError> {
        sqlx::query(concat!(
            "SELECT guardian_id, minor_id, relation, created_at FROM guardians ",
            "WHERE minor_id = $1 ORDER BY guardian_id"
        ))
        .bind(minor.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("guardians_of"))?
        .iter()
        .map(link_from_row)
        .collect()
    }

    async fn wards_of(&self, guardian: PersonId) -> Result<Vec<GuardianLink>, IssuerError> {
        sqlx::query(concat!(
            "SELECT guardian_id, minor_id, relation, created_at FROM guardians ",
            "WHERE guardian_id = $1 ORDER BY minor_id"
        ))
        .bind(guardian.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("wards_of"))?
        .iter()
        .map(link_from_row)
        .collect()
    }

    async fn remove_guardian(
        &self,
        guardian: PersonId,
        minor: PersonId,
    ) -> Result<bool, IssuerError> {
        let done = sqlx::query("DELETE FROM guardians WHERE guardian_id = $1 AND minor_id = $2")
            .bind(guardian.0)
            .bind(minor.0)
            .execute(&self.pool)
            .await
            .map_err(db_err("remove_guardian"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_guardian_perms(
        &self,
        minor: PersonId,
        guardian: PersonId,
        perms: GuardianPerms,
        now: i64,
    ) -> Result<PersonRecord, IssuerError> {
        const OP: &str = "set_guardian_perms";
        if perms.is_unrestricted() {
            return Err(IssuerError::InvalidPermissions(
                "the unrestricted bit is reserved for adults",
            ));
        }
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // The update only happens if the relation is recorded (one statement, no race).
        let row = sqlx::query(concat!(
            "UPDATE persons SET guardian_perms = $3, updated_at = $4 WHERE id = $1 AND EXISTS ",
            "(SELECT 1 FROM guardians WHERE guardian_id = $2 AND minor_id = $1) RETURNING ",
            person_cols!()
        ))
        .bind(minor.0)
        .bind(guardian.0)
        .bind(i64::from(perms.bits()))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(OP))?
        .ok_or(IssuerError::InvalidGuardian(
            "no guardian relation is recorded for this person",
        ))?;
        tx.commit().await.map_err(db_err(OP))?;
        person_from_row(&row)
    }

    async fn create_phone_challenge(&self, c: &NewPhoneChallenge) -> Result<(), IssuerError> {
        sqlx::query(concat!(
            "INSERT INTO phone_challenges (id, phone, code_hash, created_at, expires_at, ",
            "attempts, max_attempts) VALUES ($1, $2, $3, $4, $5, 0, $6)"
        ))
        .bind(&c.id.as_bytes()[..])
        .bind(c.phone.as_str())
        .bind(&c.code_hash[..])
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(i64::from(c.max_attempts))
        .execute(&self.pool)
        .await
        .map_err(db_err("create_phone_challenge"))?;
        Ok(())
    }

    async fn attempt_phone_challenge(
        &self,
        id: &ChallengeId,
        now: i64,
    ) -> Result<PhoneAttempt, IssuerError> {
        const OP: &str = "attempt_phone_challenge";
        // Count first, compare afterwards: parallel guesses cannot exceed the limit.
        let counted = sqlx::query(concat!(
            "UPDATE phone_challenges SET attempts = attempts + 1 WHERE id = $1 ",
            "AND consumed_at IS NULL AND expires_at > $2 AND attempts < max_attempts ",
            "RETURNING phone, code_hash, attempts, max_attempts"
        ))
        .bind(&id.as_bytes()[..])
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(OP))?;
        if let Some(r) = counted {
            return Ok(PhoneAttempt::Counted(PhoneChallengeRecord {
                phone: PhoneNumber::from_stored(get(&r, "phone")?),
                code_hash: get_array(&r, "code_hash")?,
                attempts: get_u32(&r, "attempts")?,
                max_attempts: get_u32(&r, "max_attempts")?,
            }));
        }
        let Some(r) = sqlx::query(concat!(
            "SELECT consumed_at, expires_at, attempts, max_attempts FROM phone_challenges ",
            "WHERE id = $1"
        ))
        .bind(&id.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(OP))?
        else {
            return Ok(PhoneAttempt::Unknown);
        };
        if get::<Option<i64>>(&r, "consumed_at")?.is_some() {
            Ok(PhoneAttempt::Consumed)
        } else if now >= get::<i64>(&r, "expires_at")? {
            Ok(PhoneAttempt::Expired)
        } else {
            // attempts >= max_attempts (the only condition left; none of them ever reverts).
            Ok(PhoneAttempt::Locked)
        }
    }

    async fn consume_phone_challenge(
        &self,
        id: &ChallengeId,
        now: i64,
    ) -> Result<bool, IssuerError> {
        let done = sqlx::query(
            "UPDATE phone_challenges SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL",
        )
        .bind(&id.as_bytes()[..])
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err("consume_phone_challenge"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_phone_challenges(&self, before: i64) -> Result<u64, IssuerError> {
        let done = sqlx::query("DELETE FROM phone_challenges WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db_err("purge_phone_challenges"))?;
        Ok(done.rows_affected())
    }

    async fn register_app(&self, app: &AppRecord) -> Result<(), IssuerError> {
        let policy = serde_json::to_string(&app.policy)
            .map_err(|_| IssuerError::InvalidInput("app policy"))?;
        sqlx::query(concat!(
            "INSERT INTO apps (",
            app_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&app.app_id)
        .bind(&app.name)
        .bind(&app.category)
        .bind(policy)
        .bind(&app.app_key[..])
        .bind(&app.certificate)
        .bind(i64::from(app.active))
        .bind(app.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                IssuerError::Conflict("an app with this id is already registered")
            } else {
                db_err("register_app")(e)
            }
        })?;
        Ok(())
    }

    async fn app(&self, app_id: &str) -> Result<Option<AppRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            app_cols!(),
            " FROM apps WHERE app_id = $1"
        ))
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("app"))?
        .as_ref()
        .map(app_from_row)
        .transpose()
    }

    async fn apps(&self) -> Result<Vec<AppRecord>, IssuerError> {
        sqlx::query(concat!(
            "SELECT ",
            app_cols!(),
            " FROM apps ORDER BY app_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("apps"))?
        .iter()
        .map(app_from_row)
        .collect()
    }

    async fn set_app_active(&self, app_id: &str, active: bool) -> Result<(), IssuerError> {
        let done = sqlx::query("UPDATE apps SET active = $2 WHERE app_id = $1")
            .bind(app_id)
            .bind(i64::from(active))
            .execute(&self.pool)
            .await
            .map_err(db_err("set_app_active"))?;
        if done.rows_affected() == 0 {
            return Err(IssuerError::NotFound("app"));
        }
        Ok(())
    }

    async fn record_issuer_key(
        &self,
        purpose: &str,
        public_key: &[u8],
        now: i64,
    ) -> Result<IssuerKeyRecord, IssuerError> {
        const OP: &str = "record_issuer_key";
        sqlx::query(concat!(
            "INSERT INTO issuer_keys (purpose, public_key, created_at) VALUES ($1, $2, $3) ",
            "ON CONFLICT (purpose, public_key) DO NOTHING"
        ))
        .bind(purpose)
        .bind(public_key)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err(OP))?;
        let row = sqlx::query(concat!(
            "SELECT id, purpose, public_key, created_at, retired_at FROM issuer_keys ",
            "WHERE purpose = $1 AND public_key = $2"
        ))
        .bind(purpose)
        .bind(public_key)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err(OP))?;
        key_from_row(&row)
    }

    async fn issuer_keys(&self) -> Result<Vec<IssuerKeyRecord>, IssuerError> {
        sqlx::query(
            "SELECT id, purpose, public_key, created_at, retired_at FROM issuer_keys ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("issuer_keys"))?
        .iter()
        .map(key_from_row)
        .collect()
    }

    async fn retire_issuer_key(&self, id: i64, now: i64) -> Result<(), IssuerError> {
        let done = sqlx::query(
            "UPDATE issuer_keys SET retired_at = COALESCE(retired_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err("retire_issuer_key"))?;
        if done.rows_affected() == 0 {
            return Err(IssuerError::NotFound("issuer key"));
        }
        Ok(())
    }

    async fn save_request(
        &self,
        hash: &[u8; 32],
        request: &str,
        forget_at: i64,
        now: i64,
    ) -> Result<(), IssuerError> {
        const OP: &str = "save_request";
        sqlx::query("DELETE FROM verifier_requests WHERE forget_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_err(OP))?;
        sqlx::query(concat!(
            "INSERT INTO verifier_requests (hash, request, claims, rejections, forget_at) ",
            "VALUES ($1, $2, NULL, 0, $3) ON CONFLICT (hash) DO NOTHING"
        ))
        .bind(&hash[..])
        .bind(request)
        .bind(forget_at)
        .execute(&self.pool)
        .await
        .map_err(db_err(OP))?;
        Ok(())
    }

    async fn stored_request(&self, hash: &[u8; 32]) -> Result<Option<StoredRequest>, IssuerError> {
        let row = sqlx::query(
            "SELECT request, claims, rejections FROM verifier_requests WHERE hash = $1",
        )
        .bind(&hash[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("stored_request"))?;
        row.map(|r| {
            Ok(StoredRequest {
                request: r.try_get("request").map_err(|_| corrupt("request"))?,
                claims: r.try_get("claims").map_err(|_| corrupt("claims"))?,
                rejections: u32::try_from(
                    r.try_get::<i64, _>("rejections")
                        .map_err(|_| corrupt("rejections"))?,
                )
                .unwrap_or(u32::MAX),
            })
        })
        .transpose()
    }

    async fn count_request_rejection(&self, hash: &[u8; 32]) -> Result<(), IssuerError> {
        sqlx::query("UPDATE verifier_requests SET rejections = rejections + 1 WHERE hash = $1")
            .bind(&hash[..])
            .execute(&self.pool)
            .await
            .map_err(db_err("count_request_rejection"))?;
        Ok(())
    }

    async fn save_request_claims(&self, hash: &[u8; 32], claims: &str) -> Result<(), IssuerError> {
        sqlx::query("UPDATE verifier_requests SET claims = $2 WHERE hash = $1")
            .bind(&hash[..])
            .bind(claims)
            .execute(&self.pool)
            .await
            .map_err(db_err("save_request_claims"))?;
        Ok(())
    }

    async fn use_once(
        &self,
        scope: &str,
        key: &[u8],
        expires_at: i64,
        now: i64,
    ) -> Result<bool, IssuerError> {
        const OP: &str = "use_once";
        // Expired records: this key's now, the whole scope's about once in 64 calls.
        if key.first().is_some_and(|b| b % 64 == 0) {
            sqlx::query("DELETE FROM used_once WHERE scope = $1 AND expires_at <= $2")
                .bind(scope)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_err(OP))?;
        } else {
            sqlx::query("DELETE FROM used_once WHERE scope = $1 AND key = $2 AND expires_at <= $3")
                .bind(scope)
                .bind(key)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_err(OP))?;
        }
        let done = sqlx::query(concat!(
            "INSERT INTO used_once (scope, key, expires_at) VALUES ($1, $2, $3) ",
            "ON CONFLICT (scope, key) DO NOTHING"
        ))
        .bind(scope)
        .bind(key)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err(OP))?;
        Ok(done.rows_affected() == 1)
    }

    async fn rate_hit(
        &self,
        key: &str,
        window_start: i64,
        purge_before: Option<i64>,
    ) -> Result<u64, IssuerError> {
        const OP: &str = "rate_hit";
        if let Some(before) = purge_before {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(db_err(OP))?;
        }
        let count: i64 = sqlx::query_scalar(concat!(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) ",
            "ON CONFLICT (key) DO UPDATE SET ",
            "count = CASE WHEN rate_limits.window_start = excluded.window_start ",
            "THEN rate_limits.count + 1 ELSE 1 END, ",
            "window_start = excluded.window_start ",
            "RETURNING count"
        ))
        .bind(key)
        .bind(window_start)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err(OP))?;
        u64::try_from(count).map_err(|_| corrupt("rate_limits.count"))
    }

    async fn revocation_version(&self) -> Result<u64, IssuerError> {
        let v: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'rev_version'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("revocation_version"))?;
        u64::try_from(v).map_err(|_| corrupt("rev_version"))
    }

    async fn bump_revocation_version(&self) -> Result<u64, IssuerError> {
        let v: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'rev_version' RETURNING value",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("bump_revocation_version"))?;
        u64::try_from(v).map_err(|_| corrupt("rev_version"))
    }

    async fn epoch(&self) -> Result<u64, IssuerError> {
        let v: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'epoch'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("epoch"))?;
        u64::try_from(v).map_err(|_| corrupt("epoch"))
    }

    async fn bump_epoch(&self) -> Result<u64, IssuerError> {
        let v: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'epoch' RETURNING value",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("bump_epoch"))?;
        u64::try_from(v).map_err(|_| corrupt("epoch"))
    }

    async fn build_revocation_nodes(&self) -> Result<Option<usize>, IssuerError> {
        const OP: &str = "build_revocation_nodes";
        // Built once, after the upgrade: every later start only reads the mark, and takes no
        // lock.
        let from: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'rev_nodes_from'")
                .fetch_one(&self.pool)
                .await
                .map_err(db_err(OP))?;
        if from >= 0 {
            return Ok(None);
        }
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // No seal commits beside the build.
        let epoch = lock_epoch(&mut tx, OP).await?;
        let built = build_nodes_in_tx(&mut tx, epoch).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(built)
    }

    async fn revocation_root(&self, epoch: u64) -> Result<[u8; 32], IssuerError> {
        served_epoch(&self.pool, epoch, "revocation root of that epoch").await?;
        Ok(fr_to_bytes(&node_at(&self.pool, DEPTH, 0, epoch).await?))
    }

    async fn revocation_bucket(
        &self,
        epoch: u64,
        bucket: u64,
    ) -> Result<StoredBucket, IssuerError> {
        if bucket >= BUCKETS {
            return Err(IssuerError::InvalidInput("no such revocation bucket"));
        }
        served_epoch(&self.pool, epoch, "revocation bucket of that epoch").await?;
        let revoked = bucket_offsets(&self.pool, bucket, epoch).await?;
        let mut upper = [[0u8; 32]; UPPER];
        let mut idx = bucket;
        for (j, s) in upper.iter_mut().enumerate() {
            *s = fr_to_bytes(&node_at(&self.pool, BUCKET_BITS + j, idx ^ 1, epoch).await?);
            idx >>= 1;
        }
        Ok(StoredBucket { revoked, upper })
    }

    async fn log_revocations(&self, slots: &[u32], now: i64) -> Result<u64, IssuerError> {
        const OP: &str = "log_revocations";
        if slots.iter().any(|&s| u64::from(s) >= REVOCATION_SLOTS) {
            return Err(IssuerError::InvalidInput("not a revocation slot"));
        }
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        let added = log_in_tx(&mut tx, slots, now).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(added)
    }

    async fn seal_epoch(
        &self,
        target: u64,
        boundary: i64,
        signer: &dyn EpochSigner,
    ) -> Result<Option<RevocationMove>, IssuerError> {
        const OP: &str = "seal_epoch";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // One sealer at a time (PostgreSQL: an advisory lock that the others do not wait for;
        // SQLite: BEGIN IMMEDIATE already serialises writers).
        if let Some(lock) = SEALER_LOCK {
            let got: bool = sqlx::query_scalar(lock)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err(OP))?;
            if !got {
                return Ok(None);
            }
        }
        // Held to the commit: a build or a pruning of the stored tree waits for it.
        let current = lock_epoch(&mut tx, OP).await?;
        if current >= target {
            // Another sealer finished this epoch.
            return Ok(None);
        }
        let moved = seal_in_tx(&mut tx, current, target, boundary).await?;
        record_in_tx(&mut tx, target, moved.root, signer).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(Some(moved))
    }

    async fn ensure_epoch_record(&self, signer: &dyn EpochSigner) -> Result<bool, IssuerError> {
        const OP: &str = "ensure_epoch_record";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        let current = lock_epoch(&mut tx, OP).await?;
        let has: Option<i64> =
            sqlx::query_scalar("SELECT epoch FROM epoch_records WHERE epoch = $1")
                .bind(to_i64(current)?)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err(OP))?;
        if has.is_some() {
            return Ok(false);
        }
        build_nodes_in_tx(&mut tx, current).await?;
        let root = node_at(&mut *tx, DEPTH, 0, current).await?;
        record_in_tx(&mut tx, current, fr_to_bytes(&root), signer).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(true)
    }

    async fn epoch_records(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<netid_core::SignedEpochRecord>, IssuerError> {
        // Nothing lies after an epoch beyond i64.
        let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
        sqlx::query(
            "SELECT record, signature FROM epoch_records WHERE epoch > $1 ORDER BY epoch LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("epoch_records"))?
        .iter()
        .map(signed_record)
        .collect()
    }

    async fn epoch_records_to(
        &self,
        epoch: u64,
        limit: u32,
    ) -> Result<Vec<netid_core::SignedEpochRecord>, IssuerError> {
        sqlx::query(
            "SELECT record, signature FROM epoch_records WHERE epoch <= $1 \
             ORDER BY epoch DESC LIMIT $2",
        )
        .bind(to_i64(epoch)?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("epoch_records"))?
        .iter()
        .map(signed_record)
        .collect()
    }

    async fn epoch_schedule(&self, length: u32, now: i64) -> Result<EpochSchedule, IssuerError> {
        const OP: &str = "epoch_schedule";
        if length == 0 {
            return Err(IssuerError::InvalidInput("epochs must last at least 1 s"));
        }
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // Fixed once, when the first issuer starts on this database: the genesis puts the
        // current epoch (from before fixed epochs, or 0) at `now`, so epochs only move on.
        sqlx::query(concat!(
            "INSERT INTO counters (name, value) SELECT 'epoch_genesis', $1 - value * $2 ",
            "FROM counters WHERE name = 'epoch' ON CONFLICT (name) DO NOTHING"
        ))
        .bind(now)
        .bind(i64::from(length))
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('epoch_length', $1) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(i64::from(length))
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        let rows = sqlx::query(
            "SELECT name, value FROM counters WHERE name IN ('epoch_genesis', 'epoch_length')",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        tx.commit().await.map_err(db_err(OP))?;
        let (mut genesis, mut stored) = (None, None);
        for r in &rows {
            match get::<String>(r, "name")?.as_str() {
                "epoch_genesis" => genesis = Some(get::<i64>(r, "value")?),
                _ => stored = u32::try_from(get::<i64>(r, "value")?).ok(),
            }
        }
        let (genesis, stored) = genesis.zip(stored).ok_or(corrupt("epoch schedule"))?;
        EpochSchedule::new(genesis, stored).ok_or(corrupt("epoch schedule"))
    }

    async fn prune_revocation_nodes(&self, keep_from: u64) -> Result<u64, IssuerError> {
        const OP: &str = "prune_revocation_nodes";
        let mut tx = self
            .pool
            .begin_with(BEGIN_WRITE)
            .await
            .map_err(db_err(OP))?;
        // No seal writes nodes meanwhile.
        let current = lock_epoch(&mut tx, OP).await?;
        let from: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'rev_nodes_from'")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err(OP))?;
        let keep = to_i64(keep_from.min(current))?;
        if from < 0 || keep <= from {
            return Ok(0);
        }
        // First the mark, then the rows: a reader that sees the rows gone sees the mark too.
        sqlx::query("UPDATE counters SET value = $1 WHERE name = 'rev_nodes_from'")
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(db_err(OP))?;
        // A node's value at an epoch >= keep is its newest row <= that epoch: every row older
        // than the newest one at or below `keep` is read by no kept epoch.
        let deleted = sqlx::query(concat!(
            "DELETE FROM rev_nodes WHERE epoch < $1 AND EXISTS (SELECT 1 FROM rev_nodes n ",
            "WHERE n.level = rev_nodes.level AND n.idx = rev_nodes.idx ",
            "AND n.epoch > rev_nodes.epoch AND n.epoch <= $1)"
        ))
        .bind(keep)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?
        .rows_affected();
        tx.commit().await.map_err(db_err(OP))?;
        Ok(deleted)
    }
}
