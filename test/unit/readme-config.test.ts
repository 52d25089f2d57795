/** The README's configuration table lists every variable infra/config.ts reads. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../infra/config';

describe('README configuration table', () => {
  it('names every variable infra/config.ts reads', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
    // The first cell of each table row: the variable names, in backticks.
    const documented = new Set(
      section
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])),
    );
    assert.ok(documented.size > 10, 'the table was not found');
    const missing = CONFIG_VARIABLES.filter((v) => !documented.has(v));
    assert.deepEqual(missing, [], `missing from the README's configuration table: ${missing.join(', ')}`);
    const unknown = [...documented].filter((v) => !CONFIG_VARIABLES.includes(v));
    assert.deepEqual(unknown, [], `documented but not read by infra/config.ts: ${unknown.join(', ')}`);
  });
});
