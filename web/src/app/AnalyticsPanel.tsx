/**
 * A link's analytics over a chosen range: totals, the clicks / unique visitors chart, and the top referrers,
 * countries, browsers, operating systems and devices; CSV export of the raw clicks of the same range.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, download } from '../lib/client';
import { formatNumber } from '../lib/format';
import type { Analytics, Bucket } from '../lib/types';
import { Chart } from './Chart';

const RANGES = [
  { id: '24h', label: '24 hours', hours: 24 },
  { id: '7d', label: '7 days', hours: 24 * 7 },
  { id: '30d', label: '30 days', hours: 24 * 30 },
  { id: '90d', label: '90 days', hours: 24 * 90 },
] as const;

const HOUR_MS = 3_600_000;
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** From/to of a preset, `to` rounded up to the next hour so the current hour is inside the range. */
function rangeOf(hours: number): { from: string; to: string; interval: 'hour' | 'day' } {
  const to = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return { from: new Date(to - hours * HOUR_MS).toISOString(), to: new Date(to).toISOString(), interval: hours <= 48 ? 'hour' : 'day' };
}

function Breakdown({ title, rows }: { title: string; rows: Bucket[] }) {
  const labelOf = (v: string) => (v === '' ? '(none)' : v === 'other' ? 'Other' : v);
  return (
    <section class="card">
      <h3>{title}</h3>
      {rows.length ? (
        <table>
          <tbody>
            {rows.map((r) => (
              <tr key={r.value}>
                <td>{labelOf(r.value)}</td>
                <td class="num">{formatNumber(r.clicks)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No clicks in this range.</p>
      )}
    </section>
  );
}

export function AnalyticsPanel({ code }: { code: string }) {
  const [rangeId, setRangeId] = useState<string>('7d');
  const [data, setData] = useState<Analytics>();
  const [error, setError] = useState<string>();
  const [refresh, setRefresh] = useState(0);
  const range = rangeOf(RANGES.find((r) => r.id === rangeId)?.hours ?? 168);

  useEffect(() => {
    let live = true;
    setError(undefined);
    api
      .analytics(code, { from: range.from, to: range.to, interval: range.interval, tz })
      .then((a) => live && setData(a))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [code, rangeId, refresh]);

  return (
    <section aria-labelledby="analytics-title">
      <h2 id="analytics-title">Analytics</h2>
      <div class="row">
        <div class="ranges" role="group" aria-label="Range">
          {RANGES.map((r) => (
            <button type="button" key={r.id} aria-pressed={r.id === rangeId} onClick={() => setRangeId(r.id)}>
              {r.label}
            </button>
          ))}
        </div>
        <button type="button" class="secondary" onClick={() => setRefresh((n) => n + 1)}>Refresh</button>
        <button type="button" class="secondary" onClick={() => void download(api.clicksCsvPath(code, range.from, range.to), `${code}-clicks.csv`)}>
          Export clicks CSV
        </button>
      </div>
      {error ? <div class="alert" role="alert">{error}</div> : null}
      {data ? (
        <>
          <div class="stats">
            <div class="stat"><div class="value" data-testid="total-clicks">{formatNumber(data.totals.clicks)}</div><div class="label">Clicks</div></div>
            <div class="stat"><div class="value" data-testid="unique-visitors">{formatNumber(data.totals.unique_visitors)}</div><div class="label">Unique visitors</div></div>
            <div class="stat"><div class="value" data-testid="bots">{formatNumber(data.totals.bots)}</div><div class="label">Bot clicks (not counted)</div></div>
          </div>
          <Chart data={data} />
          <div class="breakdowns">
            <Breakdown title="Referrers" rows={data.referrers} />
            <Breakdown title="Countries" rows={data.countries} />
            <Breakdown title="Browsers" rows={data.browsers} />
            <Breakdown title="Operating systems" rows={data.os} />
            <Breakdown title="Devices" rows={data.devices} />
          </div>
        </>
      ) : error ? null : (
        <p class="muted" aria-busy="true">Loading…</p>
      )}
    </section>
  );
}
