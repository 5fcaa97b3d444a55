// Project rules the type checker cannot see, each one a promise Tessera makes:
// token values never reach web storage, logs or raw HTML, and nothing breaks the strict
// Content Security Policy (no inline styles, no remote resources, no eval).
// Usage: node scripts/lint-rules.mjs [dir]  (exits 1 and lists every finding)

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = process.argv[2] ?? join(root, 'src');

/** @type {{ id: string, pattern: RegExp, why: string, files: RegExp, tests?: boolean }[]} */
const RULES = [
  {
    id: 'no-web-storage',
    pattern: /\b(localStorage|sessionStorage|indexedDB|document\.cookie)\b/,
    why: 'token values must never be persisted by the webview; preferences go through shell.ts',
    files: /\.(ts|svelte)$/,
  },
  {
    id: 'no-console',
    pattern: /\bconsole\.(log|info|debug|warn|error|trace|dir)\b/,
    why: 'a log line can carry a token value; show errors as sentences instead',
    files: /\.(ts|svelte)$/,
  },
  {
    id: 'no-raw-html',
    pattern: /\{@html\b|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML/,
    why: 'raw HTML bypasses escaping',
    files: /\.(ts|svelte)$/,
  },
  {
    id: 'no-eval',
    pattern: /\beval\s*\(|new\s+Function\s*\(/,
    why: "the CSP forbids 'unsafe-eval'",
    files: /\.(ts|svelte)$/,
  },
  {
    id: 'no-inline-style',
    pattern: /\sstyle(:[\w-]+)?\s*=/,
    why: "the CSP forbids inline styles: use a class",
    files: /\.svelte$/,
  },
  {
    id: 'no-remote-resources',
    pattern: /(url\(\s*['"]?(https?:)?\/\/|@import\s+['"]?(https?:)?\/\/|\s(src|href)=["']?(https?:)?\/\/)/,
    why: 'the CSP allows no remote fonts, images or scripts',
    files: /\.(css|svelte|html)$/,
  },
  {
    id: 'no-url-secrets',
    pattern: /\b(location\.(hash|search|href)\s*=|history\.(push|replace)State)/,
    why: 'nothing secret may reach the URL, and the app has no routes',
    files: /\.(ts|svelte)$/,
  },
];

/**
 * @param {string} dir
 * @returns {Generator<string>}
 */
function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const isTest = (/** @type {string} */ path) => /\.test\.ts$/.test(path);
/** @type {string[]} */
const findings = [];

for (const path of [...walk(srcDir), join(root, 'index.html')]) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  for (const rule of RULES) {
    if (!rule.files.test(path)) continue;
    // Tests build DOM fixtures and fake clipboards; the product rules are about shipped code.
    if (isTest(path) && rule.id !== 'no-console') continue;
    lines.forEach((line, i) => {
      if (line.trimStart().startsWith('//')) return;
      if (rule.pattern.test(line)) {
        findings.push(`${relative(root, path)}:${i + 1}: ${rule.id}: ${rule.why}\n    ${line.trim()}`);
      }
    });
  }
}

if (findings.length > 0) {
  console.error(findings.join('\n'));
  console.error(`\n${findings.length} finding(s).`);
  process.exit(1);
}
console.log(`lint-rules: ${RULES.length} rules, no findings.`);
