//! Staying signed in: the devices a sign-in makes, renewing their sessions, and signing them
//! out. The rules are in [`crate::device`]; here they meet the store and the audit log.

use chrono::{DateTime, Utc};

use super::{Authority, Caller, Credential, IssuedSession};
use crate::audit::Outcome;
use crate::device::{self, Device, DeviceRecord, Renewal};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::User;
use crate::secret::Secret;
use crate::token;

/// A device a sign-in or renewal just made or renewed, with the refresh credential it must keep
/// for next time. The credential is in no other answer, ever.
#[derive(Debug)]
pub struct NewDevice {
    /// The device, as Account lists it.
    pub device: Device,
    /// Its refresh credential, valid until it is used once.
    pub refresh: Secret,
}

/// A renewed login: the next session and the next refresh credential.
#[derive(Debug)]
pub struct Renewed {
    /// The account as stored, with its local role; the session's role (which may be its
    /// identity's higher one) is what authenticating the session says.
    pub user: User,
    /// The new one-hour session.
    pub session: IssuedSession,
    /// The device with its next refresh credential.
    pub device: NewDevice,
}

/// What a refused renewal says: the same sentence whatever the reason, so a guess learns
/// nothing about which values were ever valid.
const REFUSED: &str = "the refresh credential is no longer valid; sign in again";

impl Authority {
    /// Makes a device for `user`, signed in through `identity` (none: locally), and its first
    /// session.
    pub(super) async fn start_device(
        &self,
        user: &User,
        identity: Option<&str>,
        name: &str,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(IssuedSession, NewDevice)> {
        let refresh = device::new_refresh()?;
        let record = DeviceRecord {
            id: new_id("dev")?,
            user_id: user.id.clone(),
            name: name.to_owned(),
            identity_id: identity.map(str::to_owned),
            created_at: now,
            last_seen_at: now,
            last_seen_ip: ip.map(str::to_owned),
            expires_at: now + device::IDLE_LIFETIME,
            revoked_at: None,
        };
        self.store.insert_device(&record, &token::hash(refresh.expose())).await?;
        let session = self.issue_session_for(user, identity, Some(&record.id), now).await?;
        self.audit(&format!("user:{}", user.id), "device.create", &record.id, Outcome::Ok, ip, name, now).await;
        Ok((session, NewDevice { device: record.view(Some(&record.id)), refresh }))
    }

    /// `POST /sessions/refresh`: spends `refresh` for a new session and the next credential. A
    /// value spent before revokes its device and every session renewed through it.
    pub async fn renew_session(&self, refresh: &str, ip: Option<&str>) -> Result<Renewed> {
        let now = self.now();
        if !device::is_refresh_shaped(refresh) {
            self.note_failed_authentication(ip, "refresh", "not a refresh credential");
            return Err(Error::Unauthenticated(REFUSED));
        }
        let next = device::new_refresh()?;
        let renewal = self
            .store
            .renew_device(&token::hash(refresh), &token::hash(next.expose()), now, ip, now + device::IDLE_LIFETIME)
            .await?;
        let record = match renewal {
            Renewal::Renewed(record) => record,
            Renewal::Spent(device_id) => {
                self.store.revoke_device(&device_id, now).await?;
                let why = "a spent refresh credential was presented again; the device and its sessions are revoked";
                self.audit("anonymous", "device.reuse", &device_id, Outcome::Denied, ip, why, now).await;
                self.note_failed_authentication(ip, "refresh", "spent refresh credential");
                // Denials do not read the change counter: the revoked sessions must stop working
                // in this process at once.
                self.credentials_changed();
                return Err(Error::Unauthenticated(REFUSED));
            }
            Renewal::Unknown => {
                self.note_failed_authentication(ip, "refresh", "unknown refresh credential");
                return Err(Error::Unauthenticated(REFUSED));
            }
        };
        let user = self.store.user(&record.user_id).await?.ok_or(Error::Unauthenticated(REFUSED))?;
        if user.disabled {
            self.store.revoke_device(&record.id, now).await?;
            self.audit(
                &format!("user:{}", user.id),
                "device.renew",
                &record.id,
                Outcome::Denied,
                ip,
                "account disabled",
                now,
            )
            .await;
            return Err(Error::forbidden("this account is disabled; ask an instance administrator"));
        }
        let session = self.issue_session_for(&user, record.identity_id.as_deref(), Some(&record.id), now).await?;
        Ok(Renewed { user, session, device: NewDevice { device: record.view(Some(&record.id)), refresh: next } })
    }

    /// A one-hour session of the device whose current refresh credential is `refresh`, without
    /// spending it: for a program on the same computer acting for the app that keeps the device's
    /// credential in the keyring (`tessera git-credential --desktop` over the desktop app's local
    /// store). Whoever holds the credential could renew with it, so this grants nothing more; the
    /// session belongs to the device and ends with it. An unknown, spent, revoked or idle device,
    /// or a disabled account, is refused.
    pub async fn device_session(&self, refresh: &str) -> Result<IssuedSession> {
        let now = self.now();
        if !device::is_refresh_shaped(refresh) {
            return Err(Error::Unauthenticated(REFUSED));
        }
        let live = self.store.device_by_refresh(&token::hash(refresh)).await?;
        let Some(record) = live.filter(|d| d.revoked_at.is_none() && d.expires_at > now) else {
            return Err(Error::Unauthenticated(REFUSED));
        };
        let user = self.store.user(&record.user_id).await?.ok_or(Error::Unauthenticated(REFUSED))?;
        if user.disabled {
            return Err(Error::forbidden("this account is disabled; ask an instance administrator"));
        }
        let session = self.issue_session_for(&user, record.identity_id.as_deref(), Some(&record.id), now).await?;
        let actor = format!("user:{}", user.id);
        self.audit(&actor, "session.create", &user.id, Outcome::Ok, None, "for this computer's device", now).await;
        Ok(session)
    }

    /// `GET /user/devices`: the caller's signed-in devices, the current one marked.
    pub async fn devices(&self, caller: &Caller) -> Result<Vec<Device>> {
        let user = self.session_user(caller, "device.list").await?;
        let current = current_device(caller);
        let records = self.store.devices_of(&user.id, self.now()).await?;
        Ok(records.iter().map(|d| d.view(current)).collect())
    }

    /// `DELETE /user/devices/{id}`: signs one of the caller's devices out, with its sessions.
    pub async fn revoke_device(&self, caller: &Caller, id: &str) -> Result<()> {
        let user = self.session_user(caller, "device.revoke").await?;
        let now = self.now();
        let owned = self.store.device(id).await?.filter(|d| d.user_id == user.id && d.revoked_at.is_none());
        let Some(device) = owned else {
            return Err(Error::NotFound("device"));
        };
        self.store.revoke_device(&device.id, now).await?;
        self.audit(&caller.actor(), "device.revoke", &device.id, Outcome::Ok, caller.ip.as_deref(), &device.name, now)
            .await;
        Ok(())
    }

    /// `POST /user/sessions`: one more one-hour session for the caller, outside any device, for
    /// calling the API by hand. It carries the same identity (and so the same role) as the
    /// caller's session and ends within the hour; signing the device out does not end it.
    pub async fn extra_session(&self, caller: &Caller) -> Result<IssuedSession> {
        let user = self.session_user(caller, "session.create").await?;
        let now = self.now();
        let identity = match &caller.credential {
            Credential::Session { session_id, .. } => self.store.session(session_id).await?.and_then(|s| s.identity_id),
            Credential::Token { .. } => None,
        };
        let session = self.issue_session_for(&user, identity.as_deref(), None, now).await?;
        self.audit(&caller.actor(), "session.create", &user.id, Outcome::Ok, caller.ip.as_deref(), "by hand", now)
            .await;
        Ok(session)
    }
}

/// The device of the caller's session, if it has one.
fn current_device(caller: &Caller) -> Option<&str> {
    match &caller.credential {
        Credential::Session { device_id, .. } => device_id.as_deref(),
        Credential::Token { .. } => None,
    }
}
