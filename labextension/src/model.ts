/**
 * The trace bundle the kernel emits (`application/vnd.agno-nb.trace+json`, built by
 * agno_nb/traces/fold.py) as a typed tree, read defensively: a bundle from an older or newer
 * agno_nb renders what this version knows, and the notes say what it does not.
 *
 * Everything here is pure (no DOM), so it is unit-tested in Node.
 */

export const MIME_TYPE = 'application/vnd.agno-nb.trace+json';

/** The newest bundle format this renderer was written for (the bundle's `version` field). */
export const KNOWN_VERSION = 1;

export interface Span {
  id: string;
  kind: string;
  name: string;
  status: string;
  /** seconds from the run's start */
  start: number;
  /** seconds; null while the span is open */
  duration: number | null;
  attrs: Record<string, unknown>;
  children: Span[];
}

export interface Totals {
  input_tokens: number;
  output_tokens: number;
  model_requests: number;
  tool_calls: number;
  cost: number | null;
  ttft: number | null;
  duration: number | null;
  waited: number | null;
}

export interface Requirement {
  tool_call_id: string;
  tool_name: string;
  kind: string;
  arguments: unknown;
  user_input_fields: string[];
}

export interface Trace {
  version: number | null;
  run_id: string | null;
  agent: string | null;
  component_type: string | null;
  status: string;
  totals: Totals;
  answer: string;
  error: string | null;
  /** the run ended but its store refused the final write (shown until a retry saves it) */
  save_error: string | null;
  requirements: Requirement[];
  events: number;
  root: Span | null;
  stored: boolean;
  /** seconds the run had been working when this snapshot was taken (live bundles) */
  elapsed: number | null;
}

export interface ReadTrace {
  trace: Trace;
  /** what this renderer could not read or does not know, in words (shown above the tree) */
  notes: string[];
}

/** Top-level fields this version understands (anything else is reported, not dropped silently). */
const KNOWN_FIELDS = new Set([
  'version', 'run_id', 'agent', 'component_type', 'status', 'totals', 'answer', 'error', 'save_error',
  'requirements', 'events', 'root', 'stored', 'elapsed'
]);

/** Span kinds this version draws with their own icon and details. */
export const KNOWN_KINDS = new Set([
  'run', 'model', 'tool', 'reasoning', 'guardrail', 'validation', 'member', 'step', 'steps',
  'parallel', 'loop', 'condition', 'router'
]);

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function numOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : value == null ? fallback : String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Read a bundle into a `Trace`, never throwing: bad parts become notes. */
export function readTrace(data: unknown): ReadTrace {
  const notes: string[] = [];
  if (!isObject(data)) {
    notes.push('This output is not an agno_nb trace (expected a JSON object).');
    return { trace: emptyTrace(), notes };
  }
  const version = numOrNull(data.version);
  if (version === null) {
    notes.push('This trace has no format version (written by an older agno_nb): some details may be missing.');
  } else if (version > KNOWN_VERSION) {
    notes.push(
      `This trace uses format ${version}, newer than this extension knows (${KNOWN_VERSION}): ` +
        'it shows what it can. Update agno_nb in the environment that runs JupyterLab to see everything.'
    );
  }
  const unknown = Object.keys(data).filter(key => !KNOWN_FIELDS.has(key));
  if (unknown.length) {
    notes.push(`Not shown (unknown to this version): ${unknown.sort().join(', ')}.`);
  }
  const kinds = new Set<string>();
  const root = isObject(data.root) ? readSpan(data.root, kinds, 0) : null;
  if (data.root != null && root === null) {
    notes.push('The span tree could not be read.');
  }
  if (kinds.size) {
    notes.push(`Span kinds this version does not know, shown plainly: ${[...kinds].sort().join(', ')}.`);
  }
  const totals = isObject(data.totals) ? data.totals : {};
  const trace: Trace = {
    version,
    run_id: typeof data.run_id === 'string' ? data.run_id : null,
    agent: typeof data.agent === 'string' ? data.agent : null,
    component_type: typeof data.component_type === 'string' ? data.component_type : null,
    status: str(data.status, 'pending'),
    totals: {
      input_tokens: num(totals.input_tokens, 0),
      output_tokens: num(totals.output_tokens, 0),
      model_requests: num(totals.model_requests, 0),
      tool_calls: num(totals.tool_calls, 0),
      cost: numOrNull(totals.cost),
      ttft: numOrNull(totals.ttft),
      duration: numOrNull(totals.duration),
      waited: numOrNull(totals.waited)
    },
    answer: typeof data.answer === 'string' ? data.answer : data.answer == null ? '' : JSON.stringify(data.answer),
    error: data.error == null ? null : str(data.error, ''),
    save_error: data.save_error == null ? null : str(data.save_error, ''),
    requirements: Array.isArray(data.requirements) ? data.requirements.filter(isObject).map(readRequirement) : [],
    events: num(data.events, 0),
    root,
    stored: data.stored === true,
    elapsed: numOrNull(data.elapsed)
  };
  return { trace, notes };
}

function emptyTrace(): Trace {
  return {
    version: null, run_id: null, agent: null, component_type: null, status: 'pending',
    totals: {
      input_tokens: 0, output_tokens: 0, model_requests: 0, tool_calls: 0,
      cost: null, ttft: null, duration: null, waited: null
    },
    answer: '', error: null, save_error: null, requirements: [], events: 0, root: null, stored: false,
    elapsed: null
  };
}

const MAX_DEPTH = 200; // a guard against a malformed (cyclic-looking) tree

function readSpan(data: Record<string, unknown>, unknownKinds: Set<string>, depth: number): Span {
  const kind = str(data.kind, 'span');
  if (!KNOWN_KINDS.has(kind)) {
    unknownKinds.add(kind);
  }
  const children =
    Array.isArray(data.children) && depth < MAX_DEPTH
      ? data.children.filter(isObject).map(child => readSpan(child, unknownKinds, depth + 1))
      : [];
  return {
    id: str(data.id, ''),
    kind,
    name: str(data.name, kind),
    status: str(data.status, 'unknown'),
    start: num(data.start, 0),
    duration: numOrNull(data.duration),
    attrs: isObject(data.attrs) ? data.attrs : {},
    children
  };
}

function readRequirement(data: Record<string, unknown>): Requirement {
  return {
    tool_call_id: str(data.tool_call_id, ''),
    tool_name: str(data.tool_name, 'tool'),
    kind: str(data.kind, 'confirmation'),
    arguments: data.arguments ?? {},
    user_input_fields: Array.isArray(data.user_input_fields) ? data.user_input_fields.map(f => String(f)) : []
  };
}

// ------------------------------------------------------------------------------------ the tree

/** One visible line of the tree. */
export interface Row {
  span: Span;
  depth: number;
  hasChildren: boolean;
}

/**
 * The lines to draw, in order: the root's children and their descendants, except below a collapsed
 * span; with `only`, just those span ids (a search's matches and their ancestors).
 */
export function visibleRows(root: Span | null, collapsed: ReadonlySet<string>, only?: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  if (!root) {
    return rows;
  }
  const walk = (spans: Span[], depth: number): void => {
    for (const span of spans) {
      if (only && !only.has(span.id)) {
        continue;
      }
      rows.push({ span, depth, hasChildren: span.children.length > 0 });
      if (span.children.length && (only || !collapsed.has(span.id))) {
        walk(span.children, depth + 1);
      }
    }
  };
  walk(root.children, 0);
  return rows;
}

/** Every span below the root (depth first). */
export function allSpans(root: Span | null): Span[] {
  const out: Span[] = [];
  const walk = (spans: Span[]): void => {
    for (const span of spans) {
      out.push(span);
      walk(span.children);
    }
  };
  if (root) {
    walk(root.children);
  }
  return out;
}

/** Where the time axis ends: the run's duration, its elapsed time while live, or its last span's end. */
export function axisEnd(trace: Trace): number {
  const extent = trace.root ? spanExtent(trace.root) : 0;
  return Math.max(trace.totals.duration ?? 0, trace.elapsed ?? 0, extent) || 1e-9;
}

function spanExtent(span: Span): number {
  let end = span.start + (span.duration ?? 0);
  for (const child of span.children) {
    end = Math.max(end, spanExtent(child));
  }
  return end;
}

/** A span's bar on the shared axis, in percent: open spans reach the snapshot's elapsed time. */
export function bar(span: Span, end: number, elapsed: number | null): { left: number; width: number } {
  const start = Math.max(0, span.start);
  const stop = span.duration !== null ? start + span.duration : Math.max(start, elapsed ?? start);
  const left = Math.min(100, (100 * start) / end);
  const width = Math.max(0.4, Math.min(100 - left, (100 * (stop - start)) / end));
  return { left, width };
}

// ----------------------------------------------------------------------------------- search

/** The text a search looks through for a span: its name, kind, status and attribute values. */
export function spanText(span: Span): string {
  const parts = [span.name, span.kind, span.status];
  for (const value of Object.values(span.attrs)) {
    if (value != null) {
      parts.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  return parts.join('\n').toLowerCase();
}

export interface SearchResult {
  /** spans whose text contains the query */
  matches: Set<string>;
  /** matches and their ancestors: what the filtered tree shows */
  shown: Set<string>;
}

/** Spans matching a case-insensitive query (every word must occur), with their ancestors. */
export function search(root: Span | null, query: string): SearchResult {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = new Set<string>();
  const shown = new Set<string>();
  if (!root || !words.length) {
    return { matches, shown };
  }
  const walk = (span: Span, path: Span[]): void => {
    const text = spanText(span);
    if (words.every(word => text.includes(word))) {
      matches.add(span.id);
      shown.add(span.id);
      for (const ancestor of path) {
        shown.add(ancestor.id);
      }
    }
    const next = [...path, span];
    for (const child of span.children) {
      walk(child, next);
    }
  };
  for (const child of root.children) {
    walk(child, []);
  }
  return { matches, shown };
}

/** Ids of spans worth drawing attention to: errors, guardrail trips, rejections, waiting calls. */
export function flagged(span: Span): 'error' | 'blocked' | 'paused' | null {
  if (span.status === 'error' || span.attrs.error) {
    return 'error';
  }
  if (span.status === 'blocked' || span.status === 'rejected' || span.kind === 'guardrail') {
    return 'blocked';
  }
  if (span.status === 'paused') {
    return 'paused';
  }
  return null;
}

/** How many spans of each flag the tree holds (for the header). */
export function countFlags(root: Span | null): { error: number; blocked: number; paused: number } {
  const counts = { error: 0, blocked: 0, paused: 0 };
  for (const span of allSpans(root)) {
    const flag = flagged(span);
    if (flag) {
      counts[flag] += 1;
    }
  }
  return counts;
}
