/**
 * The ceiling: a raw node:http server answering the redirect contract (307 + Location, 404 JSON) from an
 * in-memory Map, with nothing else on the path. Whatever the API reaches is read as a fraction of this.
 * Run as its own process: `node --import tsx bench/ceiling.ts <port> <links.json>` (a JSON {code: url}).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const NOT_FOUND_BODY = JSON.stringify({ detail: 'Short URL not found' });

/** A server answering GET/HEAD /{code} from `links` exactly as the API's redirect does. */
export function createCeilingServer(links: ReadonlyMap<string, string>): http.Server {
  const server = http.createServer((req, res) => {
    const url = req.method === 'GET' || req.method === 'HEAD' ? links.get((req.url ?? '').slice(1)) : undefined;
    if (url === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(NOT_FOUND_BODY) });
      res.end(req.method === 'HEAD' ? undefined : NOT_FOUND_BODY);
      return;
    }
    res.writeHead(307, { Location: url, 'Content-Length': '0' });
    res.end();
  });
  // Same keep-alive as api/server.ts, so neither side pays reconnects the other does not.
  server.keepAliveTimeout = 65_000;
  return server;
}

function main(): void {
  const [portArg, linksFile] = process.argv.slice(2);
  const port = Number(portArg);
  if (!Number.isInteger(port) || !linksFile) {
    console.error('usage: ceiling.ts <port> <links.json>');
    process.exit(2);
  }
  const links = new Map(Object.entries(JSON.parse(readFileSync(linksFile, 'utf8')) as Record<string, string>));
  const server = createCeilingServer(links);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  server.listen(port, '127.0.0.1', () => console.log(`ceiling listening on ${port} with ${links.size} links`));
}

if (require.main === module) main();
