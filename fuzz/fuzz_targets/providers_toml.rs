//! `providers.toml` parsing (`tessera_auth::provider::parse_file`): what it accepts is checked,
//! keeps no secret in the configuration clients may see, and is accepted again through the API's
//! JSON form.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use tessera_auth::provider::{parse_file, ProviderConfig, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(providers) = parse_file(text) else { return };
    let mut ids = HashSet::new();
    let claims = serde_json::json!({"groups": ["admin"], "realm_access": {"roles": ["admin", 1, true]}});
    for p in &providers {
        let id = p.id();
        assert!(ids.insert(id.to_owned()), "provider {id:?} accepted twice");
        assert!(
            !id.is_empty()
                && id.len() <= 40
                && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "provider id {id:?}"
        );
        assert!(p.config.client_secret.is_none(), "the client secret stays in the configuration");
        assert!(p.client_secret.as_ref().is_none_or(|s| !s.expose().is_empty()));
        assert_eq!(p.source, Source::File);
        assert!(!p.config.client_id.trim().is_empty());
        let _ = (p.base_url(), p.api_url(), p.scopes(), p.name());
        assert_eq!(p.role_from(&claims).is_some(), p.config.role_claim.is_some());
        // What the file accepts, the API accepts too, unchanged.
        let json = serde_json::to_value(&p.config).expect("a configuration serializes");
        let again: ProviderConfig = serde_json::from_value(json).expect("its JSON reads back");
        let again = again.into_provider(Source::Api).expect("the API accepts what the file accepted");
        assert_eq!(again.config, p.config);
    }
});
