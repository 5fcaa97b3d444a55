/// <reference types="svelte" />
/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Development in a browser only: the API to talk to (default http://127.0.0.1:7878). */
  readonly VITE_TESSERA_API_URL?: string;
  /** Development in a browser only: a login session from `tessera admin session NAME`. */
  readonly VITE_TESSERA_TOKEN?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
