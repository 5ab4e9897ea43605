/**
 * The MIME renderer for `application/vnd.agno-nb.trace+json`: the interactive trace in notebook
 * outputs (JupyterLab and Notebook 7). It ranks before `text/html`, so where it is installed it wins
 * over the static HTML the kernel sends alongside; elsewhere (VS Code, nbviewer, a saved file opened
 * without it) that HTML shows. It is `safe`: it only ever sets text, and the answer's Markdown goes
 * through JupyterLab's sanitizer, so it also renders in untrusted notebooks.
 *
 * When the kernel replaces the display (a live run, throttled), JupyterLab calls `renderModel` on the
 * same renderer, so what the reader opened and searched for survives the update.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { MIME_TYPE } from './model';
import { MarkdownRenderer, TraceView } from './view';

/** Rank among renderers (lower wins): before text/html (50) and Markdown (60). */
export const RANK = 20;

export class TraceRenderer extends Widget implements IRenderMime.IRenderer {
  readonly view: TraceView;

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('jp-AgnoTraceRenderer');
    this.view = new TraceView({ markdown: markdownWith(options) });
    this.node.appendChild(this.view.node);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.view.update(model.data[MIME_TYPE]);
    return Promise.resolve();
  }
}

/** Markdown through JupyterLab's own parser and sanitizer (plain text when no parser is configured). */
export function markdownWith(options: {
  markdownParser?: IRenderMime.IMarkdownParser | null;
  sanitizer?: IRenderMime.ISanitizer;
}): MarkdownRenderer | undefined {
  const parser = options.markdownParser;
  const sanitizer = options.sanitizer;
  if (!parser || !sanitizer) {
    return undefined;
  }
  let latest = 0;
  return (text: string, into: HTMLElement) => {
    const ticket = ++latest;
    const fallback = document.createElement('div');
    fallback.className = 'agno-pre';
    fallback.textContent = text;
    into.replaceChildren(fallback);
    void parser.render(text).then(html => {
      if (ticket === latest) {  // a newer answer arrived meanwhile: it wins
        const box = document.createElement('div');
        box.className = 'agno-markdown jp-RenderedHTMLCommon';
        box.innerHTML = sanitizer.sanitize(html);
        into.replaceChildren(box);
      }
    });
  };
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: RANK,
  createRenderer: options => new TraceRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'agno-nb:trace-renderer',
  description: 'Interactive agno_nb run traces in notebook outputs.',
  rendererFactory,
  rank: RANK,
  dataType: 'json'
};

export default extension;
