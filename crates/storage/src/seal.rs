//! The flush seal: a small file beside sled's log recording how many flushes completed.
//!
//! sled treats damage in the middle of its log as a torn tail and silently recovers only the
//! records before it (measured: halving the `db` file reopens with half the records and no
//! error). To notice, every [`SledStore::flush`](crate::SledStore) first writes a counter into
//! the store, flushes sled, then writes the same counter here. sled durably holds a counter at
//! least as large as the seal's, so a smaller one on open means flushed writes were lost.
//!
//! The seal also carries the store's random id, so a log file from another store (a mixed-up
//! restore) is refused rather than read.
//!
//! The file has two 48-byte slots, written alternately, so a torn write of one leaves the
//! other intact: `magic (8) | store id (16) | counter (8, LE) | FNV-1a of the first 32 bytes
//! (8) | zero (8)`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The seal's file name inside the store directory.
pub(crate) const SEAL_FILE: &str = "rosette.seal";
const MAGIC: &[u8; 8] = b"RSTSEAL1";
const SLOT: usize = 48;
const HEAD: usize = 32;

pub(crate) use crate::files::StoreId;

/// An open seal file.
#[derive(Debug)]
pub(crate) struct Seal {
    file: File,
    id: StoreId,
}

/// What reading a seal found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SealState {
    /// The valid slot with the highest counter.
    Sealed {
        /// The store id the seal belongs to.
        id: StoreId,
        /// The number of completed flushes.
        flushes: u64,
    },
    /// The file exists but no slot is valid.
    Damaged,
}

impl Seal {
    /// Creates the seal file of store `id` in `dir` with counter 0 in both slots, durably.
    pub(crate) fn create(dir: &Path, id: StoreId) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dir.join(SEAL_FILE))?;
        let mut seal = Self { file, id };
        seal.write_slot(0, 0)?;
        seal.write_slot(1, 0)?;
        // Durable before the store is renamed into place, which requires it.
        seal.file.sync_all()?;
        Ok(seal)
    }

    /// Opens the seal file in `dir` and reads it; `Ok(None)` if there is none.
    pub(crate) fn open(dir: &Path) -> io::Result<Option<(Self, SealState)>> {
        let mut file = match OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(SEAL_FILE))
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::with_capacity(2 * SLOT);
        Read::by_ref(&mut file)
            .take(2 * SLOT as u64)
            .read_to_end(&mut bytes)?;
        let best = bytes
            .chunks(SLOT)
            .filter_map(decode_slot)
            .max_by_key(|&(_, flushes)| flushes);
        Ok(Some(match best {
            Some((id, flushes)) => (Self { file, id }, SealState::Sealed { id, flushes }),
            None => (Self { file, id: [0; 16] }, SealState::Damaged),
        }))
    }

    /// Takes an exclusive lock on the seal file for as long as this value lives; `Ok(false)` if
    /// another handle (in any process) holds it.
    pub(crate) fn try_lock(&self) -> io::Result<bool> {
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Records that flush number `counter` completed.
    ///
    /// Not fsynced: that would cost a second fsync per flush (measured: 4x slower flushes).
    /// The write happens after sled's log is durable, so whatever reaches the disk is never
    /// ahead of the log; after a power loss the seal may lag, which only weakens detection.
    /// A SIGKILL loses nothing: the write is already in the page cache.
    pub(crate) fn record(&mut self, counter: u64) -> io::Result<()> {
        self.write_slot((counter % 2) as usize, counter)
    }

    fn write_slot(&mut self, slot: usize, counter: u64) -> io::Result<()> {
        self.file.seek(SeekFrom::Start((slot * SLOT) as u64))?;
        self.file.write_all(&encode_slot(self.id, counter))
    }
}

fn encode_slot(id: StoreId, counter: u64) -> [u8; SLOT] {
    let counter = counter.to_le_bytes();
    let mut head = [0u8; HEAD];
    let fields = MAGIC.iter().chain(&id).chain(&counter);
    for (dst, src) in head.iter_mut().zip(fields) {
        *dst = *src;
    }
    let mut out = [0u8; SLOT];
    for (dst, src) in out
        .iter_mut()
        .zip(head.iter().chain(&fnv1a(&head).to_le_bytes()))
    {
        *dst = *src;
    }
    out
}

fn decode_slot(slot: &[u8]) -> Option<(StoreId, u64)> {
    let head = slot.get(..HEAD)?;
    let sum = u64::from_le_bytes(slot.get(HEAD..HEAD + 8)?.try_into().ok()?);
    if head.get(..8)? != MAGIC || fnv1a(head) != sum {
        return None;
    }
    let id = head.get(8..24)?.try_into().ok()?;
    let counter = u64::from_le_bytes(head.get(24..32)?.try_into().ok()?);
    Some((id, counter))
}

/// FNV-1a, 64-bit: enough to tell a torn or garbled slot from a written one.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: StoreId = *b"0123456789abcdef";

    #[test]
    fn slots_round_trip_and_reject_damage() {
        for n in [0, 1, 7, u64::MAX] {
            assert_eq!(decode_slot(&encode_slot(ID, n)), Some((ID, n)));
        }
        let mut slot = encode_slot(ID, 5);
        slot[9] ^= 1;
        assert_eq!(decode_slot(&slot), None);
        assert_eq!(decode_slot(&[0u8; SLOT]), None);
        assert_eq!(decode_slot(&[]), None);
    }

    #[test]
    fn newest_valid_slot_wins_and_a_torn_slot_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut seal = Seal::create(dir.path(), ID).unwrap();
        seal.record(1).unwrap();
        seal.record(2).unwrap();
        seal.record(3).unwrap();
        drop(seal);
        let (_, state) = Seal::open(dir.path()).unwrap().unwrap();
        assert_eq!(state, SealState::Sealed { id: ID, flushes: 3 });
        // Tear slot 1 (counter 3): slot 0 (counter 2) remains.
        let path = dir.path().join(SEAL_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[SLOT + 10] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            Seal::open(dir.path()).unwrap().unwrap().1,
            SealState::Sealed { id: ID, flushes: 2 }
        );
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(
            Seal::open(dir.path()).unwrap().unwrap().1,
            SealState::Damaged
        );
        std::fs::remove_file(&path).unwrap();
        assert!(Seal::open(dir.path()).unwrap().is_none());
    }
}
