/**
 * The API's HTTP server with limits a hostile client cannot stretch: headers must arrive within
 * HTTP_HEADERS_TIMEOUT_MS and the whole request within HTTP_REQUEST_TIMEOUT_MS (Node's defaults, 60 s and
 * 300 s, let slow clients hold sockets for minutes), idle keep-alive sockets close after
 * HTTP_KEEP_ALIVE_TIMEOUT_MS, and at most HTTP_MAX_CONNECTIONS sockets are open at once.
 */
import http, { type RequestListener } from 'node:http';
import type { Config } from '../infra/config';

type Limits = Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>;

/** An http.Server for `handler` with the configured limits (not yet listening). */
export function createHttpServer(config: Limits, handler: RequestListener): http.Server {
  const headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  const server = http.createServer(
    {
      headersTimeout,
      // A request timeout below the headers timeout would cut slow headers first; Node requires the order.
      requestTimeout: Math.max(config.HTTP_REQUEST_TIMEOUT_MS, headersTimeout),
      // Node checks both timeouts on this interval (30 s by default), so it bounds how late a slow client
      // is cut: a quarter of the headers timeout keeps that close to the configured value.
      connectionsCheckingInterval: Math.max(100, Math.min(Math.floor(headersTimeout / 4), 5000)),
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    handler,
  );
  server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  return server;
}
