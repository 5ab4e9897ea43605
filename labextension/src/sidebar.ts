/**
 * The "Agno" sidebar: the control plane of the notebook in front of you.
 *
 * - In this kernel: the agents, teams and workflows the notebook defined (from the kernel channel);
 * - Waiting for you: every paused run in the notebook's store, with Approve / Reject (and fields for
 *   calls that ask for input or a result); Continue run sends the decisions to the notebook's kernel,
 *   which continues the run where its tools are;
 * - Recent runs and sessions from the store (through the server extension); a click opens a run's trace
 *   in a tab;
 * - Served notebooks (started with "Serve notebook"), each with a Stop button (served.ts).
 *
 * It follows the current notebook and refreshes when a run ends or pauses, when the kernel goes idle,
 * and every few seconds while it is visible.
 */

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import {
  ApiError, ApprovalRow, PendingRequirement, remote, RemoteRun, remoteRuns, RunRow, Runtime, StoreRef, StoreSummary,
  storedTrace, storeSummary
} from './api';
import { Decision, KernelChannel, KernelState } from './channel';
import { ago, callArguments, count, preview, seconds, statusLabel } from './format';
import { ServedList } from './served';

const REFRESH_MS = 8000;

export interface SidebarOptions {
  tracker: INotebookTracker;
  /** open a run's trace in a tab; `fetchTrace` reads it (again, while the run is live) */
  openTrace: (fetchTrace: () => Promise<unknown>, runId: string, title: string) => void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function badge(status: string): HTMLElement {
  return el('span', `agno-status agno-status-${status.replace(/[^a-z_]/gi, '')}`, statusLabel(status));
}

export class AgnoSidebar extends Widget {
  private readonly options: SidebarOptions;
  private readonly channels = new Map<string, KernelChannel>();
  private readonly title_ = el('div', 'agno-topline');
  private readonly message = el('div', 'agno-message-box');
  private readonly kernelBox = el('div', 'agno-section agno-kernel');
  private readonly approvalsBox = el('div', 'agno-section agno-approvals');
  private readonly runsBox = el('div', 'agno-section agno-runs');
  private readonly sessionsBox = el('div', 'agno-section agno-sessions');
  private readonly runtimeBox = el('div', 'agno-section agno-runtime');
  private readonly served = new ServedList();
  private runtime: Runtime | null = null;
  private panel: NotebookPanel | null = null;
  private channel: KernelChannel | null = null;
  private timer = 0;
  private loading = false;
  private again = false;
  /** decisions being made in the approvals list, by run id then call id (kept across refreshes) */
  private readonly drafts = new Map<string, Map<string, Decision>>();
  private sessionFilter: string | null = null;
  private lastSummary: StoreSummary | null = null;

  constructor(options: SidebarOptions) {
    super();
    this.options = options;
    this.id = 'agno-nb-sidebar';
    this.addClass('agno-sidebar');
    this.title.caption = 'Agno: agents, runs and approvals of this notebook';
    this.message.hidden = true;
    this.node.append(this.title_, this.message, this.kernelBox, this.approvalsBox, this.runsBox, this.sessionsBox,
      this.served.node, this.runtimeBox);
    options.tracker.currentChanged.connect(() => this.follow(), this);
    this.follow();
  }

  /** Point the sidebar at a served runtime (Lab's settings), or at none. */
  setRuntime(runtime: Runtime | null): void {
    this.runtime = runtime && runtime.url.trim() ? { url: runtime.url.trim(), apiKey: runtime.apiKey } : null;
    void this.refresh();
  }

  /** Re-read the store now. */
  async refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      do {
        this.again = false;
        await Promise.all([this.load(), this.loadRuntime(), this.served.refresh()]);
      } while (this.again);
    } finally {
      this.loading = false;
    }
  }

  protected onAfterShow(): void {
    void this.refresh();
    this.schedule();
  }

  protected onAfterHide(): void {
    window.clearTimeout(this.timer);
  }

  dispose(): void {
    window.clearTimeout(this.timer);
    for (const channel of this.channels.values()) {
      channel.dispose();
    }
    super.dispose();
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (this.isVisible) {
        void this.refresh();
        this.schedule();
      }
    }, REFRESH_MS);
  }

  // --------------------------------------------------------------------- following a notebook

  private follow(): void {
    const panel = this.options.tracker.currentWidget;
    if (panel === this.panel && panel) {
      return;
    }
    if (this.panel) {
      this.panel.sessionContext.kernelChanged.disconnect(this.onKernel, this);
      this.panel.sessionContext.statusChanged.disconnect(this.onKernelStatus, this);
    }
    this.panel = panel;
    this.sessionFilter = null;
    if (panel) {
      panel.sessionContext.kernelChanged.connect(this.onKernel, this);
      panel.sessionContext.statusChanged.connect(this.onKernelStatus, this);
      void panel.sessionContext.ready.then(() => this.useKernel(panel.sessionContext.session?.kernel ?? null));
    }
    this.useKernel(panel?.sessionContext.session?.kernel ?? null);
    void this.refresh();
  }

  private onKernel(): void {
    this.useKernel(this.panel?.sessionContext.session?.kernel ?? null);
  }

  private busy = false;

  private onKernelStatus(_: unknown, status: Kernel.Status): void {
    if (status === 'busy') {
      this.busy = true;
    } else if (status === 'idle' && this.busy) {
      this.busy = false;
      void this.refresh(); // a cell finished: a run may have been stored
    }
  }

  private useKernel(kernel: Kernel.IKernelConnection | null): void {
    const channel = kernel ? this.channelFor(kernel) : null;
    if (channel === this.channel) {
      return;
    }
    if (this.channel) {
      this.channel.stateChanged.disconnect(this.onState, this);
      this.channel.runEnded.disconnect(this.onRun, this);
    }
    this.channel = channel;
    if (channel) {
      channel.stateChanged.connect(this.onState, this);
      channel.runEnded.connect(this.onRun, this);
    }
    this.renderKernel();
  }

  private channelFor(kernel: Kernel.IKernelConnection): KernelChannel {
    let channel = this.channels.get(kernel.id);
    if (!channel || channel.isDisposed) {
      channel = new KernelChannel(kernel);
      this.channels.set(kernel.id, channel);
      kernel.disposed.connect(() => {
        channel!.dispose();
        this.channels.delete(kernel.id);
      });
    }
    return channel;
  }

  private onState(_: KernelChannel, state: KernelState | null): void {
    this.renderKernel();
    this.renderApprovals(this.lastSummary?.approvals ?? []);
    if (state) {
      void this.refresh();
    }
  }

  private onRun(): void {
    this.channel?.hello(); // its paused runs changed
    void this.refresh();
  }

  /** The store to read: the DuckDB file the kernel uses, else the notebook's own file. */
  private storeRef(): StoreRef | null {
    const state = this.channel?.state;
    if (state?.store && state.store.endsWith('.duckdb')) {
      return { store: state.store };
    }
    return this.panel ? { notebook: this.panel.context.path } : null;
  }

  // ------------------------------------------------------------------------------- loading

  private async load(): Promise<void> {
    const ref = this.storeRef();
    this.renderTitle();
    if (!ref) {
      this.showMessage('Open a notebook: the sidebar shows its agents, runs and approvals.');
      this.approvalsBox.replaceChildren();
      this.runsBox.replaceChildren();
      this.sessionsBox.replaceChildren();
      return;
    }
    const state = this.channel?.state;
    if (state && state.store_kind && state.store_kind !== 'DuckDBStore') {
      this.showMessage(`This kernel stores runs in ${state.store_kind}; the sidebar reads DuckDB stores. Runs stored ` +
        'in the notebook\'s own file are listed below.');
    }
    try {
      const summary = await storeSummary(ref);
      this.lastSummary = summary;
      if (!(state && state.store_kind && state.store_kind !== 'DuckDBStore')) {
        this.showMessage(null);
      }
      this.renderStore(summary, ref);
    } catch (error) {
      const text = error instanceof ApiError ? error.message : String(error);
      this.showMessage(error instanceof ApiError && error.locked
        ? `The store is locked by another process, so runs cannot be listed: ${text}`
        : text);
      if (this.lastSummary && error instanceof ApiError && error.locked) {
        return; // keep showing the last list under the message
      }
      this.renderApprovals([]);
      this.runsBox.replaceChildren();
      this.sessionsBox.replaceChildren();
    }
  }

  private showMessage(text: string | null): void {
    this.message.hidden = !text;
    this.message.textContent = text ?? '';
  }

  // ----------------------------------------------------------------------------- rendering

  private renderTitle(): void {
    const name = this.panel ? this.panel.context.path.split('/').pop() : 'no notebook';
    const refresh = el('button', 'agno-button agno-refresh', 'Refresh');
    refresh.title = 'Read the store again';
    refresh.addEventListener('click', () => void this.refresh());
    this.title_.replaceChildren(el('b', '', 'Agno'), el('span', 'agno-small agno-ellipsis', name), refresh);
  }

  private renderKernel(): void {
    this.approvalsSignature = ''; // whether decisions can be sent depends on the kernel
    const box = this.kernelBox;
    box.replaceChildren(el('h3', '', 'In this kernel'));
    const state = this.channel?.state;
    if (!this.panel) {
      return;
    }
    if (!this.channel || !state) {
      box.append(el('div', 'agno-small', 'agno_nb is not loaded in this notebook\'s kernel: run %load_ext agno_nb ' +
        'to list its agents here and to decide on paused runs from this sidebar.'));
      return;
    }
    if (!state.components.length) {
      box.append(el('div', 'agno-small', 'No agents, teams or workflows defined yet (%%agent NAME, %%team, %%workflow, ' +
        'or Agent(...) in Python).'));
      return;
    }
    for (const item of state.components) {
      const row = el('div', 'agno-item agno-component');
      row.dataset.name = item.name;
      const head = el('div', 'agno-item-title');
      head.append(el('b', '', item.name), el('span', 'agno-small', item.kind));
      if (item.model) {
        head.append(el('span', 'agno-small', item.model));
      }
      row.append(head);
      const facts: string[] = [];
      if (item.tools?.length) {
        facts.push(`tools: ${item.tools.join(', ')}`);
      }
      if (item.members?.length) {
        facts.push(`${item.mode ?? 'team'} of ${item.members.join(', ')}`);
      }
      if (item.steps?.length) {
        facts.push(`steps: ${item.steps.join(' → ')}`);
      }
      if (item.error) {
        facts.push(`cannot be described: ${item.error}`);
      }
      if (facts.length) {
        row.append(el('div', 'agno-small', facts.join(' · ')));
      }
      box.append(row);
    }
  }

  private renderStore(summary: StoreSummary, ref: StoreRef): void {
    this.renderApprovals(summary.approvals);
    const runs = this.runsBox;
    runs.replaceChildren(el('h3', '', 'Recent runs'));
    if (!summary.exists) {
      runs.append(el('div', 'agno-small', 'No runs stored for this notebook yet.'));
      this.sessionsBox.replaceChildren();
      return;
    }
    const shown = this.sessionFilter ? summary.runs.filter(r => r.session_id === this.sessionFilter) : summary.runs;
    if (this.sessionFilter) {
      const clear = el('button', 'agno-link', `session ${this.sessionFilter}: show all runs`);
      clear.addEventListener('click', () => {
        this.sessionFilter = null;
        this.renderStore(summary, ref);
      });
      runs.append(clear);
    }
    if (!shown.length) {
      runs.append(el('div', 'agno-small', 'No runs yet.'));
    }
    for (const run of shown) {
      runs.append(this.runRow(run, ref));
    }
    const sessions = this.sessionsBox;
    sessions.replaceChildren(el('h3', '', 'Sessions'));
    for (const session of summary.sessions) {
      const row = el('div', 'agno-item agno-run agno-session');
      row.dataset.sessionId = session.session_id;
      const head = el('div', 'agno-item-title');
      head.append(el('b', 'agno-ellipsis', session.name || session.session_id),
        el('span', 'agno-small', `${session.component_id ?? session.session_type} · ${count(session.run_count)} run` +
          `${session.run_count === 1 ? '' : 's'} · ${ago(session.updated_at)}`));
      if (session.user_id) {
        head.append(el('span', 'agno-small', `user ${session.user_id}`));
      }
      row.append(head);
      row.title = 'Show this session\'s runs';
      row.addEventListener('click', () => {
        this.sessionFilter = session.session_id;
        this.renderStore(summary, ref);
      });
      sessions.append(row);
    }
  }

  private runRow(run: RunRow, ref: StoreRef): HTMLElement {
    const row = el('div', 'agno-item agno-run');
    row.dataset.runId = run.run_id;
    const name = run.component_name || run.component_id || 'agent';
    const head = el('div', 'agno-item-title');
    head.append(badge(run.status), el('b', '', name), el('span', 'agno-small', ago(run.created_at)));
    const m = run.metrics || {};
    const facts: string[] = [];
    if (typeof m.duration === 'number') {
      facts.push(seconds(m.duration));
    }
    if (typeof m.input_tokens === 'number') {
      facts.push(`${count(m.input_tokens)}+${count(m.output_tokens ?? 0)} tokens`);
    }
    if (facts.length) {
      head.append(el('span', 'agno-small', facts.join(' · ')));
    }
    row.append(head, el('div', 'agno-small agno-ellipsis', preview(run.input, 140)));
    if (run.error) {
      row.append(el('div', 'agno-small agno-ellipsis', preview(run.error, 140)));
    }
    row.title = 'Open this run\'s trace';
    row.addEventListener('click', () => this.options.openTrace(() => storedTrace(ref, run.run_id), run.run_id,
      `Trace: ${name} ${run.run_id.slice(0, 8)}`));
    return row;
  }

  // ------------------------------------------------------------------------ served runtime

  private async loadRuntime(): Promise<void> {
    const box = this.runtimeBox;
    const runtime = this.runtime;
    if (!runtime) {
      box.replaceChildren();
      return;
    }
    const head = el('h3', '', 'Served runtime');
    const where = el('div', 'agno-small agno-ellipsis', runtime.url);
    try {
      const { sessions, runs } = await remoteRuns(runtime);
      const rows = runs.map(run => this.remoteRunRow(runtime, run));
      box.replaceChildren(head, where, el('div', 'agno-small', `${sessions.length} recent session` +
        `${sessions.length === 1 ? '' : 's'}, ${runs.length} run${runs.length === 1 ? '' : 's'}`), ...rows);
    } catch (error) {
      const message = el('div', 'agno-message-box agno-runtime-error',
        error instanceof ApiError ? error.message : String(error));
      box.replaceChildren(head, where, message);
    }
  }

  private remoteRunRow(runtime: Runtime, run: RemoteRun): HTMLElement {
    const row = el('div', 'agno-item agno-run agno-remote-run');
    row.dataset.runId = run.run_id;
    const name = run.component_name || run.component_id || 'agent';
    const head = el('div', 'agno-item-title');
    head.append(badge(run.status), el('b', '', name), el('span', 'agno-small', ago(run.created_at)));
    row.append(head, el('div', 'agno-small agno-ellipsis', preview(run.input, 140)));
    row.title = 'Open this run\'s trace (from the runtime)';
    row.addEventListener('click', () => this.options.openTrace(() => remote(runtime, ['traces', run.run_id]),
      run.run_id, `Trace: ${name} ${run.run_id.slice(0, 8)} (served)`));
    return row;
  }

  // ----------------------------------------------------------------------------- approvals

  private approvalsSignature = '';

  /** Paused runs from the notebook's store (server) and from the kernel's stores (comm), once each. */
  private renderApprovals(fromStore: ApprovalRow[]): void {
    const byRun = new Map<string, ApprovalRow>();
    for (const row of [...(this.channel?.state?.approvals ?? []), ...fromStore]) {
      if (!byRun.has(row.run_id)) {
        byRun.set(row.run_id, row);
      }
    }
    const approvals = [...byRun.values()].sort((a, b) => b.created_at - a.created_at);
    // unchanged: keep the list as it is, with whatever the reader is typing in it
    const signature = JSON.stringify([!!this.channel?.state, approvals.map(a => [a.run_id, a.claimed_by,
      a.requirements.map(r => r.tool_call_id)])]);
    if (signature === this.approvalsSignature) {
      return;
    }
    this.approvalsSignature = signature;
    const box = this.approvalsBox;
    box.replaceChildren(el('h3', '', `Waiting for you${approvals.length ? ` (${approvals.length})` : ''}`));
    for (const problem of this.channel?.state?.approval_errors ?? []) {
      box.append(el('div', 'agno-small', `Could not read paused runs of ${problem}`));
    }
    if (!approvals.length) {
      box.append(el('div', 'agno-small', 'No paused runs.'));
      return;
    }
    const live = new Set(approvals.map(a => a.run_id));
    for (const id of [...this.drafts.keys()]) {
      if (!live.has(id)) {
        this.drafts.delete(id);
      }
    }
    for (const approval of approvals) {
      box.append(this.approvalItem(approval));
    }
  }

  private approvalItem(approval: ApprovalRow): HTMLElement {
    const item = el('div', 'agno-item agno-approval');
    item.dataset.runId = approval.run_id;
    const name = approval.component_name || approval.component_id || 'agent';
    const head = el('div', 'agno-item-title');
    head.append(badge('paused'), el('b', '', name), el('span', 'agno-small', ago(approval.created_at)));
    item.append(head, el('div', 'agno-small agno-ellipsis', preview(approval.input, 140)));
    if (approval.claimed_by) {
      item.append(el('div', 'agno-small', 'Being continued by another process.'));
    }
    const drafts = this.drafts.get(approval.run_id) ?? new Map<string, Decision>();
    this.drafts.set(approval.run_id, drafts);
    const go = el('button', 'agno-button agno-continue', 'Continue run');
    const status = el('div', 'agno-small agno-decide-status');
    const refreshGo = (): void => {
      go.disabled = !approval.requirements.every(r => drafts.has(r.tool_call_id)) || !this.channel?.state;
    };
    for (const req of approval.requirements) {
      item.append(this.requirementRow(req, drafts, refreshGo));
    }
    if (!this.channel?.state) {
      status.textContent = 'To decide here, run %load_ext agno_nb and the cell defining ' +
        `${name} in this notebook's kernel: the run continues where its tools are.`;
    }
    go.addEventListener('click', async () => {
      if (!this.channel) {
        return;
      }
      go.disabled = true;
      item.querySelectorAll('button').forEach(b => ((b as HTMLButtonElement).disabled = true));
      status.textContent = 'continuing…';
      const result = await this.channel.decide(approval.run_id, approval.requirements.map(r => drafts.get(r.tool_call_id)!));
      if (result.ok) {
        status.textContent = `continued: ${statusLabel(result.status ?? 'done')}`;
        this.drafts.delete(approval.run_id);
      } else {
        status.textContent = result.error ?? 'the kernel could not continue the run';
        item.querySelectorAll('button').forEach(b => ((b as HTMLButtonElement).disabled = false));
        refreshGo();
      }
      void this.refresh();
    });
    refreshGo();
    const buttons = el('div', 'agno-row-buttons');
    buttons.append(go);
    item.append(buttons, status);
    return item;
  }

  private requirementRow(req: PendingRequirement, drafts: Map<string, Decision>, changed: () => void): HTMLElement {
    const row = el('div', 'agno-requirement-row');
    row.dataset.toolCallId = req.tool_call_id;
    row.append(el('div', '', `⏸ ${req.tool_name}(${callArguments(req.arguments, 160)})`),
      el('div', 'agno-small', `waits for ${statusLabel(req.kind)}`));
    const state = el('div', 'agno-small agno-decision');
    const field = req.kind === 'confirmation' ? null : el('textarea');
    if (field) {
      field.rows = 3;
      field.placeholder = req.kind === 'user_input' ? 'JSON with the values asked for' : 'the result of running the tool yourself';
      field.value = req.kind === 'user_input'
        ? JSON.stringify(Object.fromEntries((req.user_input_fields ?? []).map(f => [f, ''])), null, 1)
        : '';
      row.append(field);
    }
    const reason = el('input');
    reason.placeholder = 'reason for rejecting (the model sees it)';
    const approve = el('button', 'agno-button agno-approve', req.kind === 'confirmation' ? 'Approve' : 'Submit');
    const reject = el('button', 'agno-button agno-reject', 'Reject');
    const show = (): void => {
      const decision = drafts.get(req.tool_call_id);
      state.textContent = !decision ? 'waiting for your decision'
        : decision.action === 'reject' ? `rejected${decision.reason ? `: ${decision.reason}` : ''}`
          : decision.action === 'approve' ? 'approved' : decision.action === 'provide' ? 'input provided' : 'result submitted';
    };
    approve.addEventListener('click', () => {
      if (req.kind === 'confirmation') {
        drafts.set(req.tool_call_id, { tool_call_id: req.tool_call_id, action: 'approve' });
      } else if (req.kind === 'user_input') {
        try {
          drafts.set(req.tool_call_id, { tool_call_id: req.tool_call_id, action: 'provide',
            values: JSON.parse(field!.value || '{}') });
        } catch (error) {
          state.textContent = `not JSON: ${String(error)}`;
          return;
        }
      } else {
        drafts.set(req.tool_call_id, { tool_call_id: req.tool_call_id, action: 'result', result: field!.value });
      }
      show();
      changed();
    });
    reject.addEventListener('click', () => {
      drafts.set(req.tool_call_id, { tool_call_id: req.tool_call_id, action: 'reject', reason: reason.value.trim() });
      show();
      changed();
    });
    const buttons = el('div', 'agno-row-buttons');
    buttons.append(approve, reject);
    row.append(buttons, reason, state);
    show();
    return row;
  }
}
