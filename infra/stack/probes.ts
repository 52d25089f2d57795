/** Readiness probes: each answers "does the server do real work now", with short timeouts so polling stays tight. */
import net from 'node:net';

export const HOST = '127.0.0.1';

export function tcpOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

export async function httpPost(url: string, body: string, timeoutMs = 10_000): Promise<string> {
  const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} → HTTP ${res.status}: ${text.trim()}`);
  return text;
}

/**
 * Sends one Redis command over a raw socket and returns the first reply line (e.g. "+PONG").
 * Raw RESP avoids a client library's reconnect loop, which would turn "down" into a hang.
 * Resolves "" when the server closes without replying, as SHUTDOWN does.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string | undefined> {
  const payload = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    let buf = '';
    let settled = false;
    const done = (v: string | undefined) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.once('connect', () => sock.write(payload));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) done(buf.slice(0, nl));
    });
    sock.once('end', () => done(buf));
    sock.once('error', () => done(undefined));
  });
}
