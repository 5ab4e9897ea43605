/**
 * The page's end of the kernel channel (comm target `agno_nb`, see agno_nb/notebook/lab.py).
 *
 * `%load_ext agno_nb` opens the comm from the kernel; a page that connects later (a reload, a second
 * tab) finds it with a `comm_info` request and attaches to it. Through it the sidebar learns the
 * notebook's agents, teams and workflows and its store, hears when runs end or pause, and sends a
 * person's decisions on a paused run to the kernel that defined the agent (the only process that has
 * its tools).
 */

import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ApprovalRow } from './api';

export const TARGET = 'agno_nb';

export interface ComponentInfo {
  name: string;
  kind: string;
  id: string | null;
  display_name?: string | null;
  model?: string | null;
  tools?: string[];
  members?: string[];
  mode?: string | null;
  steps?: string[];
  store?: string | null;
  error?: string;
}

export interface KernelState {
  type: 'state';
  protocol: number;
  components: ComponentInfo[];
  /** the kernel's default store file, when it is a DuckDB file */
  store: string | null;
  store_kind: string | null;
  pid: number;
  /** paused runs in the stores the kernel uses (read through its own connections) */
  approvals?: ApprovalRow[];
  approval_errors?: string[];
}

export interface Decision {
  tool_call_id: string;
  action: 'approve' | 'reject' | 'provide' | 'result';
  reason?: string;
  arguments?: Record<string, unknown>;
  values?: Record<string, unknown>;
  result?: unknown;
}

export interface DecideResult {
  ok: boolean;
  status?: string;
  error?: string;
}

type Json = Record<string, unknown>;

export class KernelChannel implements IDisposable {
  private readonly kernel: Kernel.IKernelConnection;
  private comm: Kernel.IComm | null = null;
  private readonly pending = new Map<string, (result: DecideResult) => void>();
  private readonly _stateChanged = new Signal<this, KernelState | null>(this);
  private readonly _runEnded = new Signal<this, { run_id: string; status: string }>(this);
  private _state: KernelState | null = null;
  private _disposed = false;
  private counter = 0;

  constructor(kernel: Kernel.IKernelConnection) {
    this.kernel = kernel;
    kernel.registerCommTarget(TARGET, this.onOpen);
    kernel.statusChanged.connect(this.onStatus, this);
    void this.findOpenComm();
  }

  /** What the kernel last said about itself (null: agno_nb is not loaded in it). */
  get state(): KernelState | null {
    return this._state;
  }

  get stateChanged(): ISignal<this, KernelState | null> {
    return this._stateChanged;
  }

  /** A top-level run ended or paused in this kernel. */
  get runEnded(): ISignal<this, { run_id: string; status: string }> {
    return this._runEnded;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  get kernelId(): string {
    return this.kernel.id;
  }

  /** Ask the kernel for its state again (answered when it is idle). */
  hello(): void {
    this.comm?.send({ type: 'hello' });
  }

  /** Send decisions on a paused run; resolves when the kernel has continued it (or said why not). */
  decide(runId: string, decisions: Decision[]): Promise<DecideResult> {
    if (!this.comm) {
      return Promise.resolve({ ok: false, error: 'agno_nb is not loaded in this kernel.' });
    }
    const request = `${Date.now()}-${++this.counter}`;
    return new Promise(resolve => {
      this.pending.set(request, resolve);
      this.comm!.send({ type: 'decide', request_id: request, run_id: runId, decisions } as unknown as JSONObject);
    });
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.kernel.statusChanged.disconnect(this.onStatus, this);
    try {
      this.kernel.removeCommTarget(TARGET, this.onOpen);
    } catch {
      // the kernel connection is gone already
    }
    this.failPending('The kernel connection closed.');
    Signal.clearData(this);
  }

  private readonly onOpen = (comm: Kernel.IComm, message: KernelMessage.ICommOpenMsg): void => {
    this.attach(comm);
    this.onData(message.content.data as Json);
  };

  private async findOpenComm(): Promise<void> {
    try {
      const reply = await this.kernel.requestCommInfo({ target_name: TARGET });
      const content = reply.content as { status: string; comms?: Record<string, { target_name: string }> };
      if (this._disposed || this.comm || content.status !== 'ok' || !content.comms) {
        return;
      }
      const ids = Object.keys(content.comms).filter(id => content.comms![id].target_name === TARGET);
      if (ids.length) {
        const comm = this.kernel.createComm(TARGET, ids[ids.length - 1]);
        this.attach(comm);
        comm.send({ type: 'hello' });
      }
    } catch {
      // a kernel that cannot answer comm_info (or is restarting): the comm_open will come if it loads agno_nb
    }
  }

  private attach(comm: Kernel.IComm): void {
    this.comm = comm;
    comm.onMsg = message => this.onData(message.content.data as Json);
    comm.onClose = () => {
      if (this.comm === comm) {
        this.comm = null;
        this.setState(null);
        this.failPending('agno_nb was unloaded in the kernel.');
      }
    };
  }

  private onData(data: Json): void {
    switch (data.type) {
      case 'state':
        this.setState(data as unknown as KernelState);
        break;
      case 'run':
        this._runEnded.emit({ run_id: String(data.run_id), status: String(data.status) });
        break;
      case 'decided':
      case 'error': {
        const resolve = this.pending.get(String(data.request_id));
        if (resolve) {
          this.pending.delete(String(data.request_id));
          resolve({ ok: data.ok === true, status: data.status as string | undefined,
            error: data.error as string | undefined });
        }
        break;
      }
    }
  }

  private onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this.comm = null;
      this.setState(null);
      this.failPending('The kernel restarted before the run was continued.');
    }
  }

  private setState(state: KernelState | null): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private failPending(error: string): void {
    for (const resolve of this.pending.values()) {
      resolve({ ok: false, error });
    }
    this.pending.clear();
  }
}
