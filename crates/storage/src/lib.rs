//! The embedded store of the Rosette issuer agent: versioned records in named tables.
//!
//! Like kanidm's backend, the store has no rules about content. It offers:
//!
//! - [`Store`], an object-safe byte store with tables, prefix scans with paging,
//!   [`compare_and_swap`](Store::compare_and_swap) (the single-use primitive),
//!   [`apply`](Store::apply) (an atomic [`WriteBatch`] across tables),
//!   [`apply_checked`](Store::apply_checked) (the same, with requirements checked atomically:
//!   a multi-key compare-and-swap) and
//!   [`flush`](Store::flush) (durability);
//! - backends: [`RedbStore`] on disk (redb), [`PgStore`] on PostgreSQL (several agents on
//!   one database) and [`MemoryStore`] for tests; `SledStore` (feature
//!   `sled`, to migrate old stores) and `SqliteStore` (feature `sqlite`, engine comparison);
//! - [`watch::WatchedStore`], which reports calls stuck past a limit (deadlock watchdog), and
//!   [`migrate`], which copies a store into another and verifies it table by table;
//! - [`Record`] and [`Repo`], typed records stored as a versioned JSON envelope
//!   `{"v":N,"data":{…}}` with a migration hook.
//!
//! Nothing here reads the wall clock or interprets values (the watchdog takes a monotonic clock); expiry and single use are the caller's
//! rules, built on CAS.
//!
//! Values never appear in `Debug` output or errors; keys do (escaped, cut at 64 bytes), so
//! key secrets by their hash, never by the secret itself.
//!
//! # Crash safety of the on-disk store
//!
//! Tested with real SIGKILLs, one suite for every engine (`tests/it/crash.rs`): after a kill,
//! every [`WriteBatch`] is whole or absent, every write that a returned [`flush`](Store::flush)
//! covered (with [`Durability::OnReturn`], every returned write) is present, and one thread's
//! batches survive as a prefix. Damaged or foreign files are refused with
//! [`StorageError::StoreCorrupted`] instead of being read short (`tests/it/files.rs`); see
//! [`RedbStore`] for the checks.

mod digest;
mod error;
mod files;
mod group;
mod journal;
mod memory;
pub mod migrate;
mod postgres;
mod record;
mod redb_store;
#[cfg(feature = "sled")]
mod seal;
#[cfg(feature = "sled")]
mod sled_store;
#[cfg(feature = "sqlite")]
mod sqlite_store;
mod store;
mod table;
pub mod watch;

pub use digest::{ContentSummary, TableSummary, content_summary};
pub use error::{CasConflict, RequirementFailed, StorageError};
pub use memory::MemoryStore;
pub use postgres::{PgOptions, PgStore, SCHEMA_VERSION, redacted_url};
pub use record::{MigrationError, Record, Repo, Stored, decode_record, encode_record};
pub use redb_store::{Durability, RedbStore};
#[cfg(feature = "sled")]
pub use sled_store::SledStore;
#[cfg(feature = "sqlite")]
pub use sqlite_store::SqliteStore;
pub use store::{Entry, MAX_SCAN_LIMIT, Store, WriteBatch};
pub use table::{InvalidTableName, MAX_TABLE_NAME_LEN, Table};
