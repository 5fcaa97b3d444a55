//! The platform layer's errors, one variant per thing a caller tells the person.

use std::path::PathBuf;

/// What went wrong below Tessera, in the operating system.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No home folder to put the data under, and no `TESSERA_DATA_DIR`.
    #[error("set TESSERA_DATA_DIR or HOME so Tessera knows where to keep its data")]
    NoHome,
    /// A folder or file could not be made or protected.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("create the folder").
        what: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// There is no desktop here to open a browser on.
    #[error("there is no desktop here to open a web browser on")]
    NoDesktop,
    /// Only web addresses are opened.
    #[error("only http and https addresses are opened in a browser")]
    NotWeb,
    /// The browser could not be started.
    #[error("could not open a web browser: {0}")]
    Browser(String),
}

/// The platform layer's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io<'a>(what: &'static str, path: &'a std::path::Path) -> impl FnOnce(std::io::Error) -> Self + 'a {
        move |source| Self::Io { what, path: path.to_path_buf(), source }
    }
}
