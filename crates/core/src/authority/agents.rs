//! Agents: machines that connect with an agent token, report their status and claim runs.

use super::{validate_name, Authority, Caller, Credential, AGENT_OFFLINE_AFTER};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{Agent, AgentStatus, Run, Token};
use crate::scope::Scope;
use crate::token::TokenKind;

impl Authority {
    fn agent_token<'a>(&self, caller: &'a Caller) -> Result<&'a Token> {
        match &caller.credential {
            Credential::Token { token, .. } if token.kind == TokenKind::Agent => Ok(token),
            _ => Err(Error::forbidden("only an agent token may use the agent endpoints")),
        }
    }

    /// The agent `id`, if it belongs to the same owner as the caller's agent token.
    pub(super) async fn own_agent(&self, caller: &Caller, id: &str, action: &str) -> Result<Agent> {
        let token = self.guard(caller, action, id, self.agent_token(caller)).await?;
        self.store.agent(id).await?.filter(|a| a.owner == token.owner).ok_or(Error::NotFound("agent"))
    }

    /// Connects an agent with an agent token; it belongs to the token's owner.
    pub async fn connect_agent(&self, caller: &Caller, name: &str) -> Result<Agent> {
        validate_name("agent name", name, 100)?;
        let token = self.guard(caller, "agent.connect", name, self.agent_token(caller)).await?;
        let now = self.now();
        let agent = Agent {
            id: new_id("agt")?,
            name: name.to_owned(),
            owner: token.owner.clone(),
            token_id: token.id.clone(),
            status: AgentStatus::Online,
            last_seen_at: now,
            created_at: now,
        };
        self.store.insert_agent(&agent).await?;
        Ok(agent)
    }

    /// Records an agent's status.
    pub async fn heartbeat(&self, caller: &Caller, id: &str, status: AgentStatus) -> Result<Agent> {
        let mut agent = self.own_agent(caller, id, "agent.heartbeat").await?;
        let now = self.now();
        self.store.set_agent_status(&agent.id, status, now).await?;
        agent.status = status;
        agent.last_seen_at = now;
        Ok(agent)
    }

    /// Gives the agent the oldest queued run of its owner's projects, if there is one.
    pub async fn claim(&self, caller: &Caller, id: &str) -> Result<Option<Run>> {
        let agent = self.own_agent(caller, id, "agent.claim").await?;
        let now = self.now();
        let run = self.store.claim_run(&agent.owner, &agent.id).await?;
        let status = if run.is_some() { AgentStatus::Busy } else { AgentStatus::Online };
        self.store.set_agent_status(&agent.id, status, now).await?;
        Ok(run)
    }

    /// The agents of the caller and of the caller's organizations; every agent for an instance
    /// admin's session. An agent not heard from for [`AGENT_OFFLINE_AFTER`] is shown as offline.
    pub async fn list_agents(&self, caller: &Caller) -> Result<Vec<Agent>> {
        self.guard(caller, "agent.list", "", caller.require(Scope::Read)).await?;
        let now = self.now();
        let mut agents = if self.is_instance_admin(caller) {
            self.store.all_agents().await?
        } else {
            let owners = self.visible_owners(caller).await?;
            self.store.agents_of(&owners).await?
        };
        for a in &mut agents {
            if now - a.last_seen_at > AGENT_OFFLINE_AFTER {
                a.status = AgentStatus::Offline;
            }
        }
        Ok(agents)
    }
}
