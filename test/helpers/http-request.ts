/** One HTTP request with node:http, answered as status and text (no redirect following, any status). */
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * Sends `method url` with an optional JSON `body`. `agent: false` opens a connection of its own for the
 * request (no keep-alive reuse); `timeoutMs` fails a request that gets no answer in time.
 */
export function httpRequest(url: string, opts: { method?: string; body?: string; agent?: false; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const method = opts.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: opts.agent, headers: { 'Content-Type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer in ${opts.timeoutMs} ms`)));
    req.end(opts.body);
  });
}
