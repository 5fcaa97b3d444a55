//! How the web view draws.
//!
//! On Linux, WebKitGTK draws the page without accelerated compositing: its hardware acceleration
//! policy is set to "never" on every web view as soon as it is created. A page of lists, forms and
//! dialogs does not need compositing layers; without them the web process keeps no layer buffers
//! (about 70 MB less for the app's window here) and a change is drawn as soon as it is laid out,
//! not after the compositor's next flush (the token list used to appear 0.3 to 0.5 s after its
//! data under Xvfb). The web view starts before the policy reaches it, so the compositor's
//! threads it started stay, idle (a few MB).
//!
//! `WEBKIT_DISABLE_COMPOSITING_MODE`, read by WebKitGTK itself, decides instead when it is set:
//! `WEBKIT_DISABLE_COMPOSITING_MODE=0 tessera-desktop` turns accelerated compositing back on (for
//! example to compare, or where drawing without it misbehaves), and `1` keeps it off. The setting
//! is made per web view rather than by setting that variable in the app's environment, so
//! programs the app starts (the web browser of a sign-in) do not inherit it.
//!
//! The bare window of the launch benchmark (`examples/bare.rs`) installs the same [`plugin`], so
//! the app is compared with a window that draws the same way.

use std::ffi::OsStr;

use tauri::plugin::TauriPlugin;
use tauri::Runtime;

/// The environment variable with which WebKitGTK turns accelerated compositing off (any value
/// but `0`) or leaves it on (`0`).
pub const COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Whether the app turns accelerated compositing off itself, given the value of
/// [`COMPOSITING_ENV`]: only when the variable is not set, so a person's choice there wins.
pub fn app_disables_compositing(env_value: Option<&OsStr>) -> bool {
    env_value.is_none()
}

/// A plugin that makes each web view draw as described in this module, as it is created.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("webview-drawing")
        .on_webview_ready(|webview| {
            if !app_disables_compositing(std::env::var_os(COMPOSITING_ENV).as_deref()) {
                return;
            }
            #[cfg(target_os = "linux")]
            {
                let set = webview.with_webview(|platform| {
                    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
                    match platform.inner().settings() {
                        Some(settings) => settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never),
                        None => tracing::warn!("the web view has no settings: it draws with compositing"),
                    }
                });
                if let Err(e) = set {
                    tracing::warn!(error = %e, "the web view draws with compositing");
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = webview;
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_turned_off_only_when_the_variable_is_unset() {
        assert!(app_disables_compositing(None));
        assert!(!app_disables_compositing(Some(OsStr::new("0"))));
        assert!(!app_disables_compositing(Some(OsStr::new("1"))));
        assert!(!app_disables_compositing(Some(OsStr::new(""))));
    }
}
