/**
 * A stored run's trace in a main-area tab (opened from the sidebar: the notebook's store or a served runtime). A run still working is re-read
 * every second or so until it ends, so the tab follows it live from the store.
 */

import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { ApiError } from './api';
import { MarkdownRenderer, TraceView } from './view';

const POLL_MS = 1200;
const OPEN_STATUSES = new Set(['running', 'pending']);

export class TraceTabContent extends Widget {
  readonly view: TraceView;
  private timer = 0;
  private readonly message = document.createElement('div');

  constructor(private readonly fetchTrace: () => Promise<unknown>, readonly runId: string, markdown?: MarkdownRenderer) {
    super();
    this.addClass('jp-AgnoTraceTab');
    this.view = new TraceView({ markdown });
    this.message.className = 'agno-tab-message';
    this.node.append(this.message, this.view.node);
    void this.load();
  }

  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    try {
      const data = (await this.fetchTrace()) as { status?: string };
      if (this.isDisposed) {
        return;
      }
      this.message.textContent = '';
      this.view.update(data);
      if (OPEN_STATUSES.has(String(data?.status))) {
        this.timer = window.setTimeout(() => void this.load(), POLL_MS);
      }
    } catch (error) {
      this.message.textContent = error instanceof ApiError ? error.message : String(error);
      if (error instanceof ApiError && error.locked) {
        this.timer = window.setTimeout(() => void this.load(), POLL_MS * 3);
      }
    }
  }

  dispose(): void {
    window.clearTimeout(this.timer);
    super.dispose();
  }
}

export function createTraceTab(fetchTrace: () => Promise<unknown>, runId: string, title: string,
  markdown?: MarkdownRenderer): MainAreaWidget<TraceTabContent> {
  const content = new TraceTabContent(fetchTrace, runId, markdown);
  const widget = new MainAreaWidget({ content });
  widget.id = `agno-trace-${runId}`;
  widget.title.label = title;
  widget.title.caption = `agno_nb run ${runId}`;
  widget.title.closable = true;
  return widget;
}
