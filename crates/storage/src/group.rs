//! Group commit: concurrent callers' writes committed together, one engine transaction for all.
//!
//! Why: every engine transaction has a fixed cost: redb fsyncs on each commit, and sled 0.34 seals its log buffer at the end of every multi-key transaction and hands the
//! write to its IO thread pool, waking every idle IO thread; measured, that is a third of the
//! issuer agent's CPU under load (see the crate README). Committing the writes that arrive while
//! one transaction runs as the next single transaction pays that cost once per group.
//!
//! The first caller to find no commit running becomes the leader: it takes every queued request
//! (its own included), commits them and hands each caller its own outcome. Callers that arrive
//! meanwhile wait; when the leader is done, one of them leads the next group. A caller's requests
//! are committed in the order it made them, so one thread's writes stay ordered.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::store::{Requirement, Write, WriteBatch};
use crate::table::Table;
use crate::{RequirementFailed, StorageError};

/// The most requests committed in one group; more wait for the next one.
const MAX_GROUP: usize = 64;
/// How many times a leader yields its thread for more writers to join before it commits.
const MAX_YIELDS: usize = 8;

/// A queue of requests `R` committed in groups, each answered with an outcome `O`.
pub(crate) struct GroupCommit<R, O> {
    state: Mutex<State<R, O>>,
    changed: Condvar,
}

struct State<R, O> {
    /// Requests not yet taken by a leader, with their tickets, in arrival order.
    queue: Vec<(u64, R)>,
    /// Outcomes not yet collected by their callers, by ticket.
    done: BTreeMap<u64, O>,
    next_ticket: u64,
    /// Whether a leader is committing a group now.
    leading: bool,
}

impl<R, O> GroupCommit<R, O> {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                queue: Vec::new(),
                done: BTreeMap::new(),
                next_ticket: 0,
                leading: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<R, O>> {
        // The state is consistent between statements (no half-made changes survive an unwind),
        // so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `request` and returns its outcome once its group is committed.
    ///
    /// `commit` gets a group of requests in arrival order and must return one outcome per
    /// request, in the same order; `lost` makes the outcome of a request whose outcome `commit`
    /// did not return (a bug in `commit`), so that no caller waits forever.
    pub(crate) fn submit(
        &self,
        request: R,
        commit: impl Fn(Vec<R>) -> Vec<O>,
        lost: impl Fn() -> O,
    ) -> O {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket = state.next_ticket.wrapping_add(1);
        state.queue.push((ticket, request));
        loop {
            if let Some(outcome) = state.done.remove(&ticket) {
                return outcome;
            }
            if !state.leading {
                // Our request is still queued: outcomes are stored before `leading` is cleared.
                state.leading = true;
                // Let writers running on other threads reach their write and join this group;
                // stop as soon as a yield brings nobody new.
                for _ in 0..MAX_YIELDS {
                    let queued = state.queue.len();
                    drop(state);
                    std::thread::yield_now();
                    state = self.lock();
                    if state.queue.len() == queued || state.queue.len() >= MAX_GROUP {
                        break;
                    }
                }
                let take = state.queue.len().min(MAX_GROUP);
                let group: Vec<(u64, R)> = state.queue.drain(..take).collect();
                drop(state);
                let (tickets, requests): (Vec<u64>, Vec<R>) = group.into_iter().unzip();
                let unwinding = AbortOnUnwind;
                let outcomes = commit(requests);
                std::mem::forget(unwinding);
                state = self.lock();
                let mut outcomes = outcomes.into_iter();
                for t in tickets {
                    let outcome = outcomes.next().unwrap_or_else(&lost);
                    state.done.insert(t, outcome);
                }
                state.leading = false;
                self.changed.notify_all();
                continue;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The same error again, for each caller of a failed group (errors are not `Clone`: an I/O
/// error keeps its kind and message).
pub(crate) fn duplicate(e: &StorageError) -> StorageError {
    match e {
        StorageError::Io { source } => StorageError::Io {
            source: io::Error::new(source.kind(), source.to_string()),
        },
        StorageError::StoreCorrupted { reason } => StorageError::StoreCorrupted {
            reason: reason.clone(),
        },
        StorageError::Unsupported { reason } => StorageError::Unsupported {
            reason: reason.clone(),
        },
        other => StorageError::EngineBug {
            reason: other.to_string(),
        },
    }
}

/// One caller's writes, with the checks that must hold for them to apply.
pub(crate) struct Request {
    pub(crate) writes: Vec<Write>,
    pub(crate) checks: Vec<Requirement>,
}

impl Request {
    /// An unconditional write of `value` under `key` (`None`: remove it).
    pub(crate) fn write(table: Table, key: &[u8], value: Option<&[u8]>) -> Self {
        Self {
            writes: vec![Write {
                table,
                key: key.to_vec(),
                value: value.map(<[u8]>::to_vec),
            }],
            checks: Vec::new(),
        }
    }

    /// A compare-and-swap: `new` under `key` if it holds `expected` (`None`: absent).
    pub(crate) fn compare_and_swap(
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Self {
        Self {
            writes: vec![Write {
                table,
                key: key.to_vec(),
                value: new.map(<[u8]>::to_vec),
            }],
            checks: vec![Requirement {
                table,
                key: key.to_vec(),
                expected: expected.map(<[u8]>::to_vec),
            }],
        }
    }

    /// A whole batch with its requirements.
    pub(crate) fn batch(batch: WriteBatch) -> Self {
        Self {
            writes: batch.writes,
            checks: batch.requirements,
        }
    }
}

/// What a committed [`Request`] came to: the value its first write replaced, or the check that
/// failed (and then nothing of it was written).
pub(crate) type Applied = Result<Option<Vec<u8>>, RequirementFailed>;

/// What a [`Request`] comes to: [`Applied`], or the error that failed its whole group.
pub(crate) type Outcome = Result<Applied, StorageError>;

/// A write without a check cannot conflict; if it says so, the engine misbehaved.
pub(crate) fn unconditional_conflict(_: RequirementFailed) -> StorageError {
    StorageError::EngineBug {
        reason: "an unconditional write reported a conflict".to_owned(),
    }
}

/// Aborts the process if the leader's commit unwinds: the requests it took out of the queue are
/// then held by nobody, and their callers would wait forever. The store's commit catches engine
/// panics itself, so only a bug in this crate can get here.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_caller_gets_its_own_outcome() {
        let group: Arc<GroupCommit<u64, u64>> = Arc::new(GroupCommit::new());
        let commits = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let group = Arc::clone(&group);
                let commits = Arc::clone(&commits);
                std::thread::spawn(move || {
                    for i in 0..500u64 {
                        let request = t * 1_000_000 + i;
                        let outcome = group.submit(
                            request,
                            |requests| {
                                commits.fetch_add(1, Ordering::Relaxed);
                                requests.iter().map(|r| r * 2).collect()
                            },
                            || u64::MAX,
                        );
                        assert_eq!(outcome, request * 2);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert!(commits.load(Ordering::Relaxed) <= 4_000);
        assert!(group.lock().done.is_empty());
        assert!(group.lock().queue.is_empty());
    }

    #[test]
    fn a_commit_that_forgets_outcomes_answers_lost() {
        let group: GroupCommit<u8, Option<u8>> = GroupCommit::new();
        assert_eq!(group.submit(1, |_| Vec::new(), || None), None);
        assert_eq!(group.submit(2, |r| vec![Some(r[0])], || None), Some(2));
    }
}
