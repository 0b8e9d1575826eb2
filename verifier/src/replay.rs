//! The replay cache: "first use of a nonce wins", shared by all replicas of a verifier.
//!
//! [`ReplayCache::check_and_insert`] atomically records a key (the request's nonce) for a time
//! to live and says whether it was new. [`MemoryReplayCache`] serves one process;
//! [`RedisReplayCache`] (`SET key 1 NX PX ttl`) serves several replicas sharing one Redis, on a
//! connection that reconnects by itself ([`connect_redis`](crate::store::connect_redis)).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use crate::error::{Result, VerifierError};

/// A boxed `Send` future (keeps [`ReplayCache`] usable as `dyn ReplayCache`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An atomic set of used keys with expiry.
pub trait ReplayCache: Send + Sync + 'static {
    /// Records `key` for `ttl` (at least one millisecond). `Ok(true)` iff it was not recorded
    /// (or had expired): exactly one of any number of concurrent calls with one key gets `true`.
    fn check_and_insert<'a>(&'a self, key: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<bool>>;
}

/// In-process replay cache: a mutex-protected map from key to expiry, pruned of expired keys
/// as it grows.
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Vec<u8>, Instant>,
    prune_at: usize,
}

impl MemoryReplayCache {
    /// An empty cache.
    pub fn new() -> MemoryReplayCache {
        MemoryReplayCache::default()
    }

    /// Number of recorded keys (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.entries.len()).unwrap_or(0)
    }

    /// Whether no key is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `key` at instant `now` (synchronous core of the trait method).
    ///
    /// # Errors
    /// [`VerifierError::ReplayCache`] if the mutex was poisoned.
    pub fn insert_at(&self, key: &[u8], ttl: Duration, now: Instant) -> Result<bool> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| VerifierError::ReplayCache("poisoned lock".into()))?;
        let ttl = ttl.max(Duration::from_millis(1));
        if g.entries.len() >= g.prune_at {
            g.entries.retain(|_, exp| *exp > now);
            g.prune_at = (2 * g.entries.len()).max(1024);
        }
        match g.entries.get_mut(key) {
            Some(exp) if *exp > now => Ok(false),
            Some(exp) => {
                *exp = now + ttl;
                Ok(true)
            }
            None => {
                g.entries.insert(key.to_vec(), now + ttl);
                Ok(true)
            }
        }
    }
}

impl ReplayCache for MemoryReplayCache {
    fn check_and_insert<'a>(&'a self, key: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        let r = self.insert_at(key, ttl, Instant::now());
        Box::pin(async move { r })
    }
}

/// Replay cache in Redis: `SET <prefix><hex key> 1 NX PX <ttl ms>`, atomic across replicas.
#[derive(Clone)]
pub struct RedisReplayCache {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisReplayCache {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "netid:verifier:nonce:";

    /// Connects to `url` (`redis://host:port/db`), keys prefixed with `prefix`.
    ///
    /// # Errors
    /// [`VerifierError::ReplayCache`] when the URL is malformed or Redis unreachable.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisReplayCache> {
        let conn = crate::store::connect_redis(url)
            .await
            .map_err(|e| match e {
                VerifierError::Store(m) => VerifierError::ReplayCache(m),
                e => e,
            })?;
        Ok(RedisReplayCache::from_connection(conn, prefix))
    }

    /// A replay cache on an existing connection (one connection can serve the replay cache and
    /// the request store).
    pub fn from_connection(conn: ConnectionManager, prefix: &str) -> RedisReplayCache {
        RedisReplayCache {
            conn,
            prefix: prefix.to_owned(),
        }
    }
}

impl ReplayCache for RedisReplayCache {
    fn check_and_insert<'a>(&'a self, key: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let set: Option<String> = redis::cmd("SET")
                .arg(format!("{}{}", self.prefix, hex::encode(key)))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query_async(&mut conn)
                .await?;
            Ok(set.is_some())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn redis_url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    fn unique_prefix(test: &str) -> String {
        let mut r = [0u8; 8];
        rand_core_06::RngCore::fill_bytes(&mut rand_core_06::OsRng, &mut r);
        format!("netid:test:{test}:{}:", hex::encode(r))
    }

    async fn first_use_wins(cache: &dyn ReplayCache) {
        let ttl = Duration::from_secs(30);
        assert!(cache.check_and_insert(b"a", ttl).await.unwrap());
        assert!(!cache.check_and_insert(b"a", ttl).await.unwrap());
        assert!(cache.check_and_insert(b"b", ttl).await.unwrap());
    }

    async fn concurrent(cache: Arc<dyn ReplayCache>) {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let c = cache.clone();
            tasks.push(tokio::spawn(async move {
                c.check_and_insert(b"one nonce", Duration::from_secs(30))
                    .await
                    .unwrap()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn memory_first_use_wins() {
        first_use_wins(&MemoryReplayCache::new()).await;
    }

    #[test]
    fn memory_expiry_and_pruning() {
        let c = MemoryReplayCache::new();
        let t0 = Instant::now();
        let ttl = Duration::from_secs(1);
        assert!(c.insert_at(b"k", ttl, t0).unwrap());
        assert!(!c
            .insert_at(b"k", ttl, t0 + Duration::from_millis(999))
            .unwrap());
        assert!(c.insert_at(b"k", ttl, t0 + Duration::from_secs(2)).unwrap());
        for i in 0..3000u32 {
            c.insert_at(&i.to_be_bytes(), ttl, t0).unwrap();
        }
        // Everything inserted at t0 has expired by t0 + 10 s: pruned on the next growth.
        let later = t0 + Duration::from_secs(10);
        for i in 0..3000u32 {
            assert!(c
                .insert_at(&(i + 10_000).to_be_bytes(), ttl, later)
                .unwrap());
        }
        assert!(c.len() < 4000, "{}", c.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_concurrent_single_winner() {
        concurrent(Arc::new(MemoryReplayCache::new())).await;
    }

    #[tokio::test]
    async fn redis_first_use_wins_and_expires() {
        let c = RedisReplayCache::connect(&redis_url(), &unique_prefix("first"))
            .await
            .unwrap();
        first_use_wins(&c).await;
        assert!(c
            .check_and_insert(b"short", Duration::from_millis(50))
            .await
            .unwrap());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(c
            .check_and_insert(b"short", Duration::from_secs(5))
            .await
            .unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redis_concurrent_single_winner() {
        // Separate connections, as separate replicas would have.
        let prefix = unique_prefix("concurrent");
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let c = RedisReplayCache::connect(&redis_url(), &prefix)
                .await
                .unwrap();
            tasks.push(tokio::spawn(async move {
                c.check_and_insert(b"one nonce", Duration::from_secs(30))
                    .await
                    .unwrap()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1);
        let shared = RedisReplayCache::connect(&redis_url(), &unique_prefix("shared"))
            .await
            .unwrap();
        concurrent(Arc::new(shared)).await;
    }

    #[tokio::test]
    async fn redis_unreachable_is_an_error() {
        assert!(matches!(
            RedisReplayCache::connect("redis://127.0.0.1:1", "x").await,
            Err(VerifierError::ReplayCache(_))
        ));
        assert!(RedisReplayCache::connect("not a url", "x").await.is_err());
    }
}
