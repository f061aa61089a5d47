//! Index allocation: random, never reused.
//!
//! Sequential indices would tell a verifier the order of issuance and let two verifiers
//! correlate neighbours; random ones spread credentials over the whole list, the herd of
//! [`crate::MIN_LIST_LENGTH`] the spec's privacy argument rests on. An index is never handed
//! out twice, even after its credential is revoked, because the bit belongs to that credential
//! forever.

use rand::RngCore;

use crate::bitstring::{StatusList, StatusListError};

/// Random draws before falling back to a scan; with the list under ~99% full a draw succeeds
/// within this many tries almost always, and the scan keeps allocation total when it does not.
const RANDOM_TRIES: usize = 64;

/// Allocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllocatorError {
    /// Every index of the list has been handed out; start a new list.
    #[error("all {0} indices of the list are allocated")]
    Full(usize),
    /// The stored allocation map is not a valid list.
    #[error("invalid allocation map: {0}")]
    Invalid(#[from] StatusListError),
}

/// Which indices of one list are taken. Persist [`Self::as_bytes`] before using an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexAllocator {
    taken: StatusList,
    count: usize,
}

impl IndexAllocator {
    /// An allocator for a fresh list of `len` entries.
    pub fn new(len: usize) -> Result<Self, AllocatorError> {
        Ok(Self {
            taken: StatusList::new(len)?,
            count: 0,
        })
    }

    /// An allocator restored from [`Self::as_bytes`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, AllocatorError> {
        let taken = StatusList::from_bytes(bytes)?;
        let count = taken.count_set();
        Ok(Self { taken, count })
    }

    /// The allocation map (bit set = index taken), for storage.
    pub fn as_bytes(&self) -> &[u8] {
        self.taken.as_bytes()
    }

    /// How many indices have been handed out.
    pub fn allocated(&self) -> usize {
        self.count
    }

    /// The list's size.
    pub fn capacity(&self) -> usize {
        self.taken.len()
    }

    /// Whether `index` has been handed out.
    pub fn is_allocated(&self, index: u64) -> bool {
        self.taken.get(index).unwrap_or(false)
    }

    /// A random index never handed out before, marked as taken.
    pub fn allocate(&mut self, rng: &mut dyn RngCore) -> Result<u64, AllocatorError> {
        let len = self.taken.len() as u64;
        if self.count >= self.taken.len() {
            return Err(AllocatorError::Full(self.taken.len()));
        }
        for _ in 0..RANDOM_TRIES {
            let candidate = rng.next_u64() % len;
            if self.try_take(candidate) {
                return Ok(candidate);
            }
        }
        // Nearly full: scan bytes from a random start (skipping full ones) so the result
        // stays unpredictable and the scan costs at most one pass over the map.
        let bytes = self.taken.as_bytes();
        let start = (rng.next_u64() % len / 8) as usize;
        let found = (0..bytes.len())
            .map(|offset| (start + offset) % bytes.len())
            .find_map(|i| {
                let byte = *bytes.get(i)?;
                // The first clear bit, counting from the most significant (bit order of the list).
                (byte != 0xff).then(|| i as u64 * 8 + u64::from(byte.leading_ones()))
            });
        match found {
            Some(candidate) if self.try_take(candidate) => Ok(candidate),
            _ => Err(AllocatorError::Full(self.taken.len())),
        }
    }

    fn try_take(&mut self, index: u64) -> bool {
        let free = matches!(self.taken.get(index), Ok(false));
        let taken = free && self.taken.set(index, true).is_ok();
        if taken {
            self.count += 1;
        }
        taken
    }
}
