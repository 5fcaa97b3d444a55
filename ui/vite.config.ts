import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
// Provider logos live beside the app icons so the Rust shell and the UI share one copy.
const iconsDir = fileURLToPath(new URL('../icons', import.meta.url));

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Relative asset paths: the bundle is served by the Tauri webview, not from a web root.
  base: './',
  // Tauri's dev server expects a fixed port and its own messages in the terminal.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    fs: { allow: [uiRoot, iconsDir] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The Content Security Policy forbids data: URLs, so every asset ships as a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
    reporters: ['default', './scripts/summary-reporter.mjs'],
  },
});
