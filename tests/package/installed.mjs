// Starts the installed desktop app (/usr/bin/tessera-desktop, from the .deb) through tauri-driver
// and WebKitWebDriver, as tests/e2e does with the built one, signs in locally (`--local`) and
// waits until the token list shows. Prints the time from launch to the token list, closes the
// app and waits (at most 30 s) until it is gone. tests/package/run.sh gives it a display, a
// private D-Bus session with its own keyring and a fresh HOME; the app finds its folders by the
// OS's convention there (no TESSERA_DATA_DIR).
//
// Environment: TESSERA_PACKAGE_APP (the installed binary), TESSERA_PACKAGE_SHOT (a PNG to write
// the token list to), TESSERA_READY_FILE (where the app marks the moment the list is drawn).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { gone, Session, startDriver } from '../e2e/webdriver.mjs';

const APP = process.env.TESSERA_PACKAGE_APP ?? '/usr/bin/tessera-desktop';
const SHOT = process.env.TESSERA_PACKAGE_SHOT;
const READY = process.env.TESSERA_READY_FILE;

/** The app's own mark of the token list drawn, in ms after `since` (a Date.now()), if it made one. */
function readyMark(since) {
  if (!READY) return null;
  try {
    const line = readFileSync(READY, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('token-list '));
    return line ? Number(BigInt(line.split(' ')[1]) / 1_000_000n) - since : null;
  } catch {
    return null;
  }
}

async function main() {
  const { driver, base } = await startDriver();
  let s;
  try {
    const started = Date.now();
    s = await Session.start(base, APP, ['--local']);
    await s.waitFor("[data-testid='tokens-personal']", { timeout: 60_000, what: 'the token list' });
    const shown = Date.now() - started;
    // Signed in as the local account on a fresh store: the list is there, and empty.
    await s.waitFor("[data-testid='tokens-personal'] [data-testid='empty-state']");
    assert.equal(await s.find("[data-testid='error']"), null, 'no error shown');
    if (SHOT) writeFileSync(SHOT, await s.screenshot());
    const drawn = readyMark(started);
    console.log(`package: launch to token list ${shown} ms (WebDriver saw it)${drawn === null ? '' : `, ${drawn} ms by the app's own mark`}`);
  } finally {
    // Ending the session closes the app: WebKitWebDriver ends the program it started. The driver
    // must outlive that; stopped at once, it could leave the app running (seen on a loaded
    // machine, about one run in four).
    await s?.end();
    if (s) await gone(APP);
    driver.kill();
  }
}

main().catch((e) => {
  console.error(`package: the installed app did not reach its token list: ${e.message}`);
  process.exit(1);
});
