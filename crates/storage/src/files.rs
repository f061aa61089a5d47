//! File helpers shared by the on-disk stores.

use std::fs;
use std::io;
use std::path::Path;

use crate::StorageError;

/// A store's random identity.
pub(crate) type StoreId = [u8; 16];

/// 128 random bits from the standard library's OS-seeded hasher keys (no extra dependency).
pub(crate) fn new_store_id() -> StoreId {
    use std::hash::{BuildHasher, RandomState};
    let mut id = [0u8; 16];
    for (i, half) in id.chunks_mut(8).enumerate() {
        let bits = RandomState::new().hash_one(i);
        half.copy_from_slice(&bits.to_le_bytes());
    }
    id
}

/// Makes the rename of a new store durable.
pub(crate) fn sync_parent(path: &Path) -> Result<(), StorageError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::File::open(parent).and_then(|dir| dir.sync_all()) {
        Ok(()) => Ok(()),
        // Some platforms cannot fsync a directory; the rename is still atomic there.
        Err(e)
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::PermissionDenied =>
        {
            Ok(())
        }
        Err(source) => Err(StorageError::Io { source }),
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
