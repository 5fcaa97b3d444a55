// How a linked account's state reads in the Account pane.

import type { Identity } from './api/types';
import { expiryState, relativeTime } from './time';

/** "Connected", "Connected, expires in 7 hours", "Expired", "Disconnected". */
export function identityStatusText(identity: Identity, now: Date): string {
  if (identity.status === 'disconnected') return 'Disconnected';
  if (identity.status === 'expired' || expiryState(identity.expires_at, now) === 'expired') {
    return 'Expired';
  }
  if (identity.expires_at === null) return 'Connected';
  return `Connected, expires ${relativeTime(identity.expires_at, now)}`;
}
