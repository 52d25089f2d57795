/** Consumer lag per group and partition, from the committed offsets and the topic's end offsets. */
import type { Admin } from 'kafkajs';
import { consumerLag } from '../../observability/click-metrics';
import type { Logger } from '../../observability/logger';

/** Reads the lag of `groups` on `topic` every `intervalMs`; returns a stopper. */
export function startLagMonitor(admin: Admin, topic: string, groups: string[], log: Logger, intervalMs = 5000): () => void {
  let connected = false;
  let lastWarn = 0;
  const tick = async () => {
    try {
      if (!connected) {
        await admin.connect();
        connected = true;
      }
      const ends = await admin.fetchTopicOffsets(topic);
      for (const group of groups) {
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const byPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
        for (const end of ends) {
          const at = byPartition.get(end.partition) ?? -1;
          const from = at >= 0 ? at : Number(end.low);
          consumerLag.set({ group, topic, partition: String(end.partition) }, Math.max(0, Number(end.high) - from));
        }
      }
    } catch (err) {
      connected = false;
      await admin.disconnect().catch(() => undefined);
      if (Date.now() - lastWarn > 30_000) {
        lastWarn = Date.now();
        log.warn({ err: (err as Error).message }, 'consumer lag unavailable');
      }
    }
  };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= tick().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  return () => {
    clearInterval(timer);
    void admin.disconnect().catch(() => undefined);
  };
}
