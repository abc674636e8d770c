import type { DecodeFailure } from './decode.ts';
import type { BackendName, Box } from './faces.ts';

/** What the service sends a worker: a photo's bytes (transferred, not copied), or a question about it. */
export type WorkerTask = { kind: 'detect'; bytes: ArrayBuffer; maxPixels: number } | { kind: 'info' };

export interface FoundFace {
  /** In the photo's displayed coordinates (after EXIF orientation), in pixels. */
  box: Box;
  score: number;
  descriptor: Float32Array;
}

export type WorkerReply =
  | { kind: 'faces'; width: number; height: number; faces: FoundFace[]; inferenceMs: number }
  | { kind: 'failed'; reason: DecodeFailure }
  | { kind: 'info'; backend: BackendName; numTensors: number };
