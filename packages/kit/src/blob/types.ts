import type { Readable } from 'node:stream';

export interface StoredBlob {
  /** Lowercase hex SHA-256 of the bytes: the blob's only name. */
  sha256: string;
  size: number;
  /** False when the same bytes were already stored (content addressing: stored once). */
  created: boolean;
}

export interface PutOptions {
  /** Refuse (and leave nothing behind) once more than this many bytes arrive: throws `ParleyError('FILE_TOO_LARGE')`. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface ByteRange {
  /** Inclusive, as in HTTP Range. */
  start: number;
  end: number;
}

/**
 * Where upload bytes live, content-addressed. Two drivers: the local filesystem under
 * DATA_DIR (default) and NATS JetStream Object Store (`BLOB_STORE=nats`), so a cluster
 * needs no shared disk. A write becomes visible only when complete: a crash or an
 * aborted stream mid-upload leaves nothing anyone can read.
 */
export interface BlobStore {
  readonly driver: 'fs' | 'nats';
  /** Streams the bytes in, hashing as they pass; memory stays bounded whatever the size. */
  put(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /** The bytes (or a range of them) as a stream; null when there is no such blob. */
  get(sha256: string, range?: ByteRange): Promise<Readable | null>;
  stat(sha256: string): Promise<{ size: number } | null>;
  /** Removes the bytes; a blob that is not there is not an error. */
  delete(sha256: string): Promise<void>;
  close(): Promise<void>;
}

export interface BlobStoreOptions {
  driver: 'fs' | 'nats';
  /** fs: blobs live in `${dataDir}/blobs` (`memory://`: a temp folder of this process). */
  dataDir: string;
  /** nats: the server(s); the bucket is named from the bus namespace. */
  natsUrl?: string | undefined;
  namespace: string;
  replicas?: number;
  /**
   * Which store: `blobs` (default, the media library) or another name for a separate one (the face
   * service's short-lived uploads), so deleting from it can never touch a blob media counts on.
   */
  name?: string;
}
