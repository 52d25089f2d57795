/**
 * GET /openapi.json and GET /docs. The docs page is rendered on the server from the spec: no script, no CDN,
 * nothing fetched at runtime, so it works offline and under a strict Content-Security-Policy.
 */
import { Router } from '@koa/router';
import type { AppDeps, AppState } from '../deps';
import { buildOpenApi } from '../openapi';

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface Operation {
  summary?: string;
  description?: string;
  responses?: Record<string, { description?: string }>;
}

/** Renders the spec as one self-contained HTML page. */
export function renderDocs(spec: Record<string, unknown>): string {
  const info = spec.info as { title: string; version: string; description: string };
  const paths = spec.paths as Record<string, Record<string, Operation>>;
  const ops = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${escape(status)}</code> ${escape(r.description ?? '')}</li>`)
        .join('');
      return (
        `<section><h2><span class="m">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h2>` +
        `<p>${escape(op.summary ?? '')}</p>${op.description ? `<p class="d">${escape(op.description)}</p>` : ''}` +
        `<ul>${responses}</ul></section>`
      );
    }),
  );
  const schemas = JSON.stringify((spec.components as { schemas: unknown }).schemas, null, 2);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.05rem;margin:.5rem 0}
.m{display:inline-block;min-width:3.5rem;font-weight:700;color:#05a}.d{color:#555}
pre{background:#f6f6f6;padding:1rem;overflow:auto}code{font-family:ui-monospace,monospace}</style></head>
<body><h1>${escape(info.title)} API <small>${escape(info.version)}</small></h1><p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3).</p>
${ops.join('\n')}<h2>Schemas</h2><pre>${escape(schemas)}</pre></body></html>`;
}

/** The docs router. */
export function docsRoutes(deps: AppDeps): Router<AppState> {
  const spec = buildOpenApi(deps.config.BASE_URL);
  const specJson = JSON.stringify(spec);
  const html = renderDocs(spec);
  const router = new Router<AppState>();
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = '/openapi.json';
    ctx.type = 'application/json';
    ctx.body = specJson;
  });
  router.get('/docs', (ctx) => {
    ctx.state.route = '/docs';
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.type = 'text/html';
    ctx.body = html;
  });
  return router;
}
