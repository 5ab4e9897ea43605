/**
 * The interactive trace: a header (status, totals, prompt, answer, what waits for a person), a search
 * box, and the span tree with timing bars on one shared time axis. Each row opens its details (tool
 * arguments and results pretty-printed, long values folded; a model call's messages and reply).
 *
 * `update(data)` can be called many times a second while a run is live: rows are kept by span id and
 * only rebuilt when their span changed, so what the reader opened, folded or searched for stays put.
 * All text goes in through `textContent`; the answer's Markdown goes through JupyterLab's sanitizer.
 */

import { allSpans, bar, axisEnd, countFlags, flagged, readTrace, search, visibleRows, Row, Span, Trace } from './model';
import { callArguments, cost, count, fold, preview, pretty, seconds, statusLabel, ticks } from './format';

/** Renders the answer's Markdown into an element (JupyterLab's parser and sanitizer), if available. */
export type MarkdownRenderer = (text: string, into: HTMLElement) => void;

export interface TraceViewOptions {
  markdown?: MarkdownRenderer;
}

/** Spans from which the search box and the tree buttons are shown. */
const SEARCH_FROM = 6;

const ICONS: Record<string, string> = {
  run: '▶', model: '◆', tool: '⚙', reasoning: '✎', guardrail: '⛔', validation: '⚠', member: '👤',
  step: '▸', steps: '☰', parallel: '⇉', loop: '↻', condition: '⑂', router: '⤳'
};

/** Attribute keys in the order a reader wants them; the rest follow, in the bundle's order. */
const ORDER = [
  'input', 'arguments', 'result', 'answer', 'error', 'error_type', 'reason', 'decision', 'awaiting',
  'reasoning', 'action', 'confidence', 'stage', 'work', 'iterations', 'condition', 'selected', 'retries',
  'retry_in', 'attempt', 'cached'
];
/** Shown elsewhere (the row's summary, the messages section) or bookkeeping. */
const HIDDEN = new Set([
  'sent', 'reply', 'earlier', 'message_count', 'not_stored', 'input_tokens', 'output_tokens', 'latency',
  'ttft', 'cost', 'finish_reason', 'transport', 'tool_call_id', 'run_id', 'session_id', 'model', 'continued'
]);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

interface RowState {
  node: HTMLElement;
  bar: HTMLElement;
  signature: string;
  details: HTMLElement | null;
}

export class TraceView {
  readonly node: HTMLElement;
  private readonly options: TraceViewOptions;
  private readonly header = el('div', 'agno-header');
  private readonly notesBox = el('div', 'agno-notes');
  private readonly toolbar = el('div', 'agno-toolbar');
  private readonly searchBox = el('input', 'agno-search');
  private readonly searchInfo = el('span', 'agno-search-info');
  private readonly axis = el('div', 'agno-axis');
  private readonly list = el('div', 'agno-rows');
  private readonly empty = el('div', 'agno-empty');
  private readonly rows = new Map<string, RowState>();
  /** spans whose children are hidden */
  private readonly collapsed = new Set<string>();
  /** spans whose details are open */
  private readonly opened = new Set<string>();
  /** folded values the reader unfolded, by span id and key */
  private readonly unfolded = new Set<string>();
  private trace: Trace | null = null;
  private headerSignature = '';
  private lastAnswer = '';
  /** milliseconds the last `update` took (read by the browser test's measurement) */
  lastRenderMs = 0;

  constructor(options: TraceViewOptions = {}) {
    this.options = options;
    this.node = el('div', 'agno-trace agno-trace-interactive');
    this.searchBox.type = 'search';
    this.searchBox.placeholder = 'Search spans: tool, argument, error…';
    this.searchBox.setAttribute('aria-label', 'Search the trace');
    this.searchBox.addEventListener('input', () => this.render());
    const expand = el('button', 'agno-button', 'Expand all');
    expand.addEventListener('click', () => {
      this.collapsed.clear();
      this.render();
    });
    const collapse = el('button', 'agno-button', 'Collapse all');
    collapse.addEventListener('click', () => {
      for (const row of visibleRows(this.trace?.root ?? null, new Set())) {
        if (row.hasChildren) {
          this.collapsed.add(row.span.id);
        }
      }
      this.render();
    });
    this.toolbar.append(this.searchBox, this.searchInfo, expand, collapse);
    this.list.setAttribute('role', 'tree');
    this.list.addEventListener('click', event => this.onClick(event));
    this.node.append(this.header, this.notesBox, this.toolbar, this.axis, this.list, this.empty);
  }

  /** Show a bundle (a new snapshot of the same run, or another run). */
  update(data: unknown): void {
    const started = performance.now();
    const { trace, notes } = readTrace(data);
    if (this.trace && trace.run_id !== this.trace.run_id) {
      this.rows.clear();
      this.list.replaceChildren();
      this.collapsed.clear();
      this.opened.clear();
    }
    this.trace = trace;
    this.node.dataset.status = trace.status;
    this.renderNotes(notes);
    this.render();
    this.lastRenderMs = performance.now() - started;
    this.node.dataset.renderMs = this.lastRenderMs.toFixed(2);
  }

  // ---------------------------------------------------------------------------------- header

  private renderHeader(trace: Trace): void {
    const t = trace.totals;
    const signature = JSON.stringify([trace.status, trace.agent, t, trace.error, trace.save_error,
      trace.requirements.length,
      trace.root?.attrs.input, trace.events]);
    if (signature !== this.headerSignature) {
      this.headerSignature = signature;
      const head = el('div', 'hd');
      head.append(badge(trace.status, 'badge'), el('b', 'agno-agent', trace.agent || 'agent'));
      const chips = [
        `${count(t.model_requests)} model request${t.model_requests === 1 ? '' : 's'}`,
        `${count(t.tool_calls)} tool call${t.tool_calls === 1 ? '' : 's'}`,
        `${count(t.input_tokens)} in / ${count(t.output_tokens)} out tokens`
      ];
      if (t.duration !== null) {
        chips.push(`${seconds(t.duration)} total`);
      } else if (trace.elapsed !== null) {
        chips.push(`${seconds(trace.elapsed)} so far`);
      }
      if (t.ttft !== null) {
        chips.push(`${seconds(t.ttft)} to first token`);
      }
      if (t.waited) {
        chips.push(`waited ${seconds(t.waited)} for approval`);
      }
      if (t.cost !== null) {
        chips.push(cost(t.cost));
      }
      const flags = countFlags(trace.root);
      for (const chip of chips) {
        head.append(el('span', 'chip', chip));
      }
      if (flags.error) {
        head.append(el('span', 'chip agno-chip-error', `${flags.error} failed`));
      }
      if (flags.blocked) {
        head.append(el('span', 'chip agno-chip-blocked', `${flags.blocked} blocked or rejected`));
      }
      const parts: HTMLElement[] = [head];
      const prompt = trace.root?.attrs.input;
      if (prompt !== undefined && prompt !== null && prompt !== '') {
        const box = el('div', 'agno-prompt');
        box.append(el('span', 'agno-muted', 'prompt '), valueBlock(pretty(prompt), `prompt`, this.unfolded, 4));
        parts.push(box);
      }
      if (trace.save_error) {
        parts.push(el('div', 'agno-error err', trace.save_error));
      }
      if (trace.error) {
        parts.push(el('div', 'agno-error err', trace.error));
      }
      const answer = el('div', 'answer');
      parts.push(answer);
      for (const req of trace.requirements) {
        const box = el('div', 'agno-requirement req');
        box.append(
          el('span', '', `⏸ waiting for ${statusLabel(req.kind)}: `),
          el('code', '', `${req.tool_name}(${callArguments(req.arguments, 200)})`)
        );
        if (req.user_input_fields.length) {
          box.append(el('span', 'agno-muted', ` fields: ${req.user_input_fields.join(', ')}`));
        }
        parts.push(box);
      }
      this.header.replaceChildren(...parts);
      this.lastAnswer = '';
    }
    const answer = this.header.querySelector('.answer') as HTMLElement;
    if (trace.answer !== this.lastAnswer) {
      this.lastAnswer = trace.answer;
      answer.replaceChildren();
      answer.hidden = !trace.answer;
      if (trace.answer) {
        if (this.options.markdown) {
          this.options.markdown(trace.answer, answer);
        } else {
          answer.append(el('div', 'agno-pre', trace.answer));
        }
      }
    }
  }

  private renderNotes(notes: string[]): void {
    this.notesBox.replaceChildren(...notes.map(note => el('div', 'agno-note', note)));
    this.notesBox.hidden = notes.length === 0;
  }

  // ------------------------------------------------------------------------------------ tree

  private render(): void {
    const trace = this.trace;
    if (!trace) {
      return;
    }
    this.renderHeader(trace);
    const query = this.searchBox.value.trim();
    const found = query ? search(trace.root, query) : null;
    const rows = visibleRows(trace.root, this.collapsed, found?.shown);
    // a trace of a few spans reads at a glance: no search box or tree buttons
    this.toolbar.hidden = !query && allSpans(trace.root).length < SEARCH_FROM;
    const end = axisEnd(trace);
    this.renderAxis(end, trace);
    this.searchInfo.textContent = found
      ? `${found.matches.size} matching span${found.matches.size === 1 ? '' : 's'}`
      : '';
    this.empty.textContent = !trace.root
      ? 'Waiting for the run to start…'
      : rows.length === 0
        ? found
          ? 'No span matches the search.'
          : 'No spans yet.'
        : '';
    this.empty.hidden = this.empty.textContent === '';
    const keep = new Set<string>();
    const nodes: HTMLElement[] = [];
    for (const row of rows) {
      const state = this.row(row, found?.matches.has(row.span.id) ?? false, !!found);
      const { left, width } = bar(row.span, end, trace.elapsed);
      state.bar.style.left = `${left.toFixed(2)}%`;
      state.bar.style.width = `${width.toFixed(2)}%`;
      keep.add(row.span.id);
      nodes.push(state.node);
      if (state.details) {
        nodes.push(state.details);
      }
    }
    for (const id of [...this.rows.keys()]) {
      if (!keep.has(id)) {
        this.rows.delete(id);
      }
    }
    this.list.replaceChildren(...nodes);
  }

  private renderAxis(end: number, trace: Trace): void {
    const marks = ticks(end);
    const key = marks.join(',') + trace.status;
    if (this.axis.dataset.key === key) {
      return;
    }
    this.axis.dataset.key = key;
    const track = el('div', 'agno-axis-track');
    for (const mark of marks) {
      const tick = el('span', 'agno-tick', seconds(mark));
      tick.style.left = `${Math.min(100, (100 * mark) / end).toFixed(2)}%`;
      track.append(tick);
    }
    this.axis.replaceChildren(el('div', 'agno-axis-label', trace.root ? 'span' : ''), track, el('div', 'agno-axis-end'));
  }

  private row(row: Row, match: boolean, searching: boolean): RowState {
    const span = row.span;
    const isOpen = this.opened.has(span.id);
    const folded = this.collapsed.has(span.id) && !searching;
    const signature = [span.status, span.duration, span.name, span.children.length, folded, isOpen, match,
      row.depth, Object.keys(span.attrs).length, attrGrowth(span)].join('|');
    let state = this.rows.get(span.id);
    if (state && state.signature === signature) {
      return state;
    }
    const node = el('div', 'agno-row');
    node.dataset.span = span.id;
    node.dataset.kind = span.kind;
    node.setAttribute('role', 'treeitem');
    node.setAttribute('aria-expanded', String(isOpen));
    const flag = flagged(span);
    if (flag) {
      node.classList.add(`agno-flag-${flag}`);
    }
    if (match) {
      node.classList.add('agno-match');
    }
    const label = el('div', 'agno-label');
    label.style.paddingLeft = `${row.depth * 16}px`;
    const caret = el('span', 'agno-caret', row.hasChildren ? (folded ? '▸' : '▾') : '');
    caret.dataset.action = 'children';
    if (row.hasChildren) {
      caret.title = folded ? 'Show the spans inside' : 'Hide the spans inside';
    }
    label.append(caret, el('span', 'agno-icon', ICONS[span.kind] ?? '•'), el('b', 'agno-name', span.name),
      badge(span.status, 'st'));
    const summary = rowSummary(span);
    if (summary) {
      label.append(el('span', 'agno-summary', summary));
    }
    const track = el('div', 'agno-track');
    const barNode = el('i', `agno-bar agno-bar-${span.kind}`);
    track.append(barNode);
    const duration = el('div', 'agno-duration', span.duration !== null ? seconds(span.duration)
      : span.status === 'running' ? 'running…' : '');
    node.append(label, track, duration);
    let details: HTMLElement | null = null;
    if (isOpen) {
      details = this.details(span, row.depth);
    }
    state = { node, bar: barNode, signature, details };
    this.rows.set(span.id, state);
    return state;
  }

  private details(span: Span, depth: number): HTMLElement {
    const box = el('div', 'agno-details');
    box.style.marginLeft = `${depth * 16 + 22}px`;
    box.dataset.detailsOf = span.id;
    const facts = spanFacts(span);
    if (facts.length) {
      box.append(el('div', 'agno-facts', facts.join(' · ')));
    }
    if (span.kind === 'model') {
      box.append(...modelMessages(span, this.unfolded));
    }
    const keys = [...ORDER.filter(k => k in span.attrs), ...Object.keys(span.attrs).filter(
      k => !ORDER.includes(k) && !HIDDEN.has(k))];
    for (const key of keys) {
      const value = span.attrs[key];
      if (value === null || value === undefined || value === '' || (key === 'cached' && !value)) {
        continue;
      }
      const section = el('div', `agno-attr agno-attr-${key}`);
      section.append(el('div', 'agno-muted', key.replace(/_/g, ' ')),
        valueBlock(pretty(value), `${span.id}:${key}`, this.unfolded));
      box.append(section);
    }
    if (box.childElementCount === 0) {
      box.append(el('div', 'agno-muted', 'Nothing more recorded for this span.'));
    }
    return box;
  }

  private onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const more = target.closest('[data-unfold]') as HTMLElement | null;
    if (more) {
      const key = more.dataset.unfold!;
      if (this.unfolded.has(key)) {
        this.unfolded.delete(key);
      } else {
        this.unfolded.add(key);
      }
      const cut = key.lastIndexOf(':');
      if (cut < 0) {
        this.headerSignature = ''; // a header value (the prompt)
      } else {
        this.invalidate(key.slice(0, cut));
      }
      this.render();
      return;
    }
    if (target.closest('.agno-details')) {
      return; // selecting text in the details must not fold them
    }
    const row = target.closest('.agno-row') as HTMLElement | null;
    if (!row || !row.dataset.span) {
      return;
    }
    const id = row.dataset.span;
    const set = target.dataset.action === 'children' && target.textContent ? this.collapsed : this.opened;
    if (set.has(id)) {
      set.delete(id);
    } else {
      set.add(id);
    }
    this.render();
  }

  private invalidate(spanId: string): void {
    const state = this.rows.get(spanId);
    if (state) {
      state.signature = '';
    }
  }

  /** For tests and the sidebar: open a span's details by id. */
  open(spanId: string): void {
    this.opened.add(spanId);
    this.render();
  }
}

function attrGrowth(span: Span): number {
  const reasoning = span.attrs.reasoning;
  return typeof reasoning === 'string' ? reasoning.length : 0;
}

function badge(status: string, className: string): HTMLElement {
  const node = el('span', `${className} agno-status agno-status-${status.replace(/[^a-z_]/gi, '')}`,
    statusLabel(status));
  return node;
}

/** The short text after a span's name: what was called with what, tokens, the first words. */
function rowSummary(span: Span): string {
  const a = span.attrs;
  switch (span.kind) {
    case 'model': {
      const parts: string[] = [];
      if (typeof a.input_tokens === 'number') {
        parts.push(`${count(a.input_tokens)}→${count(Number(a.output_tokens ?? 0))} tokens`);
      }
      if (typeof a.ttft === 'number') {
        parts.push(`ttft ${seconds(a.ttft)}`);
      }
      if (typeof a.attempt === 'number' && a.attempt > 1) {
        parts.push(`attempt ${a.attempt}`);
      }
      if (a.error) {
        parts.push(preview(a.error, 80));
      }
      return parts.join(', ');
    }
    case 'tool':
      return `(${callArguments(a.arguments, 80)})` +
        (a.decision ? ` · ${a.decision}${a.decision === 'rejected' && a.reason ? `: ${preview(a.reason, 80)}` : ''}` : '') +
        (a.cached ? ' · cached' : '') + (a.error ? ` · ${preview(a.error, 60)}` : '');
    case 'member':
      return preview(a.input, 80);
    case 'guardrail':
      return preview(a.reason, 100);
    case 'validation':
      return preview(a.error, 100);
    case 'reasoning':
      return preview(a.reasoning ?? a.action, 80);
    default:
      return a.error ? preview(a.error, 80) : a.result !== undefined ? preview(a.result, 80) : '';
  }
}

/** One line of numbers for a span's details. */
function spanFacts(span: Span): string[] {
  const a = span.attrs;
  const facts = [`${span.kind}`, `starts at ${seconds(span.start)}`];
  if (span.duration !== null) {
    facts.push(`took ${seconds(span.duration)}`);
  }
  if (typeof a.input_tokens === 'number') {
    facts.push(`${count(a.input_tokens)} in / ${count(Number(a.output_tokens ?? 0))} out tokens`);
  }
  if (typeof a.latency === 'number') {
    facts.push(`latency ${seconds(a.latency)}`);
  }
  if (typeof a.cost === 'number') {
    facts.push(cost(a.cost));
  }
  if (typeof a.finish_reason === 'string') {
    facts.push(`finish: ${a.finish_reason}`);
  }
  if (typeof a.transport === 'string') {
    facts.push(`via ${a.transport}`);
  }
  if (typeof a.tool_call_id === 'string') {
    facts.push(`call ${a.tool_call_id}`);
  }
  if (typeof a.run_id === 'string') {
    facts.push(`run ${a.run_id}`);
  }
  return facts;
}

interface MessageView {
  role?: unknown;
  text?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
}

/** What a model call was sent (the messages new since the previous call) and what it answered. */
function modelMessages(span: Span, unfolded: Set<string>): HTMLElement[] {
  const a = span.attrs;
  const out: HTMLElement[] = [];
  if (Array.isArray(a.sent)) {
    const notes: string[] = [];
    if (typeof a.earlier === 'number' && a.earlier > 0) {
      notes.push(`after the ${a.earlier} message(s) sent before`);
    }
    if (typeof a.not_stored === 'number' && a.not_stored > 0) {
      notes.push(`${a.not_stored} message(s) (system prompt, history) are not stored with the run`);
    }
    out.push(el('div', 'agno-muted', 'sent' + (notes.length ? `: ${notes.join('; ')}` : '')));
    a.sent.forEach((message, index) => out.push(messageBlock(message as MessageView, `${span.id}:sent${index}`,
      unfolded)));
  }
  if (a.reply && typeof a.reply === 'object') {
    out.push(el('div', 'agno-muted', 'reply'), messageBlock(a.reply as MessageView, `${span.id}:reply`, unfolded));
  }
  return out;
}

function messageBlock(message: MessageView, key: string, unfolded: Set<string>): HTMLElement {
  const box = el('div', 'agno-message');
  const head = el('div', 'agno-message-head');
  head.append(el('b', '', String(message.role ?? 'message')));
  if (message.tool_call_id) {
    head.append(el('span', 'agno-muted', ` ${String(message.tool_call_id)}`));
  }
  box.append(head);
  if (typeof message.text === 'string' && message.text) {
    box.append(valueBlock(message.text, key, unfolded, 8));
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      box.append(el('div', 'agno-call', `→ calls ${String(call)}`));
    }
  }
  return box;
}

/** A value in a pre block, folded when long, with "show all" / "show less". */
function valueBlock(text: string, key: string, unfolded: Set<string>, maxLines = 12): HTMLElement {
  const folded = fold(text, maxLines);
  const open = unfolded.has(key);
  const box = el('div', 'agno-value');
  box.append(el('pre', 'agno-pre', open || !folded.folded ? folded.full : folded.head + '…'));
  if (folded.folded) {
    const toggle = el('button', 'agno-link', open ? 'show less' : `show all (${count(folded.full.length)} characters)`);
    toggle.dataset.unfold = key;
    box.append(toggle);
  }
  if (folded.originalLength !== null) {
    box.append(el('div', 'agno-muted agno-cut',
      `cut by the kernel: ${count(folded.full.length)} of ${count(folded.originalLength)} characters`));
  }
  return box;
}
