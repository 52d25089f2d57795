/**
 * The OpenAPI document, generated (zod-openapi) from the same zod schemas that validate requests, so the spec
 * cannot drift from the code. Each route file calls `documentRoute()` beside its handler; `buildOpenApi()`
 * assembles whatever was registered. A route that is not registered is caught by test/unit/openapi.test.ts.
 */
import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathItemObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';

/** One field error in the seed's (FastAPI) shape. */
export const FieldErrorSchema = z
  .object({ type: z.string(), loc: z.array(z.union([z.string(), z.number()])), msg: z.string() })
  .meta({ id: 'FieldError' });

/** Every error body: a message, or a list of field errors for a 422. */
export const ErrorSchema = z
  .object({ detail: z.union([z.string(), z.array(FieldErrorSchema)]) })
  .meta({ id: 'Error', example: { detail: 'Short URL not found' } });

/** The usual meaning of each error status; a route may pass its own text instead. */
const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request (bad JSON, tampered cursor)',
  401: 'Missing or invalid API key',
  403: "The key's role does not allow this",
  404: 'Not found (or owned by another key)',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Body too large',
  415: 'Unsupported Content-Type',
  422: 'Invalid input; detail lists the field errors (unknown fields are named)',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable',
};

/** JSON content of `schema`, for request bodies and responses. */
export const jsonContent = (schema: z.ZodType, example?: unknown) => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});

/** Error responses for `statuses` (numbers, or [status, description] pairs), all with the Error schema. */
export function errorResponses(...statuses: Array<number | [number, string]>): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const s of statuses) {
    const [status, description] = typeof s === 'number' ? [s, ERROR_TEXT[s] ?? 'Error'] : s;
    out[String(status) as `${1 | 2 | 3 | 4 | 5}${string}`] = { description, content: jsonContent(ErrorSchema) };
  }
  return out;
}

/** Security requirements: which credentials an operation accepts (`[{}]` first means also anonymous). */
export const KEY_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];
export const OPTIONAL_KEY_SECURITY: Array<Record<string, string[]>> = [{}, ...KEY_SECURITY];

const paths = new Map<string, ZodOpenApiPathItemObject>();

/**
 * Registers one operation under an OpenAPI path (`/api/links/{code}` style). Registering the same method and
 * path twice is a programming error and throws, so two route files cannot silently overwrite each other.
 */
export function documentRoute(method: HttpMethod, path: string, operation: ZodOpenApiOperationObject): void {
  const item = paths.get(path) ?? {};
  if (item[method]) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} registered twice`);
  item[method] = operation;
  paths.set(path, item);
}

/** Every registered method and path, as `GET /api/links` strings (tests compare them with the routers). */
export function documentedRoutes(): string[] {
  return [...paths].flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k): k is HttpMethod => ['get', 'post', 'put', 'patch', 'delete', 'head'].includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** Builds the OpenAPI 3.0 document (3.0.3: the version the seed's clients read) from what the route files registered; `baseUrl` becomes its server. */
export function buildOpenApi(baseUrl: string): Record<string, unknown> {
  const doc = createDocument({
    openapi: '3.0.3',
    info: {
      title: 'linkhop',
      version: '0.2.0',
      description:
        'A self-hosted URL shortener, wire-compatible with the service it replaces. Every error body is ' +
        '{"detail": ...}. Request bodies are validated strictly: an unknown field is a 422 that names it. ' +
        'With API keys defined, send one as X-API-Key or Authorization: Bearer; roles are admin, editor and viewer.',
    },
    servers: [{ url: baseUrl }],
    paths: Object.fromEntries([...paths].sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic' },
      },
    },
  });
  return doc as unknown as Record<string, unknown>;
}
