/**
 * `npm run keys -- create --name NAME --role admin|editor|viewer` prints a new key once;
 * `npm run keys -- list` shows every key (never the key itself); `npm run keys -- revoke ID` revokes one.
 * Runs the migrations first, so it works on a fresh database.
 */
import { parseArgs } from 'node:util';
import { createPg } from './client';
import { loadConfig } from '../infra/config';
import { ROLES, createApiKey, listApiKeys, revokeApiKey, type Role } from './api-keys';
import { runMigrations } from './migrate';

const USAGE = `usage: npm run keys -- create --name NAME --role ${ROLES.join('|')}
       npm run keys -- list
       npm run keys -- revoke ID`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: 'string' }, role: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [command, arg] = positionals;
  if (!command) fail('a command is required');
  const config = loadConfig();
  await runMigrations(config);
  const { pool, db } = createPg(config, undefined, { max: 1 });
  try {
    if (command === 'create') {
      const name = values.name?.trim();
      const role = values.role as Role | undefined;
      if (!name || name.length > 100) fail('--name is required (at most 100 characters)');
      if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
      const { key, row } = await createApiKey(db, name, role);
      process.stdout.write(`created key ${row.id} (${row.name}, ${row.role}); it is shown only this once:\n${key}\n`);
    } else if (command === 'list') {
      const rows = await listApiKeys(db);
      if (rows.length === 0) process.stdout.write('no keys: the API runs open unless API_KEYS is set\n');
      for (const r of rows) {
        const state = r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active';
        process.stdout.write(`${r.id}\t${r.prefix}…\t${r.role}\t${r.name}\t${r.createdAt.toISOString()}\t${state}\n`);
      }
    } else if (command === 'revoke') {
      const id = Number(arg);
      if (!Number.isSafeInteger(id) || id <= 0) fail('revoke needs the numeric id shown by `list`');
      if (!(await revokeApiKey(db, id))) fail(`no active key with id ${id}`);
      process.stdout.write(`revoked key ${id} (replicas stop accepting it within a few seconds)\n`);
    } else {
      fail(`unknown command '${command}'`);
    }
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`keys: ${(err as Error).message}\n`);
  process.exit(1);
});
