//! Folders and files only their owner may read.
//!
//! On Unix the modes say so: 0700 for a folder, 0600 for a file. On Windows a new file takes the
//! access list of its folder, and Tessera's folders are inside the user's profile, which other
//! users cannot open; nothing more is set there.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Creates `dir` (and its parents) and makes it readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io("create the folder", dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(Error::io("protect the folder", dir))?;
    }
    Ok(())
}

/// Creates the file at `path` if it is missing and makes it readable by its owner only; what it
/// holds is left as it is.
pub fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(Error::io("create the file", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode through open: set it.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(Error::io("protect the file", path))?;
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path`, readable by its owner only from its first byte, and
/// flushes it to the disk. An existing file is an error, never overwritten.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_folder_is_its_owners_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert!(dir.is_dir());
        #[cfg(unix)]
        assert_eq!(mode(&dir), 0o700);
        // Again, on a folder that is there: fine.
        create_private_dir(&dir).unwrap();
    }

    #[test]
    fn a_new_private_file_is_never_written_over() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key");
        write_new_private(&path, b"first").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert!(write_new_private(&path, b"second").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_is_made_private_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store.db");
        std::fs::write(&path, b"rows").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_file(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"rows");
    }

    #[test]
    fn a_folder_that_cannot_be_made_says_which() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let e = create_private_dir(&file.join("below")).unwrap_err();
        assert!(e.to_string().starts_with("cannot create the folder "), "{e}");
        assert!(e.to_string().contains("below"), "{e}");
    }
}
