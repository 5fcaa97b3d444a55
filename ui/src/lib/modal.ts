// The modal background: while a dialog is open everything outside it is `inert`, so no key, click
// or screen reader reaches what is behind it and the browser keeps focus (and draws it) inside.
// Dialogs stack: only the newest one is live, and a dialog that replaces another (opened before
// the old one's cleanup runs) is never made inert by it.

const open: HTMLElement[] = [];
const madeInert = new Set<Element>();

function apply(): void {
  for (const el of madeInert) el.removeAttribute('inert');
  madeInert.clear();
  const top = open[open.length - 1];
  if (top === undefined) return;
  for (let node: Element = top; node.parentElement !== null && node !== document.body; node = node.parentElement) {
    for (const sibling of Array.from(node.parentElement.children)) {
      if (sibling === node || sibling.hasAttribute('inert')) continue;
      if (sibling instanceof HTMLScriptElement || sibling instanceof HTMLStyleElement) continue;
      sibling.setAttribute('inert', '');
      madeInert.add(sibling);
    }
  }
}

/** Makes everything outside `dialog` inert until the returned function is called. */
export function holdModal(dialog: HTMLElement): () => void {
  open.push(dialog);
  apply();
  return () => {
    const index = open.lastIndexOf(dialog);
    if (index !== -1) open.splice(index, 1);
    apply();
  };
}
