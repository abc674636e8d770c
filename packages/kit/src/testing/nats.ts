import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { blobBucketName } from '../blob/shared.ts';
import { deadLetterStreamName, eventStreamName } from '../bus/subject.ts';

/**
 * Deletes the JetStream streams a throwaway bus namespace created (its events and dead letters),
 * so test and benchmark runs leave the shared NATS server as they found it.
 */
export const dropBusNamespace = async (natsUrl: string | undefined, namespace: string): Promise<void> => {
  if (!natsUrl) return;
  const nc = await connect({ servers: natsUrl.split(','), timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of [eventStreamName(namespace), deadLetterStreamName(namespace)]) {
      await jsm.streams.delete(stream).catch((err: Error) => {
        if (!/not found/i.test(err.message)) throw err;
      });
    }
  } finally {
    await nc.close();
  }
};

/** Deletes a blob store bucket (`BLOB_STORE=nats`; `name` as given to createBlobStore) of a throwaway namespace, with everything in it. */
export const dropBlobBucket = async (natsUrl: string | undefined, namespace: string, name?: string): Promise<void> => {
  if (!natsUrl) return;
  const nc = await connect({ servers: natsUrl.split(','), timeout: 5_000 });
  try {
    const os = await new Objm(nc).open(blobBucketName(namespace, name)).catch((err: Error) => {
      if (/not found/i.test(err.message)) return null;
      throw err;
    });
    await os?.destroy();
  } finally {
    await nc.close();
  }
};
