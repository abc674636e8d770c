import { outboxTable } from '@parley/kit';
import { chatNotifySchema } from './index.ts';

/** Events written with the change they describe; the kit's relay publishes them, then deletes the rows. */
export const outbox = outboxTable(chatNotifySchema);
