//! Where the sealed wallet bytes live: the [`Storage`] trait, the crash-safe [`FileStorage`]
//! and the in-memory [`MemoryStorage`].
//!
//! All file I/O of the crate is in this module. The wallet logic sees only opaque bytes, so it
//! runs unchanged against browser storage, a mobile keystore-backed blob, or memory.
//!
//! # Atomic replacement (`FileStorage::store`)
//!
//! 1. create `.<name>.tmp.<pid>.<random>` in the wallet's directory (`O_EXCL`, mode 0600 on
//!    Unix), write the complete file, `fsync` it;
//! 2. `rename` it over `<name>` (atomic on POSIX file systems: a reader sees the old or the new
//!    file, never a mixture);
//! 3. `fsync` the directory, so that the rename itself survives a power loss.
//!
//! A crash before step 2 leaves the old wallet untouched plus a stray temporary file (ignored
//! by [`load`](Storage::load); [`FileStorage::remove_stale_temp_files`] deletes old ones). A
//! crash after step 2 leaves the new wallet. If a step fails, the temporary file is removed and
//! the old wallet is untouched.

use core::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::{random_bytes, MAX_FILE_LEN};
use crate::WalletError;

/// A place holding one sealed wallet.
pub trait Storage {
    /// The stored bytes, or `None` if no wallet has been stored.
    ///
    /// # Errors
    /// [`WalletError::Io`]; [`WalletError::Corrupt`] if the stored object is larger than
    /// [`MAX_FILE_LEN`].
    fn load(&self) -> Result<Option<Vec<u8>>, WalletError>;

    /// Replaces the stored bytes atomically: whatever happens during the call (error, crash,
    /// power loss), a later [`load`](Self::load) returns either the previous bytes or `bytes`.
    ///
    /// # Errors
    /// [`WalletError::Io`].
    fn store(&mut self, bytes: &[u8]) -> Result<(), WalletError>;
}

/// The wallet in a file, replaced atomically on every save (see the module documentation).
#[derive(Clone, Debug)]
pub struct FileStorage {
    path: PathBuf,
}

/// Temporary files older than this are considered abandoned by
/// [`FileStorage::remove_stale_temp_files`].
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

impl FileStorage {
    /// A wallet at `path`. The parent directory must exist when saving.
    pub fn new(path: impl Into<PathBuf>) -> FileStorage {
        FileStorage { path: path.into() }
    }

    /// The wallet file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    fn temp_prefix(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "wallet".to_owned());
        format!(".{name}.tmp.")
    }

    /// Step 1: writes `bytes` to a new temporary file next to the wallet and syncs it. Returns
    /// its path. On error the temporary file is removed.
    pub(crate) fn write_temp(&self, bytes: &[u8]) -> Result<PathBuf, WalletError> {
        let rnd: [u8; 8] = random_bytes()?;
        let tmp = self.dir().join(format!(
            "{}{}.{}",
            self.temp_prefix(),
            std::process::id(),
            hex::encode(rnd)
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .map_err(WalletError::io("creating the temporary file"))?;
        let written = file
            .write_all(bytes)
            .map_err(WalletError::io("writing the temporary file"))
            .and_then(|()| {
                file.sync_all()
                    .map_err(WalletError::io("syncing the temporary file"))
            });
        drop(file);
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(tmp)
    }

    /// Steps 2 and 3: renames the temporary file over the wallet and syncs the directory.
    pub(crate) fn commit(&self, tmp: &Path) -> Result<(), WalletError> {
        if let Err(e) = fs::rename(tmp, &self.path) {
            let _ = fs::remove_file(tmp);
            return Err(WalletError::Io {
                op: "renaming the temporary file over the wallet",
                source: e,
            });
        }
        sync_dir(self.dir())
    }

    /// Deletes temporary files of this wallet (left by a crash mid-save) that are older than
    /// [`STALE_TEMP_AGE`], so that a save in progress in another process is not disturbed.
    /// Returns how many were removed.
    ///
    /// # Errors
    /// [`WalletError::Io`] if the directory cannot be read or a file cannot be removed.
    pub fn remove_stale_temp_files(&self) -> Result<usize, WalletError> {
        let prefix = self.temp_prefix();
        let mut removed = 0;
        let entries = fs::read_dir(self.dir()).map_err(WalletError::io("reading the directory"))?;
        for entry in entries {
            let entry = entry.map_err(WalletError::io("reading the directory"))?;
            if !entry.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= STALE_TEMP_AGE);
            if stale {
                fs::remove_file(entry.path())
                    .map_err(WalletError::io("removing a stale temporary file"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), WalletError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(WalletError::io("syncing the wallet directory"))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), WalletError> {
    // Windows cannot open a directory as a file; MoveFileEx (used by rename) with
    // write-through is the platform's durability mechanism.
    Ok(())
}

impl Storage for FileStorage {
    fn load(&self) -> Result<Option<Vec<u8>>, WalletError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(WalletError::Io {
                    op: "opening the wallet file",
                    source: e,
                })
            }
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(WalletError::io("reading the wallet file"))?;
        if bytes.len() > MAX_FILE_LEN {
            return Err(WalletError::Corrupt {
                what: "file too large",
            });
        }
        Ok(Some(bytes))
    }

    fn store(&mut self, bytes: &[u8]) -> Result<(), WalletError> {
        let tmp = self.write_temp(bytes)?;
        self.commit(&tmp)
    }
}

/// A wallet held in memory (tests, or platforms where the host stores the bytes). A store
/// replaces the bytes in one step, so it is trivially atomic.
#[derive(Clone, Default)]
pub struct MemoryStorage {
    bytes: Option<Vec<u8>>,
}

impl MemoryStorage {
    /// Empty storage.
    pub const fn new() -> MemoryStorage {
        MemoryStorage { bytes: None }
    }

    /// Storage holding `bytes` (e.g. a wallet file read by the host).
    pub const fn with_bytes(bytes: Vec<u8>) -> MemoryStorage {
        MemoryStorage { bytes: Some(bytes) }
    }

    /// The stored bytes.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    /// Mutable access to the stored bytes (tests corrupt them through this).
    pub fn bytes_mut(&mut self) -> Option<&mut Vec<u8>> {
        self.bytes.as_mut()
    }
}

impl fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("len", &self.bytes.as_ref().map(Vec::len))
            .finish()
    }
}

impl Storage for MemoryStorage {
    fn load(&self) -> Result<Option<Vec<u8>>, WalletError> {
        Ok(self.bytes.clone())
    }

    fn store(&mut self, bytes: &[u8]) -> Result<(), WalletError> {
        self.bytes = Some(bytes.to_vec());
        Ok(())
    }
}

impl<S: Storage + ?Sized> Storage for &mut S {
    fn load(&self) -> Result<Option<Vec<u8>>, WalletError> {
        (**self).load()
    }

    fn store(&mut self, bytes: &[u8]) -> Result<(), WalletError> {
        (**self).store(bytes)
    }
}

impl<S: Storage + ?Sized> Storage for Box<S> {
    fn load(&self) -> Result<Option<Vec<u8>>, WalletError> {
        (**self).load()
    }

    fn store(&mut self, bytes: &[u8]) -> Result<(), WalletError> {
        (**self).store(bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileStorage::new(dir.path().join("w.netid"));
        assert!(s.load().unwrap().is_none());
        s.store(b"one").unwrap();
        assert_eq!(s.load().unwrap().unwrap(), b"one");
        s.store(b"two, longer").unwrap();
        assert_eq!(s.load().unwrap().unwrap(), b"two, longer");
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("w.netid")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(s.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn crash_before_rename_keeps_old_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileStorage::new(dir.path().join("w.netid"));
        s.store(b"old").unwrap();
        let tmp = s.write_temp(b"new").unwrap();
        // "Crash": the temporary file exists, the rename never happened.
        assert!(tmp.exists());
        assert_eq!(s.load().unwrap().unwrap(), b"old");
        // Fresh temp files are not removed (a save may be in progress)...
        assert_eq!(s.remove_stale_temp_files().unwrap(), 0);
        // ...and the next save works regardless.
        s.store(b"newer").unwrap();
        assert_eq!(s.load().unwrap().unwrap(), b"newer");
        assert!(tmp.exists());
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileStorage::new(dir.path().join("no/such/dir/w.netid"));
        assert!(matches!(s.store(b"x"), Err(WalletError::Io { .. })));
        assert!(s.load().unwrap().is_none());
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.netid");
        fs::write(&path, vec![0u8; MAX_FILE_LEN + 1]).unwrap();
        assert!(matches!(
            FileStorage::new(path).load(),
            Err(WalletError::Corrupt { .. })
        ));
    }
}
