// axe-core in the real WebKitGTK window: the library is injected into the page over WebDriver
// and run against the whole document, so what it judges is what WebKitGTK actually rendered
// (computed colours, the theme, the window size), not a jsdom approximation.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// axe-core is a dev dependency of the UI, installed by run.sh with the rest of ui/node_modules.
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../ui/package.json'));
const SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2, levels A and AA: what issue #15 asks the app to meet. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * The violations axe finds in the window now, one entry per node:
 * { rule, impact, selector, summary }.
 */
export async function axeViolations(s) {
  const loaded = await s.execute('return typeof window.axe === "object";');
  // The library is a classic script; run as a function body it assigns window.axe itself.
  if (!loaded) await s.execute(`${SOURCE}\nreturn null;`);
  const violations = await s.execute(
    `return window.axe
       .run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
       .then((r) => r.violations.flatMap((v) => v.nodes.map((n) => ({
         rule: v.id,
         impact: n.impact ?? v.impact,
         selector: n.target.join(' '),
         summary: (n.failureSummary ?? v.help).replace(/\\s+/g, ' ').trim(),
       }))));`,
    [TAGS],
  );
  return violations;
}
