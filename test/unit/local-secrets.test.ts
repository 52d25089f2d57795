/** Per-install secrets: every fresh clone generates its own short-code key, and so its own code sequence. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../infra/config';
import { SHORT_CODE_KEY_FILE, localSecret, withLocalSecrets } from '../../infra/local-secrets';
import { createCodec } from '../../queues/keygen/codec';

/** The config a development process of a clone whose .cache/ is `dir` gets, through loadConfig's own path. */
function configOfClone(dir: string): Config {
  const r = parseConfig(withLocalSecrets({ NODE_ENV: 'development' }, dir));
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.config;
}

const codes = (config: Config, n: number) => {
  const codec = createCodec(config.SHORT_CODE_KEY);
  return Array.from({ length: n }, (_, i) => codec.encode(i + 1));
};

describe('local secrets', () => {
  const dirs: string[] = [];
  const freshClone = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkhop-clone-'));
    dirs.push(dir);
    return path.join(dir, '.cache');
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('two fresh clones generate different code sequences; one clone keeps its key', () => {
    const [a, b] = [freshClone(), freshClone()];
    const first = configOfClone(a);
    assert.notEqual(first.SHORT_CODE_KEY, configOfClone(b).SHORT_CODE_KEY);
    const seqA = codes(first, 20);
    const seqB = codes(configOfClone(b), 20);
    assert.equal(seqA.filter((c, i) => c === seqB[i]).length, 0, `${seqA} vs ${seqB}`);
    assert.deepEqual(codes(configOfClone(a), 20), seqA, 'a restart keeps the same key');
    assert.equal((fs.statSync(path.join(a, SHORT_CODE_KEY_FILE)).mode & 0o777).toString(8), '600');
    assert.ok(first.SHORT_CODE_KEY.length >= 40);
  });

  it('a configured key wins, and tests and production never get a generated one', () => {
    const dir = freshClone();
    assert.equal(withLocalSecrets({ SHORT_CODE_KEY: 'x'.repeat(20) }, dir).SHORT_CODE_KEY, 'x'.repeat(20));
    assert.equal(withLocalSecrets({ NODE_ENV: 'test' }, dir).SHORT_CODE_KEY, undefined);
    assert.equal(withLocalSecrets({ NODE_ENV: 'production' }, dir).SHORT_CODE_KEY, undefined);
    assert.equal(fs.existsSync(path.join(dir, SHORT_CODE_KEY_FILE)), false);
  });

  it('every later call reads the key the first one wrote, leaving no temp file', () => {
    const dir = freshClone();
    const keys = new Set(Array.from({ length: 20 }, () => localSecret('k', 32, dir)));
    assert.equal(keys.size, 1);
    assert.deepEqual(fs.readdirSync(dir), ['k'], 'no temp file left behind');
  });
});
