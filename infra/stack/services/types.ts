export const SERVICE_NAMES = ['postgres', 'redis-cache', 'redis-queue', 'kafka', 'clickhouse', 'temporal', 'prometheus'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** One local server. Methods are idempotent so `up` can be re-run at any point after a crash. */
export interface Service {
  readonly name: ServiceName;
  /** What clients connect to, shown by `status`. */
  readonly endpoint: string;
  /** The log `logs` shows and failures quote. */
  readonly logFile: string;
  /** Ports the server binds; a busy port with no live server of ours means someone else holds it. */
  readonly ports: readonly number[];
  readonly readyTimeoutMs: number;
  /** Debian packages that are needed but not installed. */
  missingPackages(): string[];
  /** Non-apt downloads (jars, binaries): a label for the progress line when work is needed, else undefined. */
  pendingInstall(): string | undefined;
  install(): Promise<void>;
  /** Pid of our running server, or undefined when the recorded pid is gone or belongs to something else. */
  pid(): number | undefined;
  /** One readiness check; cheap, short timeout. */
  probe(): Promise<boolean>;
  /** Launches the server detached; does not wait for readiness. */
  start(): Promise<void>;
  /** Creates databases/topics the app expects; must be safe to repeat. */
  afterReady(): Promise<void>;
  /** Stops the server and waits until its processes are gone. */
  stop(): Promise<void>;
}
