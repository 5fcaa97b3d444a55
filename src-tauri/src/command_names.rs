// The shell's commands, by name: included by build.rs (which generates their permissions for the
// capability) and by commands.rs (which registers them), so the two lists cannot drift apart.

/// Every command, for the handler and the capability.
pub const ALL: &[&str] = &[
    "server_info",
    "current_session",
    "first_answers",
    "start_local",
    "sign_in",
    "cancel_sign_in",
    "sign_out",
    "link_identity",
    "copy_to_clipboard",
    "clear_clipboard_if_unchanged",
    "get_preferences",
    "set_preferences",
    "mark_ready",
    "attention_changed",
];
