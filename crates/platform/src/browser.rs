//! Opening a web address in the person's browser, for the command line: `$BROWSER` when set,
//! else xdg-open on Linux, `open` on macOS and the shell's default handler on Windows (all
//! through the `opener` crate, which carries its own copy of xdg-open for systems without one).

use crate::error::{Error, Result};

/// Opens `url`, an http or https address, in the person's browser. On Linux and the BSDs a
/// session without a display (and without `$BROWSER`) has no browser to show: that is
/// [`Error::NoDesktop`], so a caller can print the address instead.
pub fn open(url: &str) -> Result<()> {
    let parsed = url::Url::parse(url).map_err(|_| Error::NotWeb)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::NotWeb);
    }
    if !has_desktop() {
        return Err(Error::NoDesktop);
    }
    opener::open_browser(parsed.as_str()).map_err(|e| Error::Browser(e.to_string()))
}

/// Whether a browser could be shown here.
fn has_desktop() -> bool {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    set("BROWSER") || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_opened() {
        for url in ["file:///etc/passwd", "/etc/passwd", "javascript:alert(1)", "ssh://host", "not a url"] {
            assert!(matches!(open(url), Err(Error::NotWeb)), "{url}");
        }
    }
}
