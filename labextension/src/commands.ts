/**
 * "Export as served app" and "Serve notebook": in the notebook toolbar, the command palette and the file
 * browser's context menu. Both save the notebook first (the server reads the file, not the kernel), then
 * call the control routes and show what happened in a dialog.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { FileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon, ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { ApiError } from './api';
import { exportNotebook, ExportResult, serveNotebook, ServedNotebook } from './control';

export namespace ControlCommands {
  export const exportNotebook = 'agno-nb:export-notebook';
  export const serveNotebook = 'agno-nb:serve-notebook';
}

export interface ControlOptions {
  tracker: INotebookTracker;
  palette: ICommandPalette | null;
  browser: FileBrowser | null;
  icon: LabIcon;
  /** called when a notebook starts being served (the sidebar lists it) */
  onServed: () => void;
}

/** Register both commands and put them where users look for them. */
export function addControlCommands(app: JupyterFrontEnd, options: ControlOptions): void {
  const { tracker, palette, browser } = options;
  const target = (args: Record<string, unknown>): string | null => {
    if (args.fromBrowser && browser) {
      const item = browser.selectedItems().next();
      return !item.done && item.value.type === 'notebook' ? item.value.path : null;
    }
    return typeof args.path === 'string' ? args.path : tracker.currentWidget?.context.path ?? null;
  };
  const saved = async (path: string): Promise<void> => {
    const panel = tracker.find(widget => widget.context.path === path);
    if (panel && panel.context.model.dirty) {
      await panel.context.save();
    }
  };

  app.commands.addCommand(ControlCommands.exportNotebook, {
    label: 'Export as served app…',
    caption: 'Write app.py, requirements.txt, a Dockerfile, compose and Kubernetes files next to the notebook',
    icon: args => (args.toolbar ? undefined : options.icon),
    isEnabled: args => target(args) !== null,
    execute: async args => {
      const path = target(args);
      if (path) {
        await saved(path);
        await runExport(path);
      }
    }
  });
  app.commands.addCommand(ControlCommands.serveNotebook, {
    label: 'Serve notebook',
    caption: 'Serve this notebook\'s agents on 127.0.0.1 (agno-nb serve); stop it from the Agno sidebar',
    isEnabled: args => target(args) !== null,
    execute: async args => {
      const path = target(args);
      if (path) {
        await saved(path);
        await runServe(path, options.onServed);
      }
    }
  });

  if (palette) {
    palette.addItem({ command: ControlCommands.exportNotebook, category: 'Agno' });
    palette.addItem({ command: ControlCommands.serveNotebook, category: 'Agno' });
  }
  const notebooks = '.jp-DirListing-item[data-file-type="notebook"]';
  app.contextMenu.addItem({ command: ControlCommands.exportNotebook, args: { fromBrowser: true }, selector: notebooks,
    rank: 60 });
  app.contextMenu.addItem({ command: ControlCommands.serveNotebook, args: { fromBrowser: true }, selector: notebooks,
    rank: 61 });
  tracker.widgetAdded.connect((_, panel) => addToolbarButtons(app, panel));
}

function addToolbarButtons(app: JupyterFrontEnd, panel: NotebookPanel): void {
  const button = (name: string, label: string, command: string, tooltip: string) => new ToolbarButton({
    className: `agno-${name}-button`, label, tooltip,
    onClick: () => void app.commands.execute(command, { path: panel.context.path })
  });
  panel.toolbar.insertItem(20, 'agno-export', button('export', 'Export app', ControlCommands.exportNotebook,
    'Export this notebook as a served app (agno-nb export)'));
  panel.toolbar.insertItem(21, 'agno-serve', button('serve', 'Serve', ControlCommands.serveNotebook,
    'Serve this notebook on 127.0.0.1 (agno-nb serve)'));
}

async function runExport(path: string, force = false): Promise<void> {
  let result: ExportResult;
  try {
    result = await exportNotebook(path, force);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && !force) {
      const answer = await showDialog({
        title: 'Replace the export?', body: error.message,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
      });
      if (answer.button.accept) {
        await runExport(path, true);
      }
      return;
    }
    await showErrorMessage('Export failed', error instanceof Error ? error.message : String(error));
    return;
  }
  await showDialog({ title: `Exported ${path}`, body: new Widget({ node: exportSummary(result) }), buttons: [Dialog.okButton()] });
}

function exportSummary(result: ExportResult): HTMLElement {
  const body = document.createElement('div');
  body.className = 'agno-export-result';
  const line = (text: string, className = ''): HTMLElement => {
    const node = document.createElement('div');
    node.className = className;
    node.textContent = text;
    return node;
  };
  body.append(line(`Folder: ${result.out}/`, 'agno-export-out'));
  body.append(line(`Serves: ${result.components.map(c => `${c.kind} ${c.name}`).join(', ')}`));
  const files = document.createElement('ul');
  files.className = 'agno-export-files';
  for (const name of result.files) {
    const item = document.createElement('li');
    item.textContent = name;
    files.append(item);
  }
  body.append(files);
  for (const warning of result.warnings) {
    body.append(line(`Warning: ${warning}`, 'agno-export-warning'));
  }
  body.append(line(`Run it: ${result.command}`, 'agno-export-command'));
  return body;
}

async function runServe(path: string, onServed: () => void): Promise<void> {
  let served: ServedNotebook;
  try {
    served = await serveNotebook(path);
  } catch (error) {
    await showErrorMessage('Serving failed', error instanceof Error ? error.message : String(error));
    return;
  }
  onServed();
  const body = document.createElement('div');
  body.className = 'agno-serve-result';
  const link = document.createElement('a');
  link.href = `${served.url}/docs`;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = `${served.url}/docs`;
  body.append(`${path} is served at ${served.url} (PID ${served.pid}). API docs: `, link,
    '. Stop it from the Agno sidebar.');
  await showDialog({ title: 'Serving', body: new Widget({ node: body }), buttons: [Dialog.okButton()] });
}
