#!/usr/bin/env node
// The end-to-end test's web browser ($BROWSER for the app): it signs in at the test OpenID
// provider (tests/idp) as $TESSERA_E2E_LOGIN, through the provider's own login and consent
// forms, and delivers the provider's redirect to the app's loopback listener, as a person in a
// real browser would. Each URL it was asked to open is appended to $TESSERA_E2E_BROWSER_LOG.
import { appendFileSync, readFileSync } from 'node:fs';
import { driveOidcLogin, request } from '../idp/lib/client.mjs';

const url = process.argv[2];
const log = (line) => process.env.TESSERA_E2E_BROWSER_LOG && appendFileSync(process.env.TESSERA_E2E_BROWSER_LOG, `${line}\n`);
try {
  const redirectUri = new URL(url).searchParams.get('redirect_uri');
  const ca = readFileSync(process.env.TESSERA_E2E_IDP_CA);
  const login = process.env.TESSERA_E2E_LOGIN ?? 'ada';
  const done = await driveOidcLogin({ authorizeUrl: url, redirectUri, login, ca });
  const delivered = await request(done.callback);
  log(`opened ${new URL(url).origin}${new URL(url).pathname} -> ${delivered.status}`);
} catch (e) {
  log(`failed: ${e.message}`);
  process.exit(1);
}
