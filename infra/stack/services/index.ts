import { clickhouse } from './clickhouse';
import { kafka } from './kafka';
import { postgres } from './postgres';
import { prometheus } from './prometheus';
import { redisCache, redisQueue } from './redis';
import { temporal } from './temporal';
import { SERVICE_NAMES, type Service, type ServiceName } from './types';

export { SERVICE_NAMES, type Service, type ServiceName };

const ALL: Record<ServiceName, Service> = {
  postgres,
  'redis-cache': redisCache,
  'redis-queue': redisQueue,
  kafka,
  clickhouse,
  temporal,
  prometheus,
};

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** Services by name in canonical order; unknown names are an error listing the valid ones. */
export function selectServices(names?: readonly string[]): Service[] {
  if (!names || names.length === 0) return SERVICE_NAMES.map((n) => ALL[n]);
  const unknown = names.filter((n) => !isServiceName(n));
  if (unknown.length) throw new Error(`unknown service ${unknown.join(', ')}; expected one of: ${SERVICE_NAMES.join(', ')}`);
  return SERVICE_NAMES.filter((n) => names.includes(n)).map((n) => ALL[n]);
}
