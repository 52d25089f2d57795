/** ClickHouse 18.16 from Debian with a private config, so the system server (if any) stays untouched. */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_PORTS, loadConfig } from '../../config';
import { needs } from '../install';
import { serviceDir } from '../paths';
import { HOST, httpGet, httpPost } from '../probes';
import { livePid, rotateLog, spawnDetached, terminate } from '../process';
import type { Service } from './types';

const HTTP = LOCAL_PORTS.clickhouseHttp;
const TCP = LOCAL_PORTS.clickhouseTcp;
const DIR = serviceDir('clickhouse');
const CONFIG = path.join(DIR, 'config.xml');
const USERS = path.join(DIR, 'users.xml');
const PID_FILE = path.join(DIR, 'service.pid');
const LOG = path.join(DIR, 'clickhouse.log');
const NEEDLES = ['clickhouse', CONFIG];
const URL = `http://${HOST}:${HTTP}`;

// Caches are cut from the 5–8 GB defaults to 64 MB; a dev box runs five other servers beside this one.
// No interserver_http_port: replication is unused and 18.16 starts without it.
const XML = `<?xml version="1.0"?>
<!-- Written by infra/stack on every start; edit infra/stack/services/clickhouse.ts instead. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>${LOG}</log>
    <errorlog>${path.join(DIR, 'clickhouse.err.log')}</errorlog>
    <size>50M</size>
    <count>2</count>
  </logger>
  <http_port>${HTTP}</http_port>
  <tcp_port>${TCP}</tcp_port>
  <listen_host>${HOST}</listen_host>
  <path>${DIR}/data/</path>
  <tmp_path>${DIR}/tmp/</tmp_path>
  <user_files_path>${DIR}/user_files/</user_files_path>
  <format_schema_path>${DIR}/format_schemas/</format_schema_path>
  <users_config>${USERS}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;

export const clickhouse: Service = {
  name: 'clickhouse',
  endpoint: URL,
  logFile: LOG,
  ports: [HTTP, TCP],
  readyTimeoutMs: 60_000,
  missingPackages: () => needs('clickhouse-server', 'clickhouse-server'),
  pendingInstall: () => undefined,
  install: async () => undefined,
  pid() {
    return livePid(PID_FILE, NEEDLES);
  },
  async probe() {
    return (await httpGet(`${URL}/ping`, 1000))?.body.trim() === 'Ok.';
  },
  async start() {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(CONFIG, XML);
    // The packaged users.xml (passwordless `default` user on loopback) is what the app expects.
    if (!fs.existsSync(USERS)) fs.copyFileSync('/etc/clickhouse-server/users.xml', USERS);
    rotateLog(LOG);
    // Runs fine as root; without --daemon it stays in the foreground child we track.
    await spawnDetached('clickhouse-server', [`--config-file=${CONFIG}`], { logFile: LOG, pidFile: PID_FILE, cwd: DIR });
  },
  async afterReady() {
    const db = loadConfig().CLICKHOUSE_DATABASE;
    await httpPost(`${URL}/`, `CREATE DATABASE IF NOT EXISTS \`${db.replace(/`/g, '')}\``);
  },
  async stop() {
    const pid = clickhouse.pid();
    if (pid !== undefined) await terminate(pid, NEEDLES, 30_000);
  },
};
