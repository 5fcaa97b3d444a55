// For component tests: axe-core's WCAG A and AA rules over a rendered part of a pane. Colours
// need a real renderer, so contrast is judged by the desktop end-to-end run, not here.
import axe from 'axe-core';

/** One line per violating node: "rule: selector". */
export async function axeViolations(element: HTMLElement): Promise<string[]> {
  const result = await axe.run(element, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    rules: { 'color-contrast': { enabled: false } },
    resultTypes: ['violations'],
  });
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}
