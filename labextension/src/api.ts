/**
 * The server extension's routes (agno_nb/labserver): a notebook's store as the sidebar lists it, and a
 * stored run's trace. Requests go through JupyterLab's `ServerConnection`, which adds the token and
 * the XSRF header Jupyter Server checks.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface RunRow {
  run_id: string;
  session_id: string | null;
  component_type: string | null;
  component_id: string | null;
  component_name: string | null;
  user_id: string | null;
  status: string;
  input: unknown;
  content: unknown;
  error: string | null;
  created_at: number;
  updated_at: number;
  metrics: { input_tokens?: number; output_tokens?: number; duration?: number; cost?: number | null };
}

export interface SessionRow {
  session_id: string;
  session_type: string;
  component_id: string | null;
  user_id: string | null;
  name: string | null;
  created_at: number;
  updated_at: number;
  run_count: number;
}

export interface PendingRequirement {
  tool_call_id: string;
  tool_name: string;
  arguments: Record<string, unknown>;
  kind: string;
  user_input_fields: string[] | null;
}

export interface ApprovalRow {
  run_id: string;
  session_id: string | null;
  user_id: string | null;
  component_id: string | null;
  component_name: string | null;
  component_type: string | null;
  input: unknown;
  created_at: number;
  claimed_by: string | null;
  requirements: PendingRequirement[];
}

export interface StoreSummary {
  store: string;
  exists: boolean;
  sessions: SessionRow[];
  runs: RunRow[];
  approvals: ApprovalRow[];
}

/** Where a store is: the notebook's own file, or a DuckDB file the kernel named. */
export type StoreRef = { notebook: string } | { store: string };

/** A failed request, with the server's one-line message. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly locked: boolean, readonly refused = false) {
    super(message);
  }
}

/** A request to the server extension; a failure is an `ApiError` with the server's one-line message. */
export async function request<T>(method: string, path: string[], query: Record<string, string> = {},
  headers?: Record<string, string>, body?: unknown): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'agno-nb', 'api', ...path.map(encodeURIComponent)) +
    URLExt.objectToQueryString(query);
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(`The Jupyter server did not answer: ${String(error)}`, 0, false);
  }
  let data: any = null;
  try {
    data = await response.json();
  } catch {
    // not JSON: a proxy's error page, or a server without agno_nb's extension
  }
  if (!response.ok) {
    const message = data?.message ?? (response.status === 404
      ? 'The Jupyter server has no agno_nb routes: is agno_nb installed in the environment running JupyterLab?'
      : response.statusText);
    throw new ApiError(message, response.status, data?.locked === true, data?.refused === true);
  }
  return data as T;
}

function get<T>(path: string[], query: Record<string, string>, headers?: Record<string, string>): Promise<T> {
  return request<T>('GET', path, query, headers);
}

export function storeSummary(ref: StoreRef): Promise<StoreSummary> {
  return get<StoreSummary>(['store'], ref as Record<string, string>);
}

export function storedTrace(ref: StoreRef, runId: string): Promise<unknown> {
  return get<unknown>(['trace', runId], ref as Record<string, string>);
}

// ------------------------------------------------------------------------------ served runtime

/** A served runtime (agno-nb serve) and its API key, from Lab's settings. */
export interface Runtime {
  url: string;
  apiKey: string;
}

export interface RemoteSession {
  session_id: string;
  session_type?: string;
  component_id?: string | null;
  user_id?: string | null;
  name?: string | null;
  updated_at?: number;
  run_count?: number;
}

export interface RemoteRun {
  run_id: string;
  session_id?: string | null;
  status: string;
  component_name?: string | null;
  component_id?: string | null;
  input?: unknown;
  created_at?: number;
  metrics?: { input_tokens?: number; output_tokens?: number; duration?: number };
}

/** A read route of the runtime, through the Jupyter server (which adds the bearer key). */
export function remote<T>(runtime: Runtime, path: string[], query: Record<string, string> = {}): Promise<T> {
  return get<T>(['remote', ...path], query, { 'X-Agno-Runtime-URL': runtime.url, 'X-Agno-Runtime-Key': runtime.apiKey });
}

/** The runtime's most recent sessions and, for the first few, their latest runs (newest first). */
export async function remoteRuns(runtime: Runtime, sessions = 8): Promise<{ sessions: RemoteSession[]; runs: RemoteRun[] }> {
  const listed = await remote<{ data: RemoteSession[] }>(runtime, ['sessions'], { limit: String(sessions) });
  const pages = await Promise.all(listed.data.map(s =>
    remote<{ data: RemoteRun[] }>(runtime, ['sessions', s.session_id, 'runs'], { limit: '50' })));
  const runs = pages.flatMap(page => page.data)
    .sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  return { sessions: listed.data, runs: runs.slice(0, 50) };
}
