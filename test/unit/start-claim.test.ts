/** One `npm start` per clone (infra/stack/lock.ts claimStart): a live start is reported, a stale claim is taken over. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimStart } from '../../infra/stack/lock';

describe('npm start claim', () => {
  let dir = '';
  let file = '';
  const children: ChildProcess[] = [];
  /** A live process whose command line carries `marker`, as a running `npm start` carries infra/start.ts. */
  const live = async (marker: string) => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', marker], { stdio: 'ignore' });
    children.push(child);
    const pid = child.pid as number;
    // Until exec, the child's command line is still its parent's.
    for (let i = 0; i < 100 && !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker); i++) await new Promise((r) => setTimeout(r, 20));
    return pid;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-claim-'));
    file = path.join(dir, 'start.pid');
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('claims a free clone, and releases only its own claim', () => {
    const claim = claimStart(file, ['start-claim-test']);
    assert.ok('release' in claim);
    assert.equal(fs.readFileSync(file, 'utf8').trim(), String(process.pid));
    claim.release();
    assert.equal(fs.existsSync(file), false);
    fs.writeFileSync(file, '12345\n');
    claim.release();
    assert.equal(fs.readFileSync(file, 'utf8').trim(), '12345', 'released a claim that was not its own');
  });

  it('reports a running start instead of claiming', async () => {
    const pid = await live('start-claim-test');
    fs.writeFileSync(file, `${pid}\n`);
    assert.deepEqual(claimStart(file, ['start-claim-test']), { owner: pid });
    assert.equal(fs.readFileSync(file, 'utf8').trim(), String(pid));
  });

  it('takes over a claim left by a dead start, or whose pid now runs another program', async () => {
    const other = await live('something-else');
    for (const stale of ['999999999', String(other), 'garbage']) {
      fs.writeFileSync(file, `${stale}\n`);
      const claim = claimStart(file, ['start-claim-test']);
      assert.ok('release' in claim, `did not take over a claim holding ${stale}`);
      assert.equal(fs.readFileSync(file, 'utf8').trim(), String(process.pid));
      claim.release();
    }
  });
});
