//! What instance admins do with a provider once it exists: read its configuration, replace it,
//! and check that it works ([`crate::health`]). Adding and removing are in [`crate::sign_in`].
//!
//! A client secret is write-only here as everywhere: it goes to the secret store and comes back
//! only as `has_client_secret`.

use serde::Serialize;
use serde_json::Value;
use tessera_core::{Caller, Secret};

use crate::error::{AuthError, Result};
use crate::health::{self, CheckName, ProviderHealth};
use crate::provider::{Provider, ProviderConfig, Source};
use crate::sign_in::{client_secret_key, SignIn};

/// A provider's configuration as instance admins see it: never its client secret, only whether
/// one is kept.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderDetail {
    /// The configuration, without the client secret.
    pub config: ProviderConfig,
    /// Where it is configured: `file` providers are changed in providers.toml.
    pub source: Source,
    /// Whether a client secret is kept for it.
    pub has_client_secret: bool,
}

fn in_file(id: &str) -> AuthError {
    tessera_core::Error::Conflict(format!(
        "provider {id:?} is configured in providers.toml; change it there and restart Tessera"
    ))
    .into()
}

/// The names of the top-level fields that differ between two configurations.
fn changed_fields(old: &Value, new: &Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else { return Vec::new() };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| old.get(*k) != new.get(*k)).cloned().collect()
}

impl SignIn {
    /// A configured provider, its client secret not read.
    async fn configured(&self, id: &str) -> Result<Provider> {
        self.all_providers()
            .await?
            .into_iter()
            .find(|p| p.id() == id)
            .ok_or_else(|| AuthError::UnknownProvider(id.to_owned()))
    }

    /// Instance admins: a provider's configuration, without its client secret.
    pub async fn provider_detail(&self, caller: &Caller, id: &str) -> Result<ProviderDetail> {
        self.authority.require_instance_admin(caller, "provider.read").await?;
        let p = self.configured(id).await?;
        let has_client_secret = match p.source {
            Source::File => p.client_secret.is_some(),
            Source::Api => self.secrets.get(&client_secret_key(id)).await?.is_some(),
        };
        Ok(ProviderDetail { config: p.config, source: p.source, has_client_secret })
    }

    /// Instance admins: replaces the configuration of a provider configured through the API.
    /// A missing or empty `client_secret` keeps the stored one; a new one replaces it in the
    /// secret store before anything else changes, so a locked keyring changes nothing.
    pub async fn update_provider(
        &self,
        caller: &Caller,
        id: &str,
        mut config: ProviderConfig,
    ) -> Result<ProviderDetail> {
        self.authority.require_instance_admin(caller, "provider.update").await?;
        if self.file_providers.iter().any(|p| p.id() == id) {
            return Err(in_file(id));
        }
        if config.id != id {
            return Err(AuthError::InvalidRequest(format!(
                "the body's id {:?} is not the provider's id {id:?}: a provider's id cannot change; delete it and add it \
                 anew",
                config.id
            )));
        }
        let old = self
            .authority
            .stored_providers()
            .await?
            .into_iter()
            .find(|(i, _)| i == id)
            .map(|(_, json)| serde_json::from_str::<Value>(&json).unwrap_or(Value::Null))
            .ok_or_else(|| AuthError::UnknownProvider(id.to_owned()))?;
        let secret = config.client_secret.take().filter(|s| !s.is_empty()).map(Secret::new);
        let p = config.into_provider(Source::Api)?;
        let json = serde_json::to_value(&p.config).map_err(|e| AuthError::Config(e.to_string()))?;
        let mut changed = changed_fields(&old, &json);
        if let Some(s) = &secret {
            self.secrets.set(&client_secret_key(id), s).await?;
            changed.push("client secret".to_owned());
        }
        let detail =
            if changed.is_empty() { "nothing changed".to_owned() } else { format!("changed {}", changed.join(", ")) };
        if !self.authority.replace_stored_provider(caller, id, &json.to_string(), &detail).await? {
            return Err(AuthError::UnknownProvider(id.to_owned()));
        }
        // A new ca_file needs a new client.
        if let Ok(mut m) = self.clients.lock() {
            m.remove(id);
        }
        let has_client_secret = match secret {
            Some(_) => true,
            None => self.secrets.get(&client_secret_key(id)).await.ok().flatten().is_some(),
        };
        Ok(ProviderDetail { config: p.config, source: Source::Api, has_client_secret })
    }

    /// Instance admins: checks a provider now ([`crate::health`]).
    pub async fn test_provider(&self, caller: &Caller, id: &str) -> Result<ProviderHealth> {
        self.authority.require_instance_admin(caller, "provider.test").await?;
        self.check_provider(id).await
    }

    /// Checks a provider now, for whoever may already act on this instance (the command line
    /// on the store): discovery, a dry authorization request, the client at the token endpoint
    /// and what the role mapping needs.
    pub async fn check_provider(&self, id: &str) -> Result<ProviderHealth> {
        let mut p = self.configured(id).await?;
        let mut secret_problem = None;
        if p.source == Source::Api {
            match self.secrets.get(&client_secret_key(id)).await {
                Ok(s) => p.client_secret = s,
                Err(e) => secret_problem = Some(e.to_string()),
            }
        }
        let http = match self.http(&p) {
            Ok(h) => h,
            Err(e) => return Ok(ProviderHealth::failed(id, CheckName::Setup, e.to_string())),
        };
        Ok(health::check(&p, &http, secret_problem.as_deref()).await)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_are_named_by_field() {
        let old = json!({"id": "a", "issuer": "https://x", "scopes": ["openid"], "name": null});
        let new = json!({"id": "a", "issuer": "https://y", "scopes": ["openid"], "name": null, "admin_team": "a/b"});
        assert_eq!(changed_fields(&old, &new), vec!["admin_team", "issuer"]);
        assert!(changed_fields(&old, &old).is_empty());
    }
}
