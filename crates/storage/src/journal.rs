//! A write-ahead journal: how [`RedbStore`](crate::RedbStore) makes each write durable on
//! return without a durable redb commit per write.
//!
//! Why: a durable redb commit rewrites and fsyncs every B-tree page the commit touched (about
//! 18 pages for a group of issuance writes on this workload), which cost the issuer agent a
//! fifth of its throughput. Appending the group's writes to this journal and fsyncing that
//! (usually one page) is what makes them durable instead; redb commits them without an fsync,
//! and a periodic *checkpoint* (one durable redb commit) makes the journal's records redundant
//! so it can start over. On open, the records past the last checkpoint are applied again.
//!
//! Layout: records back to back from offset 0, each a header (magic `RJ1S` or `RJ1U`, payload length,
//! sequence number, CRC-32 over the store id, sequence, length and payload) and a payload of
//! `(table, key, value or removal)` writes. The file is zero-filled ahead of the write position
//! in whole chunks, so an append overwrites allocated blocks and its `fdatasync` has no file
//! size to record. After a checkpoint, records start again at offset 0 with higher sequence
//! numbers, so older records left further on are never taken for new ones.
//!
//! With [`Durability::OnFlush`] records are written (to the OS, so a killed process keeps them)
//! but not fsynced; the next flush makes them durable. That is sled's guarantee, at sled's speed.
//!
//! Reading stops at the first record that is not the next in sequence or fails its checksum:
//! that is a write torn by a crash, which was never acknowledged (or, for unsynced records, one
//! a power loss took with the writes after it). A damaged record followed by the valid next one,
//! written fsynced, cannot come from a crash (each record is fsynced before the next is
//! written), so the journal is then refused as damaged.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::StorageError;
use crate::files::StoreId;
#[cfg(doc)]
use crate::redb_store::Durability;
use crate::store::Write;
use crate::table::Table;

/// The magic of a record fsynced before the write returned ([`Durability::OnReturn`]).
const MAGIC_SYNCED: &[u8; 4] = b"RJ1S";
/// The magic of a record left to the OS until the next flush ([`Durability::OnFlush`]).
const MAGIC_UNSYNCED: &[u8; 4] = b"RJ1U";
/// magic, payload length (u32), sequence (u64), CRC-32 (u32).
const HEADER: usize = 4 + 4 + 8 + 4;
/// The file is zero-filled this far ahead of the write position, a chunk at a time.
const CHUNK: u64 = 1 << 20;
/// Past this many bytes of records, the store checkpoints on its next write.
pub(crate) const CHECKPOINT_BYTES: u64 = 16 << 20;
/// The largest payload a reader accepts; a bigger length is damage.
const MAX_PAYLOAD: usize = 1 << 30;

/// The journal file of the store at `store`: next to it, with `.journal` appended.
pub(crate) fn journal_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_os_string();
    name.push(".journal");
    PathBuf::from(name)
}

/// One record read back: its sequence number and writes.
pub(crate) struct Record {
    pub(crate) seq: u64,
    pub(crate) writes: Vec<Write>,
}

pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    store_id: StoreId,
    /// Where the next record goes.
    pos: u64,
    /// How far the file is zero-filled (its length).
    filled: u64,
    /// The sequence number of the next record.
    next_seq: u64,
    /// The length of the record appended last (what [`retract_last`](Self::retract_last) takes
    /// back).
    last_len: u64,
    /// Whether the last record was fsynced.
    sync: bool,
}

impl Journal {
    /// Opens (or creates) the journal at `path` of the store `store_id`, whose last checkpoint
    /// holds every record up to `applied`. Returns the journal and the records after
    /// `applied`, in order, to be applied again; the journal then continues after them.
    pub(crate) fn open(
        path: &Path,
        store_id: StoreId,
        applied: u64,
    ) -> Result<(Self, Vec<Record>), StorageError> {
        let io = |source| StorageError::Io { source };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let filled = file.metadata().map_err(io)?.len();
        let mut bytes = vec![0; usize::try_from(filled).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut bytes, 0).map_err(io)?;
        let damaged = |reason: String| StorageError::StoreCorrupted {
            reason: format!("{}: {reason}", path.display()),
        };
        let mut records = Vec::new();
        let mut pos = 0usize;
        let mut expected = applied + 1;
        loop {
            match parse(&bytes[pos..], &store_id, expected) {
                Parsed::Record { len, writes, .. } => {
                    records.push(Record {
                        seq: expected,
                        writes: writes.map_err(damaged)?,
                    });
                    pos += len;
                    expected += 1;
                }
                Parsed::End => break,
                Parsed::Damaged { len } => {
                    // A crash tears at most the last record; a valid next one means damage.
                    let next = pos.saturating_add(len);
                    if next < bytes.len()
                        && matches!(
                            parse(&bytes[next..], &store_id, expected + 1),
                            Parsed::Record { synced: true, .. }
                        )
                    {
                        return Err(damaged(format!(
                            "journal record {expected} is damaged, and later records follow it"
                        )));
                    }
                    break;
                }
            }
        }
        let journal = Self {
            file,
            path: path.to_path_buf(),
            store_id,
            pos: pos as u64,
            filled,
            next_seq: expected,
            last_len: 0,
            sync: true,
        };
        Ok((journal, records))
    }

    /// The sequence number the next [`append`](Self::append) gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends the record of `writes` with sequence number [`next_seq`](Self::next_seq) and
    /// returns once it is written: on disk if `sync`, else handed to the OS (it survives a
    /// killed process, and reaches the disk by the next checkpoint).
    pub(crate) fn append<'w>(
        &mut self,
        writes: impl IntoIterator<Item = &'w Write>,
        sync: bool,
    ) -> Result<(), StorageError> {
        let mut record = vec![0; HEADER];
        for w in writes {
            let table = w.table.as_str().as_bytes();
            record.extend_from_slice(&(table.len() as u16).to_le_bytes());
            record.extend_from_slice(table);
            record.extend_from_slice(&(w.key.len() as u32).to_le_bytes());
            record.extend_from_slice(&w.key);
            match &w.value {
                Some(value) => {
                    record.push(1);
                    record.extend_from_slice(&(value.len() as u32).to_le_bytes());
                    record.extend_from_slice(value);
                }
                None => record.push(0),
            }
        }
        let payload_len = record.len() - HEADER;
        if payload_len > MAX_PAYLOAD {
            return Err(StorageError::Unsupported {
                reason: format!("a write of {payload_len} bytes is larger than the store takes"),
            });
        }
        let len = (payload_len as u32).to_le_bytes();
        let seq = self.next_seq.to_le_bytes();
        let crc = checksum(&self.store_id, &seq, &len, &record[HEADER..]);
        record[..4].copy_from_slice(if sync { MAGIC_SYNCED } else { MAGIC_UNSYNCED });
        record[4..8].copy_from_slice(&len);
        record[8..16].copy_from_slice(&seq);
        record[16..20].copy_from_slice(&crc.to_le_bytes());

        let io = |source| StorageError::Io { source };
        let end = self.pos + record.len() as u64;
        if end > self.filled {
            // Zeros up to the next chunk boundary: later appends then change no file size.
            let filled = end.div_ceil(CHUNK) * CHUNK;
            let zeros = vec![0; usize::try_from(filled - self.filled).unwrap_or(0)];
            self.file.write_all_at(&zeros, self.filled).map_err(io)?;
            self.filled = filled;
        }
        self.file.write_all_at(&record, self.pos).map_err(io)?;
        if sync {
            self.file.sync_data().map_err(io)?;
        }
        self.sync = sync;
        self.pos = end;
        self.last_len = record.len() as u64;
        self.next_seq += 1;
        Ok(())
    }

    /// Takes back the record just appended, whose writes did not commit: its header is zeroed,
    /// so a reopen does not apply them.
    pub(crate) fn retract_last(&mut self) -> Result<(), StorageError> {
        let io = |source| StorageError::Io { source };
        let start = self.pos - self.last_len;
        self.file.write_all_at(&[0; HEADER], start).map_err(io)?;
        if self.sync {
            self.file.sync_data().map_err(io)?;
        }
        self.pos = start;
        self.last_len = 0;
        self.next_seq -= 1;
        Ok(())
    }

    /// Bytes of records since the last checkpoint.
    pub(crate) fn len(&self) -> u64 {
        self.pos
    }

    /// After a checkpoint made every record durable in the store: start again at offset 0.
    pub(crate) fn restart(&mut self) {
        self.pos = 0;
        self.last_len = 0;
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("pos", &self.pos)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

fn checksum(store_id: &StoreId, seq: &[u8], len: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(store_id);
    h.update(seq);
    h.update(len);
    h.update(payload);
    h.finalize()
}

enum Parsed {
    /// The expected record, `len` bytes in all; `synced`: it was fsynced before it returned.
    Record {
        len: usize,
        synced: bool,
        writes: Result<Vec<Write>, String>,
    },
    /// No record here: zeros, an older record, or the end of the file.
    End,
    /// A record header for the expected sequence whose checksum fails; `len` bytes in all.
    Damaged { len: usize },
}

fn parse(bytes: &[u8], store_id: &StoreId, expected: u64) -> Parsed {
    let Some(header) = bytes.get(..HEADER) else {
        return Parsed::End;
    };
    let synced = match &header[..4] {
        m if m == MAGIC_SYNCED => true,
        m if m == MAGIC_UNSYNCED => false,
        _ => return Parsed::End,
    };
    let len = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default()) as usize;
    let seq = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
    let crc = u32::from_le_bytes(header[16..20].try_into().unwrap_or_default());
    if seq != expected {
        return Parsed::End;
    }
    let total = HEADER.saturating_add(len);
    let Some(payload) = bytes.get(HEADER..total) else {
        return Parsed::Damaged { len: total };
    };
    if checksum(store_id, &header[8..16], &header[4..8], payload) != crc {
        return Parsed::Damaged { len: total };
    }
    Parsed::Record {
        len: total,
        synced,
        writes: decode(payload),
    }
}

/// The writes of a payload whose checksum holds (so a failure here is a bug, or a foreign
/// writer).
fn decode(mut payload: &[u8]) -> Result<Vec<Write>, String> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
        if bytes.len() < n {
            return Err("a journal record ends inside a write".to_owned());
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    fn u32_at(bytes: &mut &[u8]) -> Result<usize, String> {
        let b = take(bytes, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    let mut writes = Vec::new();
    while !payload.is_empty() {
        let n = take(&mut payload, 2)?;
        let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
        let name = std::str::from_utf8(take(&mut payload, n)?)
            .map_err(|_| "a journal record names a table that is not UTF-8".to_owned())?;
        let table = Table::interned(name).map_err(|e| e.to_string())?;
        let n = u32_at(&mut payload)?;
        let key = take(&mut payload, n)?.to_vec();
        let value = match take(&mut payload, 1)?[0] {
            0 => None,
            1 => {
                let n = u32_at(&mut payload)?;
                Some(take(&mut payload, n)?.to_vec())
            }
            other => {
                return Err(format!(
                    "a journal record holds an unknown write kind {other}"
                ));
            }
        };
        writes.push(Write { table, key, value });
    }
    Ok(writes)
}
