/** The OpenAPI 3 description of every public route; served as /openapi.json and rendered at /docs. */
import { CODE_PATTERN, MAX_URL_BYTES, RESERVED_CODES } from './routes/links.schema';

const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });
const codeParam = {
  name: 'short_code',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: CODE_PATTERN.source },
};

/** Builds the spec; `baseUrl` becomes its server entry. */
export function buildOpenApi(baseUrl: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'linkhop',
      version: '0.1.0',
      description:
        'A self-hosted URL shortener, wire-compatible with the service it replaces. Every error body is ' +
        '{"detail": ...}. Unknown fields in request bodies are ignored.',
    },
    servers: [{ url: baseUrl }],
    paths: {
      '/api/shorten': {
        post: {
          summary: 'Create a short link',
          description:
            `url: absolute http(s) URL with a host, at most ${MAX_URL_BYTES} bytes, no credentials, whitespace or ` +
            'control characters; non-ASCII characters are percent-encoded when stored. custom_code: 3-20 ASCII ' +
            `letters or digits, not one of: ${[...RESERVED_CODES].join(', ')} (any case). Body at most 16 KB. ` +
            'Requires an API key when the server has API_KEYS set; limited per client per minute.',
          security: [{}, { apiKey: [] }, { bearer: [] }],
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ShortenRequest' }) },
          responses: {
            '201': { description: 'Created', content: json({ $ref: '#/components/schemas/Link' }) },
            '400': error('Malformed JSON'),
            '401': error('Missing or invalid API key'),
            '409': error("Custom code '<code>' is already taken"),
            '413': error('Body larger than 16 KB'),
            '415': error('Content-Type is not application/json'),
            '422': error('Invalid input (detail is a list of field errors)'),
            '429': error('Too many requests; see Retry-After'),
            '503': error('A dependency is unavailable'),
          },
        },
      },
      '/api/stats/{short_code}': {
        get: {
          summary: 'A link and its click count (including clicks not yet flushed)',
          parameters: [codeParam],
          responses: {
            '200': { description: 'The link', content: json({ $ref: '#/components/schemas/Link' }) },
            '404': error('Short URL not found'),
            '503': error('Database unavailable'),
          },
        },
      },
      '/{short_code}': {
        get: {
          summary: 'Redirect to the stored URL (counted as a click)',
          parameters: [codeParam],
          responses: {
            '307': {
              description: 'Redirect; Location is the stored URL byte for byte; empty body',
              headers: { Location: { schema: { type: 'string' } } },
            },
            '404': error('Short URL not found'),
            '503': error('Database unavailable'),
          },
        },
        head: {
          summary: 'Like GET without a body; not counted as a click',
          parameters: [codeParam],
          responses: { '307': { description: 'Redirect' }, '404': { description: 'Short URL not found' } },
        },
      },
      '/health': {
        get: {
          summary: 'Dependency health (503 when any dependency is unhealthy)',
          responses: {
            '200': { description: 'All healthy', content: json({ $ref: '#/components/schemas/Health' }) },
            '503': { description: 'Something is unhealthy', content: json({ $ref: '#/components/schemas/Health' }) },
          },
        },
      },
      '/ready': {
        get: {
          summary: 'Readiness for load balancers (503 while draining or when a dependency is down)',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics, here only when METRICS_TOKEN is set and with that bearer token (otherwise 404; every process serves them on METRICS_PORT)',
          security: [{ bearer: [] }],
          responses: { '200': { description: 'Prometheus text format' }, '401': error('Token required'), '404': error('Not served on this port') },
        },
      },
      '/admin/queues': {
        get: {
          summary: 'Bull Board for the keygen queue (HTML UI and its API below this path)',
          security: [{ basic: [] }, { bearer: [] }],
          responses: { '200': { description: 'HTML' }, '401': error('Admin credentials required') },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3' } } } },
      '/docs': { get: { summary: 'This document as HTML', responses: { '200': { description: 'HTML' } } } },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic' },
      },
      schemas: {
        ShortenRequest: {
          type: 'object',
          required: ['url'],
          properties: {
            url: { type: 'string', format: 'uri', maxLength: MAX_URL_BYTES, example: 'https://example.com/page' },
            custom_code: { type: 'string', nullable: true, pattern: '^[0-9A-Za-z]{3,20}$', example: 'mycode' },
          },
        },
        Link: {
          type: 'object',
          required: ['id', 'short_code', 'original_url', 'short_url', 'clicks', 'created_at', 'updated_at'],
          properties: {
            id: { type: 'integer' },
            short_code: { type: 'string' },
            original_url: { type: 'string' },
            short_url: { type: 'string', description: '<BASE_URL>/<short_code>' },
            clicks: { type: 'integer' },
            created_at: { type: 'string', format: 'date-time', description: 'RFC 3339, UTC (Z)' },
            updated_at: { type: 'string', format: 'date-time', description: 'RFC 3339, UTC (Z)' },
          },
        },
        Health: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['healthy', 'unhealthy'] },
            database: { type: 'string', enum: ['healthy', 'unhealthy'] },
            cache: { type: 'string', enum: ['healthy', 'unhealthy'] },
            checks: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        Error: {
          type: 'object',
          required: ['detail'],
          properties: { detail: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] } },
        },
      },
    },
  };
}
