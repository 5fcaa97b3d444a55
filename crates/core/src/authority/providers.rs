//! Providers configured through the API, kept in the store as their configuration JSON so that
//! every replica sees an instance admin's change at once. The sign-in service owns what they
//! mean (and their client secrets); here they are only kept.

use super::{Authority, Caller};
use crate::audit::Outcome;
use crate::error::Result;

impl Authority {
    /// The providers configured through the API: (id, configuration JSON), by id.
    pub async fn stored_providers(&self) -> Result<Vec<(String, String)>> {
        self.store.providers().await
    }

    /// Keeps a provider configured through the API, once the caller was checked with
    /// [`Authority::require_instance_admin`]; an existing id is a conflict.
    pub async fn store_provider(&self, id: &str, config: &str) -> Result<()> {
        self.store.insert_provider(id, config, self.now()).await
    }

    /// Removes a provider configured through the API, once the caller was checked with
    /// [`Authority::require_instance_admin`]; false when there was none.
    pub async fn remove_stored_provider(&self, id: &str) -> Result<bool> {
        self.store.delete_provider(id).await
    }

    /// Replaces the configuration of a provider configured through the API, once the caller was
    /// checked with [`Authority::require_instance_admin`], and audits it as `provider.update`
    /// with `detail` (what changed); false when there was none.
    pub async fn replace_stored_provider(&self, caller: &Caller, id: &str, config: &str, detail: &str) -> Result<bool> {
        if !self.store.update_provider(id, config).await? {
            return Ok(false);
        }
        let now = self.now();
        self.audit(&caller.actor(), "provider.update", id, Outcome::Ok, caller.ip.as_deref(), detail, now).await;
        Ok(true)
    }
}
