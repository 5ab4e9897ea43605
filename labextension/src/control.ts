/**
 * The control plane's commands on the server: export a notebook as a served app, serve it on 127.0.0.1,
 * list and stop what is served (agno_nb/labserver/control.py).
 */

import { request } from './api';

export interface ExportResult {
  notebook: string;
  out: string;
  files: string[];
  components: { kind: string; name: string }[];
  warnings: string[];
  command: string;
}

export interface ServedNotebook {
  id: string;
  path: string;
  url: string;
  pid: number;
  started: number;
  running: boolean;
  exit_code: number | null;
}

/** Export `path` (relative to the server's root) next to itself; a 409 `ApiError` when the folder exists. */
export function exportNotebook(path: string, force = false): Promise<ExportResult> {
  return request<ExportResult>('POST', ['export'], {}, undefined, { path, force });
}

/** Serve `path` with `agno-nb serve` on a free port of 127.0.0.1; resolves once it answers /health. */
export function serveNotebook(path: string): Promise<ServedNotebook> {
  return request<ServedNotebook>('POST', ['serve'], {}, undefined, { path });
}

export async function servedNotebooks(): Promise<ServedNotebook[]> {
  return (await request<{ served: ServedNotebook[] }>('GET', ['serve'])).served;
}

export function stopServed(id: string): Promise<unknown> {
  return request<unknown>('DELETE', ['serve', id]);
}
