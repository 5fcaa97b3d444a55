//! The token parser (`tessera_core::token::parse`) on any text, and on real values with one
//! byte changed.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_core::token::{self, TokenKind, VALUE_LEN};

/// One real value of each kind, made once per run.
fn values() -> &'static [String; 4] {
    static VALUES: OnceLock<[String; 4]> = OnceLock::new();
    VALUES.get_or_init(|| {
        TokenKind::ALL.map(|k| token::generate(k).map(|v| v.expose().to_owned()).expect("the OS random source works"))
    })
}

fuzz_target!(|data: &[u8]| {
    // Any text: what parse accepts has the documented shape, and the API boundary agrees.
    if let Ok(s) = std::str::from_utf8(data) {
        match token::parse(s) {
            Ok(kind) => {
                assert_eq!(s.len(), VALUE_LEN, "{s:?}");
                assert!(s.starts_with(&format!("tsr_{}_", kind.tag())), "{s:?} parsed as {kind:?}");
                assert!(s[8..].bytes().all(|b| b.is_ascii_alphanumeric()), "{s:?}");
                assert!(token::parse_credential(s).is_ok(), "{s:?}");
            }
            Err(_) => assert!(token::parse_credential(s).is_err(), "{s:?}"),
        }
        // A hint shows at most the eight-character prefix and the last four characters.
        let hint = token::hint(s);
        assert!(hint.len() <= 8 + '…'.len_utf8() + 4, "hint {hint:?} of {s:?}");
    }

    // A real value with one byte changed: a change after the prefix (the random part or the
    // checksum) is always caught; a change in the prefix never yields the same kind.
    let [which, pos, byte, ..] = *data else { return };
    let kind_index = usize::from(which) % TokenKind::ALL.len();
    let original = &values()[kind_index];
    let i = usize::from(pos) % VALUE_LEN;
    let mut bytes = original.as_bytes().to_vec();
    if bytes[i] == byte {
        return;
    }
    bytes[i] = byte;
    let Ok(changed) = String::from_utf8(bytes) else { return };
    let parsed = token::parse(&changed);
    if i >= 8 {
        assert!(parsed.is_err(), "{changed:?} (changed at {i}) was accepted as {parsed:?}");
    } else {
        assert_ne!(parsed, Ok(TokenKind::ALL[kind_index]), "{changed:?} (changed at {i})");
    }
});
