/**
 * The layer order of the top-level folders (README, "Architecture"), as ESLint rules: a folder may import
 * its own layer and the ones below it, never one above. Type-only imports are exempt: they leave no edge at
 * run time, and a lower layer may name a higher one's types (a workflow proxies its activities by type).
 * The launcher (infra/start.ts, infra/setup.ts, infra/supervisor.ts, infra/web.ts, infra/stack/), bench/
 * and test/ may use anything; nothing else may import bench/ or test/. workflows/ also imports no Node built-in: the Temporal
 * workflow sandbox has none.
 */
import { builtinModules } from 'node:module';

/** Lowest first; folders on one line share a layer. */
export const LAYERS = [['infra', 'observability'], ['db'], ['queues'], ['activities', 'workflows'], ['api']];

const TOOLS = ['bench', 'test'];
export const LAUNCHER = ['infra/start.ts', 'infra/setup.ts', 'infra/supervisor.ts', 'infra/web.ts', 'infra/stack/**/*.ts'];

// A relative import that climbs out to a top-level folder: '../api/x', '../../api', ...
const into = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

function folderRule(folder, above) {
  const patterns = [];
  if (above.length) {
    patterns.push({
      regex: into(above),
      allowTypeImports: true,
      message: `${folder}/ may not import ${above.join('/, ')}/ (layer order in the README): move the contract down to its producer, or invert the dependency.`,
    });
  }
  patterns.push({ regex: into(TOOLS), message: `${folder}/ is shipped code and may not import bench/ or test/.` });
  const options = { patterns };
  if (folder === 'workflows') {
    patterns.push({ regex: '^node:', message: 'workflows/ runs in the Temporal sandbox: no Node built-ins.' });
    options.paths = builtinModules
      .filter((m) => !m.startsWith('_'))
      .map((name) => ({ name, message: 'workflows/ runs in the Temporal sandbox: no Node built-ins.' }));
  }
  return {
    files: [`${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': ['error', options] },
  };
}

/** One flat-config block per folder, then the launcher's exemption. */
export function layerRules() {
  const blocks = LAYERS.flatMap((layer, i) => {
    const above = LAYERS.slice(i + 1).flat();
    return layer.map((folder) => folderRule(folder, above));
  });
  blocks.push({ files: LAUNCHER, rules: { '@typescript-eslint/no-restricted-imports': 'off' } });
  return blocks;
}
