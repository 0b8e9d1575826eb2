//! The request store: the requests a verifier issued, their results and their rejection
//! counts, shared by all replicas of a verifier.
//!
//! A request created on one replica is answered on whichever replica the wallet reaches and its
//! result read on whichever the app polls, so this state cannot live in one process once there
//! are several. [`MemoryRequestStore`] serves one process (bounded: when full of live requests,
//! new ones are refused with [`VerifierError::Busy`]); [`RedisRequestStore`] serves several
//! replicas sharing one Redis, each request a hash that expires with it:
//!
//! ```text
//! <prefix><hex request hash>   HASH   request     canonical JSON of the signed request
//!                                     claims      JSON of the verified claims (once accepted)
//!                                     rejections  count of rejected presentations
//!                              PEXPIRE            the request's expiry + the retention period
//! ```
//!
//! Every Redis connection of the verifier ([`connect_redis`]) reconnects by itself after a Redis
//! restart or a dropped connection, and every command times out: a Redis outage makes requests
//! answer 503 while it lasts, never for longer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use netid_core::PresentationRequest;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::{Result, VerifierError};
use crate::replay::BoxFuture;
use crate::verify::VerifiedClaims;

/// What the store holds about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The signed request, as issued.
    pub request: PresentationRequest,
    /// What the accepted presentation proved, once one was accepted.
    pub claims: Option<VerifiedClaims>,
    /// How many presentations naming it were rejected.
    pub rejections: u32,
}

/// Where a verifier keeps its requests. Keys are request hashes; every write carries the time
/// the record must be kept for (the request's expiry plus the retention period, from now), after
/// which the store may forget it.
pub trait RequestStore: Send + Sync + 'static {
    /// Records a newly issued request.
    ///
    /// # Errors
    /// [`VerifierError::Busy`] when a bounded store is full; [`VerifierError::Store`].
    fn insert<'a>(
        &'a self,
        hash: [u8; 32],
        request: &'a PresentationRequest,
        keep: Duration,
        now: u64,
    ) -> BoxFuture<'a, Result<()>>;

    /// The record of a request, if known.
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    fn get(&self, hash: [u8; 32]) -> BoxFuture<'_, Result<Option<RequestRecord>>>;

    /// Counts one rejected presentation on a known request (nothing for an unknown one).
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    fn reject(&self, hash: [u8; 32], keep: Duration) -> BoxFuture<'_, Result<()>>;

    /// Records the claims of the accepted presentation of a known request.
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    fn complete<'a>(
        &'a self,
        hash: [u8; 32],
        claims: &'a VerifiedClaims,
        keep: Duration,
    ) -> BoxFuture<'a, Result<()>>;
}

/// Live requests a [`MemoryRequestStore`] holds by default before it refuses new ones.
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// In-process request store: a map pruned of forgotten requests as it fills, bounded.
#[derive(Debug)]
pub struct MemoryRequestStore {
    inner: Mutex<HashMap<[u8; 32], (RequestRecord, u64)>>,
    capacity: usize,
}

impl Default for MemoryRequestStore {
    fn default() -> MemoryRequestStore {
        MemoryRequestStore::with_capacity(DEFAULT_MEMORY_CAPACITY)
    }
}

impl MemoryRequestStore {
    /// An empty store with [`DEFAULT_MEMORY_CAPACITY`].
    pub fn new() -> MemoryRequestStore {
        MemoryRequestStore::default()
    }

    /// An empty store holding at most `capacity` requests that are not yet to be forgotten.
    pub fn with_capacity(capacity: usize) -> MemoryRequestStore {
        MemoryRequestStore {
            inner: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// Number of requests held (forgettable ones included until pruned).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no request is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (RequestRecord, u64)>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn until(now: u64, keep: Duration) -> u64 {
    now.saturating_add(keep.as_secs())
}

impl RequestStore for MemoryRequestStore {
    fn insert<'a>(
        &'a self,
        hash: [u8; 32],
        request: &'a PresentationRequest,
        keep: Duration,
        now: u64,
    ) -> BoxFuture<'a, Result<()>> {
        let r = (|| {
            let mut map = self.map();
            if map.len() >= self.capacity {
                map.retain(|_, (_, forget_at)| *forget_at > now);
            }
            if map.len() >= self.capacity && !map.contains_key(&hash) {
                tracing::warn!(capacity = self.capacity, "request store full");
                return Err(VerifierError::Busy);
            }
            map.insert(
                hash,
                (
                    RequestRecord {
                        request: request.clone(),
                        claims: None,
                        rejections: 0,
                    },
                    until(now, keep),
                ),
            );
            Ok(())
        })();
        Box::pin(async move { r })
    }

    fn get(&self, hash: [u8; 32]) -> BoxFuture<'_, Result<Option<RequestRecord>>> {
        let r = self.map().get(&hash).map(|(r, _)| r.clone());
        Box::pin(async move { Ok(r) })
    }

    fn reject(&self, hash: [u8; 32], _keep: Duration) -> BoxFuture<'_, Result<()>> {
        if let Some((r, _)) = self.map().get_mut(&hash) {
            r.rejections = r.rejections.saturating_add(1);
        }
        Box::pin(async { Ok(()) })
    }

    fn complete<'a>(
        &'a self,
        hash: [u8; 32],
        claims: &'a VerifiedClaims,
        _keep: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        if let Some((r, _)) = self.map().get_mut(&hash) {
            r.claims = Some(claims.clone());
        }
        Box::pin(async { Ok(()) })
    }
}

/// How long one Redis command may take before it fails (and the connection is re-established).
pub const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting to Redis may take.
pub const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis connection that reconnects after a restart or a dropped connection, with
/// [`REDIS_CONNECT_TIMEOUT`] and [`REDIS_RESPONSE_TIMEOUT`]. A command that fails while Redis is
/// away fails at once (the caller answers 503); the next one after Redis is back succeeds.
///
/// # Errors
/// [`VerifierError::Store`] when the URL is malformed or Redis is unreachable at start.
pub async fn connect_redis(url: &str) -> Result<ConnectionManager> {
    let client = redis::Client::open(url).map_err(store_error)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(REDIS_CONNECT_TIMEOUT)
        .set_response_timeout(REDIS_RESPONSE_TIMEOUT)
        // Reconnection attempts per failure: a few, quickly; the next command tries again.
        .set_number_of_retries(2)
        .set_factor(50)
        .set_max_delay(500);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(store_error)
}

/// Runs a Redis command, once more when it failed on a broken connection: the first command
/// after a Redis restart meets the old connection, and the connection manager reconnects for
/// the second. Used for the request store, whose commands can be repeated; the replay cache's
/// `SET NX` is not repeated (a lost reply would turn the repeat into a false replay).
pub(crate) async fn retrying<T, F, Fut>(mut run: F) -> redis::RedisResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = redis::RedisResult<T>>,
{
    match run().await {
        Err(e) if e.is_connection_dropped() || e.is_io_error() || e.is_connection_refusal() => {
            tracing::info!(error = %e, "Redis connection lost; retrying once on a new one");
            run().await
        }
        r => r,
    }
}

fn store_error(e: redis::RedisError) -> VerifierError {
    VerifierError::Store(e.to_string())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Request store in Redis (see the module docs for the layout), shared by all replicas.
#[derive(Clone)]
pub struct RedisRequestStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisRequestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRequestStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRequestStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "netid:verifier:request:";

    /// Connects to `url` (`redis://host:port/db`), keys prefixed with `prefix`.
    ///
    /// # Errors
    /// [`VerifierError::Store`] when the URL is malformed or Redis unreachable.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisRequestStore> {
        Ok(RedisRequestStore::from_connection(
            connect_redis(url).await?,
            prefix,
        ))
    }

    /// A store on an existing connection.
    pub fn from_connection(conn: ConnectionManager, prefix: &str) -> RedisRequestStore {
        RedisRequestStore {
            conn,
            prefix: prefix.to_owned(),
        }
    }

    fn key(&self, hash: &[u8; 32]) -> String {
        format!("{}{}", self.prefix, hex::encode(hash))
    }
}

/// Updates a field of a record only if the record exists, and renews its expiry.
const UPDATE_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

impl RequestStore for RedisRequestStore {
    fn insert<'a>(
        &'a self,
        hash: [u8; 32],
        request: &'a PresentationRequest,
        keep: Duration,
        _now: u64,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let json =
                serde_json::to_string(request).map_err(|e| VerifierError::Store(e.to_string()))?;
            let key = self.key(&hash);
            let pipe = redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("request")
                .arg(json)
                .arg("rejections")
                .arg(0)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(millis(keep))
                .ignore()
                .clone();
            retrying(|| {
                let mut conn = self.conn.clone();
                let pipe = pipe.clone();
                async move { pipe.query_async::<()>(&mut conn).await }
            })
            .await
            .map_err(store_error)
        })
    }

    fn get(&self, hash: [u8; 32]) -> BoxFuture<'_, Result<Option<RequestRecord>>> {
        Box::pin(async move {
            let cmd = redis::cmd("HMGET")
                .arg(self.key(&hash))
                .arg("request")
                .arg("claims")
                .arg("rejections")
                .clone();
            let (request, claims, rejections): (Option<String>, Option<String>, Option<u32>) =
                retrying(|| {
                    let mut conn = self.conn.clone();
                    let cmd = cmd.clone();
                    async move { cmd.query_async(&mut conn).await }
                })
                .await
                .map_err(store_error)?;
            let Some(request) = request else {
                return Ok(None);
            };
            let corrupt = |e: serde_json::Error| {
                tracing::error!(error = %e, "undecodable record in the request store");
                VerifierError::Store("undecodable record".into())
            };
            Ok(Some(RequestRecord {
                request: serde_json::from_str(&request).map_err(corrupt)?,
                claims: claims
                    .map(|c| serde_json::from_str(&c))
                    .transpose()
                    .map_err(corrupt)?,
                rejections: rejections.unwrap_or(0),
            }))
        })
    }

    fn reject(&self, hash: [u8; 32], keep: Duration) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.run_update(&hash, "rejections", "", keep).await })
    }

    fn complete<'a>(
        &'a self,
        hash: [u8; 32],
        claims: &'a VerifiedClaims,
        keep: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let json =
                serde_json::to_string(claims).map_err(|e| VerifierError::Store(e.to_string()))?;
            self.run_update(&hash, "claims", &json, keep).await
        })
    }
}

impl RedisRequestStore {
    async fn run_update(
        &self,
        hash: &[u8; 32],
        field: &str,
        value: &str,
        keep: Duration,
    ) -> Result<()> {
        let cmd = redis::cmd("EVAL")
            .arg(UPDATE_SCRIPT)
            .arg(1)
            .arg(self.key(hash))
            .arg(field)
            .arg(value)
            .arg(millis(keep))
            .clone();
        retrying(|| {
            let mut conn = self.conn.clone();
            let cmd = cmd.clone();
            async move { cmd.query_async::<i64>(&mut conn).await }
        })
        .await
        .map(drop)
        .map_err(store_error)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use netid_core::{AssuranceLevel, DisclosedAttributes, Suite};

    use super::*;
    use crate::test_support::shop;

    const NOW: u64 = 1_780_000_000;

    fn request() -> PresentationRequest {
        shop()
            .request("2026-05-28".parse().unwrap())
            .age_at_least(18)
            .build(NOW)
            .unwrap()
    }

    fn claims() -> VerifiedClaims {
        VerifiedClaims {
            app_id: "shop.example".into(),
            suite: Suite::BbsSha256,
            today: "2026-05-28".parse().unwrap(),
            age_at_least: Some(18),
            assurance_at_least: Some(AssuranceLevel::Remote),
            not_expired: true,
            disclosed: DisclosedAttributes::default(),
            pseudonym: None,
        }
    }

    /// Insert, count rejections, complete, read back; updates of unknown requests create
    /// nothing.
    async fn round_trip(store: &dyn RequestStore, r: &PresentationRequest) {
        let keep = Duration::from_secs(60);
        let h = r.request_hash();
        assert_eq!(store.get(h).await.unwrap(), None);
        store.insert(h, r, keep, NOW).await.unwrap();
        let got = store.get(h).await.unwrap().unwrap();
        assert_eq!(
            (got.request, got.claims, got.rejections),
            (r.clone(), None, 0)
        );
        store.reject(h, keep).await.unwrap();
        store.reject(h, keep).await.unwrap();
        assert_eq!(store.get(h).await.unwrap().unwrap().rejections, 2);
        store.complete(h, &claims(), keep).await.unwrap();
        let got = store.get(h).await.unwrap().unwrap();
        assert_eq!((got.claims, got.rejections), (Some(claims()), 2));
        let unknown = [7u8; 32];
        store.reject(unknown, keep).await.unwrap();
        store.complete(unknown, &claims(), keep).await.unwrap();
        assert_eq!(store.get(unknown).await.unwrap(), None);
    }

    #[tokio::test]
    async fn memory_round_trip() {
        round_trip(&MemoryRequestStore::new(), &request()).await;
    }

    /// Full of live requests, the store refuses new ones (Busy) and keeps the old; once they
    /// may be forgotten, it takes new ones again.
    #[tokio::test]
    async fn memory_store_is_bounded() {
        let store = MemoryRequestStore::with_capacity(3);
        let keep = Duration::from_secs(60);
        let mut r = request();
        for i in 0..3u8 {
            store.insert([i; 32], &r, keep, NOW).await.unwrap();
        }
        assert!(matches!(
            store.insert([9; 32], &r, keep, NOW + 59).await,
            Err(VerifierError::Busy)
        ));
        assert_eq!(store.len(), 3);
        // Re-registering a known one is not growth.
        store.insert([1; 32], &r, keep, NOW + 59).await.unwrap();
        r.expires_at += 1;
        store.insert([9; 32], &r, keep, NOW + 61).await.unwrap();
        assert_eq!(store.len(), 2, "the three forgettable ones were pruned");
        assert_eq!(store.get([0; 32]).await.unwrap(), None);
    }

    fn redis_url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    fn unique_prefix(test: &str) -> String {
        let mut r = [0u8; 8];
        rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut r);
        format!("netid:test:{test}:{}:", hex::encode(r))
    }

    #[tokio::test]
    async fn redis_round_trip_shared_and_expiring() {
        let prefix = unique_prefix("requests");
        let a = RedisRequestStore::connect(&redis_url(), &prefix)
            .await
            .unwrap();
        let r = request();
        round_trip(&a, &r).await;
        // A second connection (another replica) sees and updates the same records.
        let b = RedisRequestStore::connect(&redis_url(), &prefix)
            .await
            .unwrap();
        let h = r.request_hash();
        let got = b.get(h).await.unwrap().unwrap();
        assert_eq!((got.request, got.rejections), (r.clone(), 2));
        b.reject(h, Duration::from_secs(60)).await.unwrap();
        assert_eq!(a.get(h).await.unwrap().unwrap().rejections, 3);
        // Records expire with the time they are kept for, and an update after that does not
        // bring a request back.
        let short = [8u8; 32];
        a.insert(short, &r, Duration::from_millis(100), NOW)
            .await
            .unwrap();
        assert!(b.get(short).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(b.get(short).await.unwrap(), None);
        b.reject(short, Duration::from_secs(60)).await.unwrap();
        assert_eq!(a.get(short).await.unwrap(), None);
    }

    /// Counts per key and window; a new window starts again at one.
    async fn counts(a: &dyn RateCounter, b: &dyn RateCounter) {
        let w = Duration::from_secs(60);
        assert_eq!(a.hit("k", 120, w).await.unwrap(), 1);
        assert_eq!(b.hit("k", 120, w).await.unwrap(), 2);
        assert_eq!(a.hit("other", 120, w).await.unwrap(), 1);
        assert_eq!(b.hit("k", 180, w).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn memory_rate_counter() {
        let c = MemoryRateCounter::new();
        counts(&c, &c).await;
    }

    #[tokio::test]
    async fn redis_rate_counter_is_shared_and_expires() {
        let prefix = unique_prefix("rate");
        let a =
            RedisRateCounter::from_connection(connect_redis(&redis_url()).await.unwrap(), &prefix);
        let b =
            RedisRateCounter::from_connection(connect_redis(&redis_url()).await.unwrap(), &prefix);
        counts(&a, &b).await;
        assert_eq!(
            a.hit("short", 1, Duration::from_millis(100)).await.unwrap(),
            1
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            b.hit("short", 1, Duration::from_millis(100)).await.unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn redis_unreachable_is_a_store_error() {
        assert!(matches!(
            RedisRequestStore::connect("redis://127.0.0.1:1", "x").await,
            Err(VerifierError::Store(_))
        ));
        assert!(RedisRequestStore::connect("not a url", "x").await.is_err());
    }
}

/// Counters for rate limits: events per key in fixed windows, shared by the replicas that share
/// the store.
pub trait RateCounter: Send + Sync + 'static {
    /// Counts one event for `key` in the window that starts at Unix second `window_start` and
    /// lasts `window`; returns the window's count including this event.
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    fn hit<'a>(
        &'a self,
        key: &'a str,
        window_start: u64,
        window: Duration,
    ) -> BoxFuture<'a, Result<u64>>;
}

/// Windows a [`MemoryRateCounter`] tracks before it forgets the oldest (bounded memory).
const MEMORY_COUNTER_CAPACITY: usize = 100_000;

/// In-process [`RateCounter`], bounded: at capacity, the counters of past windows are dropped,
/// and if that frees nothing, all of them (a flood of distinct keys resets the counts rather
/// than growing memory).
#[derive(Debug, Default)]
pub struct MemoryRateCounter {
    inner: Mutex<HashMap<String, (u64, u64)>>,
}

impl MemoryRateCounter {
    /// No counts yet.
    pub fn new() -> MemoryRateCounter {
        MemoryRateCounter::default()
    }
}

impl RateCounter for MemoryRateCounter {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        window_start: u64,
        _window: Duration,
    ) -> BoxFuture<'a, Result<u64>> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MEMORY_COUNTER_CAPACITY && !map.contains_key(key) {
            map.retain(|_, (start, _)| *start >= window_start);
            if map.len() >= MEMORY_COUNTER_CAPACITY {
                map.clear();
            }
        }
        let e = map.entry(key.to_owned()).or_insert((window_start, 0));
        if e.0 != window_start {
            *e = (window_start, 0);
        }
        e.1 += 1;
        let n = e.1;
        Box::pin(async move { Ok(n) })
    }
}

/// [`RateCounter`] in Redis: `INCR <prefix><key>:<window start>` with an expiry of one window.
#[derive(Clone)]
pub struct RedisRateCounter {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisRateCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateCounter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRateCounter {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "netid:verifier:rate:";

    /// Counters on an existing connection.
    pub fn from_connection(conn: ConnectionManager, prefix: &str) -> RedisRateCounter {
        RedisRateCounter {
            conn,
            prefix: prefix.to_owned(),
        }
    }
}

impl RateCounter for RedisRateCounter {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        window_start: u64,
        window: Duration,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let k = format!("{}{key}:{window_start}", self.prefix);
            let pipe = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(&k)
                .cmd("PEXPIRE")
                .arg(&k)
                .arg(millis(window))
                .ignore()
                .clone();
            let (n,): (u64,) = retrying(|| {
                let mut conn = self.conn.clone();
                let pipe = pipe.clone();
                async move { pipe.query_async(&mut conn).await }
            })
            .await
            .map_err(store_error)?;
            Ok(n)
        })
    }
}
