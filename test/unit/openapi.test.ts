/** The generated OpenAPI document covers every route the routers serve, and the registry refuses duplicates. */
import assert from 'node:assert/strict';
import type { AppDeps } from '../../api/deps';
import { buildOpenApi, documentRoute, documentedRoutes } from '../../api/openapi';
import { docsRoutes } from '../../api/routes/docs';
import { healthRoutes } from '../../api/routes/health';
import { linkExportRoutes } from '../../api/routes/links-export';
import { linkManageRoutes } from '../../api/routes/links-manage';
import { linkRoutes } from '../../api/routes/links';
import { metricsRoutes } from '../../api/routes/metrics';
import { statsRoutes } from '../../api/routes/stats';
import '../../api/routes/redirect-routes';
import '../../api/routes/admin';
import { testConfig } from '../helpers/test-config';

const normalise = (route: string): string => route.replace(/\{[^}]+\}|:[A-Za-z_]+/g, '{}');

describe('OpenAPI document (unit)', () => {
  // Route factories only read config while building; nothing here touches a service.
  const deps = { config: testConfig({ METRICS_TOKEN: 'unit-test-token' }) } as unknown as AppDeps;

  it('documents every method and path of the API routers', () => {
    const routers = [healthRoutes(deps), metricsRoutes(deps), linkRoutes(deps), linkExportRoutes(deps), linkManageRoutes(deps), statsRoutes(deps), docsRoutes(deps)];
    const served = routers.flatMap((r) =>
      r.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => normalise(`${m} ${layer.path}`))),
    );
    const documented = new Set(documentedRoutes().map(normalise));
    // Swagger UI's own script and stylesheet are assets of the docs page, not API.
    const missing = served.filter((s) => !documented.has(s) && s !== 'GET /docs/{}');
    assert.deepEqual(missing, [], 'routes without documentation');
  });

  it('builds a valid 3.0.3 document with request schemas from zod, and refuses a route registered twice', () => {
    const doc = buildOpenApi('http://example.test') as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, '3.0.3');
    const shorten = doc.components.schemas.ShortenRequest as { properties: Record<string, unknown>; additionalProperties?: unknown };
    assert.deepEqual(Object.keys(shorten.properties).sort(), ['custom_code', 'expires_at', 'forward_query', 'max_visits', 'password', 'tags', 'title', 'url']);
    assert.equal(shorten.additionalProperties, false, 'unknown fields are refused, and the document says so');
    assert.throws(() => documentRoute('post', '/api/shorten', { responses: {} }), /registered twice/);
  });
});
