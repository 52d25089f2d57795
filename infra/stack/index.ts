/**
 * Programmatic control of the local stack, for tests that stop a dependency and bring it back.
 * Every function throws StackError (after printing the details) when a service fails.
 */
import { reporter } from './report';
import { down, status, up, type StatusRow } from './runner';
import { selectServices } from './services';

export { StackError, StackFailure } from './report';
export { SERVICE_NAMES, type ServiceName } from './services';
export type { StatusRow };

/** Installs what is missing, starts what is down, waits for readiness, then runs the schema hooks. */
export async function stackUp(opts: { quiet?: boolean; services?: string[] } = {}): Promise<void> {
  await up(selectServices(opts.services), reporter(opts.quiet), { hooks: true, summary: true });
}

/** Stops the given services (all when omitted) and verifies nothing of theirs is left running. */
export async function stackDown(services?: string[]): Promise<void> {
  await down(selectServices(services), reporter(true));
}

export async function stackStatus(): Promise<StatusRow[]> {
  return status(selectServices());
}

/** Brings one service back (no schema hooks: its data survived the stop). Silent unless it fails. */
export async function startService(name: string): Promise<void> {
  await up(selectServices([name]), reporter(true), { hooks: false, summary: false });
}

export async function stopService(name: string): Promise<void> {
  await down(selectServices([name]), reporter(true));
}
