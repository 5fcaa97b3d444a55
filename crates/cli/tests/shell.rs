//! `tessera completions SHELL` and `tessera man`: scripts a shell accepts and a manual page
//! `man` renders, with every command and the exit codes in it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

mod common;

use common::{command, ran, Ran};

fn tessera(args: &[&str]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let mut c = command(dir.path());
    c.args(args);
    ran(c, None)
}

fn installed(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn completion_scripts_for_bash_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, check) in [("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])] {
        let script = tessera(&["completions", shell]);
        let text = script.ok();
        assert!(text.len() > 1000, "{shell}: {text}");
        for word in ["login", "auth", "token", "project", "completions"] {
            assert!(text.contains(word), "{shell} completes {word}");
        }
        let file = dir.path().join(format!("tessera.{shell}"));
        std::fs::write(&file, text).unwrap();
        // Bash is always here; the others are checked where they are installed.
        if shell == "bash" || installed(check[0]) {
            let parsed = Command::new(check[0]).arg(check[1]).arg(&file).output().unwrap();
            assert!(parsed.status.success(), "{shell}: {}", String::from_utf8_lossy(&parsed.stderr));
        }
    }
    tessera(&["completions", "tcsh"]).failed(2, "tcsh");
}

#[test]
fn the_manual_page_renders_with_the_commands_and_exit_codes() {
    let page = tessera(&["man"]);
    let roff = page.ok();
    for section in [".TH tessera 1", ".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS", ".SH VERSION"] {
        assert!(roff.contains(section), "{section}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tessera.1");
    std::fs::write(&file, roff).unwrap();
    let text = if installed("man") {
        let out =
            Command::new("man").arg("-l").arg(&file).env("MANPAGER", "cat").env("MANWIDTH", "100").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        roff.to_owned()
    };
    for line in ["tessera-login", "tessera-auth", "tessera-token", "Exit codes:", "cannot reach the server"] {
        assert!(text.contains(line), "{line}: {text}");
    }
}
