// Pipeline files of a project: how their size reads, and why an import from the project's
// repository failed, said for the person who asked for that file (not as a bare status).

import { ApiError, errorSentence } from './api/client';
import type { PipelineImport } from './api/types';

/** The file a pipeline is imported from, by default; `tessera pipeline import` names it too. */
export const DEFAULT_PIPELINE_PATH = '.tessera/pipeline.yml';
/** The pipeline's name in the project, by default. */
export const DEFAULT_PIPELINE_NAME = 'ci';

/** How many lines `content` has; a final newline ends the last line rather than starting one. */
export function lineCount(content: string): number {
  if (content === '') return 0;
  const lines = content.split('\n').length;
  return content.endsWith('\n') ? lines - 1 : lines;
}

/** "1 line", "12 lines". */
export function linesText(content: string): string {
  const n = lineCount(content);
  return n === 1 ? '1 line' : `${n} lines`;
}

/** "at v2" or "on the default branch": where in the repository the file was looked for. */
function where(body: PipelineImport): string {
  return body.ref ? `at ${body.ref}` : 'on the default branch';
}

/** A sentence without its final stop and with a lower-case start, to sit inside another one. */
function clause(text: string): string {
  const t = text.trim().replace(/[.!?]+$/, '');
  return t.charAt(0).toLowerCase() + t.slice(1);
}

/**
 * Why importing `body` failed. A reconnect is offered beside this sentence by the caller, which
 * knows the provider's name (`providerName`, the provider's id when unknown).
 */
export function importErrorSentence(error: unknown, body: PipelineImport, providerName?: string): string {
  if (!(error instanceof ApiError)) return errorSentence(error);
  if (error.code === 'reconnect_required') {
    const account = providerName ?? error.provider ?? 'code host';
    return `Your ${account} account must be signed in to again before Tessera can read the repository. Reconnect it and the import runs again.`;
  }
  if (error.status === 404 && !/^project\b/i.test(error.message)) {
    return `There is no ${body.path} ${where(body)} of the project's repository. Check the path and the ref.`;
  }
  if (error.code === 'conflict') {
    // No linked account at the repository's host; otherwise the project's repository URL is the
    // trouble, which the sentence itself says how to fix.
    return /\blinked\b/.test(error.message) ? `${error.message} Linked accounts are in Account.` : errorSentence(error);
  }
  if (error.code === 'provider_unavailable') {
    return `Tessera could not read the file from the code host (${clause(error.message)}). Try again in a moment.`;
  }
  return error.message;
}
