// What needs attention, as sentences and as the pane that deals with it. The server decides what
// needs attention (GET /api/v1/user/attention); this only words it and says where to go.

import type { Attention } from './api/types';
import { expiryText } from './time';

const TOKEN_NOUNS: Record<Attention['place'], string> = {
  personal_tokens: 'Personal access token',
  agent_tokens: 'Agent token',
  org_tokens: 'Organization token',
  org_agent_tokens: 'Organization agent token',
  linked_accounts: 'Linked account',
};

/** The pane where `item` is dealt with. */
export function attentionPane(item: Attention): string {
  switch (item.place) {
    case 'personal_tokens':
      return 'personal-tokens';
    case 'agent_tokens':
      return 'agent-tokens';
    case 'org_tokens':
    case 'org_agent_tokens':
      return 'organizations';
    case 'linked_accounts':
      return 'account';
  }
}

/** One sentence for `item` at `now`, e.g. “Personal access token “ci” expires in 3 days.” */
export function attentionText(item: Attention, now: Date): string {
  if (item.kind === 'link_reconnect') {
    return `Your ${item.provider ?? 'code host'} account ${item.label} needs reconnecting: sign in with it again.`;
  }
  const of = item.org_name ? ` of ${item.org_name}` : '';
  const when = expiryText(item.at, now);
  const verb = item.kind === 'token_expired' ? when : `expires ${when}`;
  return `${TOKEN_NOUNS[item.place]} “${item.label}”${of} ${verb}.`;
}

/** A key that names `item` and what about it, so each is announced once. */
export function attentionKey(item: Attention): string {
  return `${item.kind}:${item.id}`;
}
