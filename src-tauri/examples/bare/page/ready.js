// Marks the frame after the page is shown, the way the app marks its token list.
requestAnimationFrame(() => window.__TAURI_INTERNALS__.invoke('mark_ready', { what: 'page' }));
