/**
 * The JupyterLab plugins: the "Agno" left sidebar, stored traces in main-area tabs, and their commands
 * (with export and serve: commands.ts).
 * (The trace renderer itself is the MIME extension in mime.ts, which Notebook 7 loads too.)
 */

import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { FileBrowser, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import { storedTrace } from './api';
import { addControlCommands } from './commands';
import { markdownWith } from './mime';
import { AgnoSidebar } from './sidebar';
import { createTraceTab, TraceTabContent } from './traceTab';
import { MainAreaWidget } from '@jupyterlab/apputils';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161"><circle cx="6" cy="6" r="3"/><circle cx="18" cy="6" r="3"/>
<circle cx="12" cy="18" r="3"/><rect x="5.2" y="5.2" width="1.6" height="9" transform="rotate(-28 6 6)"/>
<rect x="17.2" y="5.2" width="1.6" height="9" transform="rotate(28 18 6)"/><rect x="8" y="5.2" width="8" height="1.6"/></g></svg>`;

export const agnoIcon = new LabIcon({ name: 'agno-nb:agno', svgstr: ICON_SVG });

namespace CommandIDs {
  export const showSidebar = 'agno-nb:show-sidebar';
  export const refresh = 'agno-nb:refresh';
  export const openTrace = 'agno-nb:open-trace';
}

const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'agno-nb:sidebar',
  description: 'The Agno sidebar: agents in the kernel, pending approvals, recent runs and their traces.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell, ICommandPalette, IRenderMimeRegistry, ISettingRegistry, IDefaultFileBrowser],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, labShell: ILabShell | null,
    palette: ICommandPalette | null, rendermime: IRenderMimeRegistry | null, settings: ISettingRegistry | null,
    browser: FileBrowser | null) => {
    const markdown = rendermime ? markdownWith(rendermime) : undefined;
    const traces = new WidgetTracker<MainAreaWidget<TraceTabContent>>({ namespace: 'agno-nb-trace' });
    const openTrace = (fetchTrace: () => Promise<unknown>, runId: string, title: string): void => {
      const open = traces.find(widget => widget.content.runId === runId);
      if (open) {
        void open.content.load();
        app.shell.activateById(open.id);
        return;
      }
      const widget = createTraceTab(fetchTrace, runId, title, markdown);
      widget.title.icon = agnoIcon;
      void traces.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };
    const sidebar = new AgnoSidebar({ tracker, openTrace });
    sidebar.title.icon = agnoIcon;
    app.shell.add(sidebar, 'left', { rank: 850, type: 'Agno' });
    if (settings) {
      void settings.load(sidebarPlugin.id).then(loaded => {
        const apply = (): void => sidebar.setRuntime({ url: String(loaded.get('runtimeUrl').composite ?? ''),
          apiKey: String(loaded.get('apiKey').composite ?? '') });
        loaded.changed.connect(apply);
        apply();
      }).catch(reason => console.warn('agno-nb: settings not loaded', reason));
    }

    app.commands.addCommand(CommandIDs.showSidebar, {
      label: 'Show the Agno sidebar',
      caption: 'Agents, pending approvals and recent runs of the current notebook',
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Agno: refresh runs and approvals',
      execute: () => sidebar.refresh()
    });
    app.commands.addCommand(CommandIDs.openTrace, {
      label: 'Agno: open a stored run\'s trace',
      execute: args => {
        const runId = String(args.runId ?? '');
        const notebook = String(args.notebook ?? tracker.currentWidget?.context.path ?? '');
        if (runId && notebook) {
          openTrace(() => storedTrace({ notebook }, runId), runId, `Trace: ${runId.slice(0, 8)}`);
        }
      }
    });
    addControlCommands(app, { tracker, palette, browser, icon: agnoIcon, onServed: () => void sidebar.refresh() });
    if (palette) {
      palette.addItem({ command: CommandIDs.showSidebar, category: 'Agno' });
      palette.addItem({ command: CommandIDs.refresh, category: 'Agno' });
    }
    void labShell;
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [sidebarPlugin];
export default plugins;
