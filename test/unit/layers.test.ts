/**
 * The layer-order lint (eslint.layers.mjs) fires: its rules, run on source text placed in a real file's
 * position, flag a back edge and a Node built-in in a workflow and let allowed edges and type-only imports
 * through; and the project's ESLint config applies them. The rules need no type information, so the test
 * lints with the TypeScript parser alone (a type-aware run takes a minute to load the project).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = path.resolve(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

describe('layer-order lint', () => {
  let eslint: ESLint;

  before(async () => {
    const { layerRules } = await import('../../eslint.layers.mjs');
    eslint = new ESLint({
      cwd: ROOT,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { '@typescript-eslint': tseslint.plugin } },
        ...layerRules(),
      ],
    });
  });

  it("is part of the project's ESLint config, and off for the launcher", async () => {
    const project = new ESLint({ cwd: ROOT });
    const rule = async (file: string) => (await project.calculateConfigForFile(path.join(ROOT, file))).rules?.[RULE];
    assert.equal((await rule('queues/names.ts'))?.[0], 2);
    assert.equal((await rule('workflows/index.ts'))?.[0], 2);
    assert.equal((await rule('infra/stack/cli.ts'))?.[0], 0);
  });

  /** The layer-rule messages ESLint reports for `code` as if it were the file at `file`. */
  async function layerErrors(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.filter((m) => m.ruleId === RULE || m.fatal).map((m) => m.message);
  }

  it('rejects a lower folder importing a higher one', async () => {
    const errors = await layerErrors('queues/names.ts', "import { notFound } from '../api/errors';\nexport const e = notFound;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0], /queues\/ may not import .*api\//);
  });

  it('rejects a back edge from a nested file, however many levels it climbs', async () => {
    const errors = await layerErrors(
      'db/clickhouse/clicks.ts',
      "import { clickKeys } from '../../queues/names';\nexport const k = clickKeys;\n",
    );
    assert.equal(errors.length, 1);
  });

  it('rejects shipped code importing test helpers', async () => {
    const errors = await layerErrors('api/app.ts', "import { testConfig } from '../test/helpers/test-config';\nexport const c = testConfig;\n");
    assert.equal(errors.length, 1);
  });

  it('allows imports down the order and type-only imports up it', async () => {
    assert.deepEqual(await layerErrors('api/app.ts', "import { findLinkByCode } from '../db/links';\nexport const f = findLinkByCode;\n"), []);
    assert.deepEqual(
      await layerErrors('queues/names.ts', "import type { AppDeps } from '../api/deps';\nexport type D = AppDeps;\n"),
      [],
    );
  });

  it('rejects Node built-ins in workflows, with or without the node: prefix', async () => {
    const prefixed = await layerErrors('workflows/index.ts', "import { randomUUID } from 'node:crypto';\nexport const r = randomUUID;\n");
    const bare = await layerErrors('workflows/index.ts', "import fs from 'fs';\nexport const f = fs;\n");
    assert.equal(prefixed.length, 1);
    assert.equal(bare.length, 1);
    assert.match(bare[0], /no Node built-ins/);
  });
});
