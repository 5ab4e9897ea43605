/**
 * The sidebar's "Served notebooks" section: what this Jupyter server serves (agno-nb serve children on
 * 127.0.0.1), each with its API docs link and a Stop button. Hidden while nothing is served.
 */

import { ApiError } from './api';
import { servedNotebooks, stopServed } from './control';

export class ServedList {
  readonly node: HTMLElement = document.createElement('div');

  constructor() {
    this.node.className = 'agno-section agno-served';
    this.node.hidden = true;
  }

  async refresh(): Promise<void> {
    try {
      this.render(await servedNotebooks());
    } catch (error) {
      if (!(error instanceof ApiError)) {
        throw error;
      }
      this.node.hidden = true; // an older server without the route: nothing to show
    }
  }

  private render(served: Awaited<ReturnType<typeof servedNotebooks>>): void {
    this.node.hidden = served.length === 0;
    const head = document.createElement('h3');
    head.textContent = 'Served notebooks';
    const list = document.createElement('ul');
    list.className = 'agno-list';
    for (const item of served) {
      const row = document.createElement('li');
      row.className = 'agno-served-item';
      row.dataset.servedId = item.id;
      const name = document.createElement('span');
      name.className = 'agno-served-path';
      name.textContent = item.path;
      const link = document.createElement('a');
      link.href = `${item.url}/docs`;
      link.target = '_blank';
      link.rel = 'noopener';
      link.className = 'agno-served-url';
      link.textContent = item.url;
      row.append(name, ' ', link);
      if (item.running) {
        const stop = document.createElement('button');
        stop.className = 'jp-Button jp-mod-styled jp-mod-warn agno-served-stop';
        stop.textContent = 'Stop';
        stop.addEventListener('click', () => {
          stop.disabled = true;
          void stopServed(item.id).finally(() => void this.refresh());
        });
        row.append(' ', stop);
      } else {
        row.append(` exited (code ${item.exit_code})`);
      }
      list.append(row);
    }
    this.node.replaceChildren(head, list);
  }
}
