/** Bull Board over the keygen queue, as Koa middleware; api/routes/admin.ts puts authentication in front. */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Queue } from 'bullmq';
import type { Middleware } from 'koa';

export const BOARD_BASE_PATH = '/admin/queues';

/** The board's middleware (UI, static files and its JSON API under `basePath`) for `queues`. */
export function createBoardMiddleware(queues: Queue[], basePath = BOARD_BASE_PATH): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'linkhop queues' } },
  });
  return serverAdapter.registerPlugin();
}
