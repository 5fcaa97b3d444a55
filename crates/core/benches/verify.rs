//! How fast the authority verifies a personal access token, in process: from the verification
//! cache, and at the store (the cache emptied before each verification).
//!
//! `authenticate` parses the value, checks its checksum, hashes it with SHA-256, finds the token by
//! that hash and loads its owner. The store is the embedded SQLite file in a temporary data
//! directory; it is filled with extra rows in bulk SQL so the table and its hash index are as large
//! as a busy instance's. The sizes come from `TESSERA_BENCH_TOKENS` (comma-separated, default
//! `1000`), so a million-row run happens only when asked for:
//!
//! ```text
//! TESSERA_BENCH_TOKENS=1000,1000000 cargo bench -p tessera-core --bench verify
//! ```
//!
//! Besides criterion's report, each size prints one `verifications/s` line from a plain timed
//! loop, so the figure can be read without criterion's files, and a last line says how much
//! memory the verification cache takes when full (its bound).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tempfile::TempDir;
use tessera_core::authority::{Collection, NewToken};
use tessera_core::clock::SystemClock;
use tessera_core::model::Role;
use tessera_core::session::SessionKeys;
use tessera_core::store::SqlStore;
use tessera_core::token::{self, TokenKind};
use tessera_core::verify_cache::{VerifyCache, CAPACITY};
use tessera_core::{Authority, DataDir, Error, Scopes};
use tokio::runtime::Runtime;

/// The environment variable holding the store sizes to measure.
const SIZES_ENV: &str = "TESSERA_BENCH_TOKENS";
const CLIENT_IP: &str = "127.0.0.1";
/// How long the plain timed loop behind the printed `verifications/s` runs.
const SUMMARY_TIME: Duration = Duration::from_secs(3);

fn sizes() -> Vec<u64> {
    let raw = std::env::var(SIZES_ENV).unwrap_or_else(|_| "1000".to_owned());
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.replace('_', "")
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .unwrap_or_else(|| panic!("{SIZES_ENV}: {s:?} is not a positive number of tokens"))
        })
        .collect()
}

/// Criterion's `--test` and `--list` modes run each benchmark once or not at all; the summary
/// loop is skipped there.
fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

/// A data directory whose store holds `total` tokens, one of which is `value`, a real PAT.
struct Filled {
    authority: Authority,
    value: String,
    _dir: TempDir,
}

async fn filled_store(total: u64) -> Filled {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let data = DataDir::at(dir.path());
    data.create().expect("data directory");
    let store = SqlStore::open_sqlite(&data.store()).await.expect("open the SQLite store");
    let (keys, _der) = SessionKeys::generate().expect("session keys");
    let authority = Authority::new(Arc::new(store.clone()), keys, Arc::new(SystemClock));

    authority.create_user("bench", Role::Member).await.expect("create user");
    let (_, session) = authority.issue_session("bench").await.expect("issue session");
    let caller = authority.authenticate(session.token.expose(), Some(CLIENT_IP.into())).await.expect("session");
    let scopes = Scopes::parse(&["read"]).expect("scopes");
    let req = NewToken { label: "bench".into(), scopes, ..NewToken::default() };
    let (_, secret) = authority.create_token(&caller, &Collection::Pats, req).await.expect("create token");

    let started = Instant::now();
    fill(&store, total - 1).await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tokens").fetch_one(store.pool()).await.expect("count");
    assert_eq!(rows, i64::try_from(total).expect("row count"), "the store holds the requested number of tokens");
    eprintln!("store: {total} tokens in {} ({:.1} s to fill)", data.store().display(), started.elapsed().as_secs_f64());

    // A server meets a table this size when it starts: open the store again, as a restart would,
    // rather than measure connections that were open while a million rows were loaded under them.
    drop(authority);
    store.pool().close().await;
    drop(store);
    let store = SqlStore::open_sqlite(&data.store()).await.expect("open the SQLite store again");
    let (keys, _der) = SessionKeys::generate().expect("session keys");
    let authority = Authority::new(Arc::new(store), keys, Arc::new(SystemClock));

    Filled { authority, value: secret.expose().to_owned(), _dir: dir }
}

/// Inserts `n` tokens with random hashes and ids, owned by 10,000 made-up users, in one
/// transaction. SQLite generates the rows itself (a recursive CTE), so a million take seconds.
async fn fill(store: &SqlStore, n: u64) {
    if n == 0 {
        return;
    }
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = store.pool().begin().await.expect("begin");
    // Room for the whole hash index in memory while it grows in random order.
    sqlx::query("PRAGMA cache_size = -262144").execute(&mut *tx).await.expect("cache size");
    sqlx::query(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) \
         INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, \
                             created_by, created_at) \
         SELECT 'tok_' || lower(hex(randomblob(12))), 'pat', randomblob(32), \
                'tsr_pat_…' || substr(hex(randomblob(2)), 1, 4), 'filler ' || n, '', 'read', \
                'user', 'usr_filler' || (n % 10000), NULL, $2 - n \
         FROM seq",
    )
    .bind(i64::try_from(n).expect("row count"))
    .bind(now)
    .execute(&mut *tx)
    .await
    .expect("bulk insert");
    // Back to SQLite's default, so lookups on this connection see the cache every other has.
    sqlx::query("PRAGMA cache_size = -2000").execute(&mut *tx).await.expect("cache size");
    tx.commit().await.expect("commit");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.expect("checkpoint");
}

/// A well-formed value of the right length whose checksum is wrong.
fn with_bad_checksum(value: &str) -> String {
    let mut bad = value.to_owned();
    let last = bad.pop().expect("non-empty value");
    bad.push(if last == '0' { '1' } else { '0' });
    assert_eq!(token::parse(&bad), Err(token::FormatError::Checksum));
    bad
}

fn verify(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    let mut summary = Vec::new();
    let mut last = None;
    for total in sizes() {
        let filled = rt.block_on(filled_store(total));
        let (authority, value) = (&filled.authority, filled.value.as_str());
        rt.block_on(async {
            let caller = authority.authenticate(value, Some(CLIENT_IP.into())).await.expect("the PAT verifies");
            assert_eq!(caller.token_kind(), Some(TokenKind::Pat));
        });
        group.bench_with_input(BenchmarkId::new("authenticate_pat_cached", total), &value, |b, value| {
            b.to_async(&rt).iter(|| async move {
                authority.authenticate(black_box(value), Some(CLIENT_IP.into())).await.expect("verified")
            });
        });
        group.bench_with_input(BenchmarkId::new("authenticate_pat_at_the_store", total), &value, |b, value| {
            b.to_async(&rt).iter(|| async move {
                authority.credentials_changed();
                authority.authenticate(black_box(value), Some(CLIENT_IP.into())).await.expect("verified")
            });
        });
        if !quick_mode() {
            let hit = rt.block_on(timed_loop(authority, value, false));
            let miss = rt.block_on(timed_loop(authority, value, true));
            summary.push(format!(
                "verify with {total} tokens in the store: {hit:.0} verifications/s from the cache ({:.2} µs each), \
                 {miss:.0}/s at the store ({:.1} µs each)",
                1e6 / hit,
                1e6 / miss
            ));
        }
        last = Some(filled);
    }
    group.finish();
    if !quick_mode() {
        if let Some(filled) = last {
            summary.push(rt.block_on(cache_bound(&filled.authority, &filled.value)));
        }
    }
    for line in summary {
        println!("{line}");
    }
}

/// Fills a verification cache of the default bound with copies of what `value` proves, each under
/// its own key, and says how much the process's resident memory grew.
async fn cache_bound(authority: &Authority, value: &str) -> String {
    let credential = authority.authenticate(value, Some(CLIENT_IP.into())).await.expect("verified").credential;
    let cache = VerifyCache::default();
    let before = resident_bytes();
    for i in 0..CAPACITY {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&i.to_le_bytes());
        cache.insert(key, cache.generation(), credential.clone());
    }
    let kept = cache.len();
    let grown = resident_bytes().saturating_sub(before);
    format!(
        "verification cache: at most {CAPACITY} entries; full of personal access tokens ({kept} kept) it took \
         {:.1} MiB more resident memory ({:.0} bytes an entry)",
        grown as f64 / 1048576.0,
        grown as f64 / kept.max(1) as f64
    )
}

/// This process's resident memory, from /proc (0 where there is none).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// Verifies `value` over and over for [`SUMMARY_TIME`] and returns verifications per second;
/// with `at_the_store`, the cache is emptied before each, so every one reads the store.
async fn timed_loop(authority: &Authority, value: &str, at_the_store: bool) -> f64 {
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < SUMMARY_TIME {
        for _ in 0..100 {
            if at_the_store {
                authority.credentials_changed();
            }
            authority.authenticate(black_box(value), Some(CLIENT_IP.into())).await.expect("verified");
        }
        done += 100;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn parse_and_reject(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    let value = token::generate(TokenKind::Pat).expect("token").expose().to_owned();
    let bad = with_bad_checksum(&value);

    // An authority whose store is closed: any store access would fail with an internal error,
    // so getting the checksum refusal proves the store was never touched.
    let dir = tempfile::tempdir().expect("temporary data directory");
    let authority = rt.block_on(async {
        let store = SqlStore::open_sqlite(&DataDir::at(dir.path()).store()).await.expect("store");
        store.pool().close().await;
        let (keys, _der) = SessionKeys::generate().expect("session keys");
        Authority::new(Arc::new(store), keys, Arc::new(SystemClock))
    });
    rt.block_on(async {
        match authority.authenticate(&bad, Some(CLIENT_IP.into())).await {
            Err(Error::Unauthenticated(why)) => assert!(why.contains("checksum"), "{why}"),
            other => panic!("a bad checksum must be refused before the store: {other:?}"),
        }
    });

    let mut group = c.benchmark_group("token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse", |b| b.iter(|| token::parse(black_box(&value))));
    group.bench_function("parse_bad_checksum", |b| b.iter(|| token::parse(black_box(&bad))));
    group.bench_function("authenticate_bad_checksum", |b| {
        b.to_async(&rt).iter(|| async { authority.authenticate(black_box(&bad), Some(CLIENT_IP.into())).await })
    });
    group.finish();

    if !quick_mode() {
        let parse = per_second(|| {
            black_box(token::parse(black_box(&value))).ok();
        });
        let reject = rt.block_on(async {
            let started = Instant::now();
            let mut done = 0u64;
            while started.elapsed() < SUMMARY_TIME {
                for _ in 0..1000 {
                    black_box(authority.authenticate(black_box(&bad), None).await).ok();
                }
                done += 1000;
            }
            done as f64 / started.elapsed().as_secs_f64()
        });
        println!("token::parse of a valid value: {parse:.0} parses/s");
        println!("authenticate with a bad checksum (no store access): {reject:.0} rejections/s");
    }
}

/// Runs `f` for [`SUMMARY_TIME`] and returns calls per second.
fn per_second(mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < SUMMARY_TIME {
        for _ in 0..1000 {
            f();
        }
        done += 1000;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

criterion_group!(benches, parse_and_reject, verify);
criterion_main!(benches);
