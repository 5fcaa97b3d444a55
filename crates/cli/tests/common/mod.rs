//! What the command line's integration tests share.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::process::Child;

/// The `tessera` binary under test.
pub const TESSERA: &str = env!("CARGO_BIN_EXE_tessera");

/// A child process, killed and reaped when the test ends (passing or not).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
