import { decodeImage } from '../../services/face-match/src/model/decode.ts';
import { loadFaceModel } from '../../services/face-match/src/model/faces.ts';
import type { Photo } from './face-photos.ts';

/** The model alone on one photo. */
export interface ModelRun {
  /** detect + landmarks + descriptor (the padded retry of a tight crop included), ms. */
  inferMs: number;
  /** sharp decode, ms: not part of the limit, reported beside it. */
  decodeMs: number;
  faces: number;
  /** The first face's descriptor, if any: a real query for the index timings. */
  descriptor: Float32Array | undefined;
}

export interface ModelLimit {
  backend: string;
  loadMs: number;
  /** Live tensors after loading and after the last photo: flat, or memory leaks. */
  tensors(): { before: number; now: number };
  run(photo: Photo): Promise<ModelRun>;
}

const MAX_PIXELS = 32_000_000;

/**
 * The WASM backend's Emscripten glue installs process-wide handlers that rethrow any unhandled
 * rejection (crashing with its whole minified source). The runner reports a failed benchmark itself,
 * so the handlers added while loading are taken off again.
 */
async function withoutProcessHandlers<T>(load: () => Promise<T>): Promise<T> {
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  try {
    return await load();
  } finally {
    for (const listener of process.listeners('uncaughtException')) {
      if (!exceptions.has(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!rejections.has(listener)) process.removeListener('unhandledRejection', listener);
    }
  }
}

/**
 * The face-match service's own model module (the same package, backend choice, nets, options and
 * tight-crop retry), run in the benchmark's process on one thread: no bus, no worker hand-off, no
 * HTTP. What it takes per photo is the floor of any request that has to run it.
 */
export async function loadModelLimit(): Promise<ModelLimit> {
  const started = performance.now();
  const model = await withoutProcessHandlers(loadFaceModel);
  const loadMs = performance.now() - started;
  const before = model.numTensors();
  return {
    backend: model.backend,
    loadMs,
    tensors: () => ({ before, now: model.numTensors() }),
    async run(photo) {
      const t0 = performance.now();
      const image = await decodeImage(photo.bytes, MAX_PIXELS);
      const t1 = performance.now();
      const found = await model.detect(image.rgb, image.width, image.height);
      return { inferMs: performance.now() - t1, decodeMs: t1 - t0, faces: found.length, descriptor: found[0]?.descriptor };
    },
  };
}

/** Model runs of one kind of photo, kept for the figures. */
export class ModelTimes {
  readonly runs: ModelRun[] = [];
  add(run: ModelRun): ModelRun {
    this.runs.push(run);
    return run;
  }
  get inferMs(): number[] {
    return this.runs.map((r) => r.inferMs);
  }
  get decodeMs(): number[] {
    return this.runs.map((r) => r.decodeMs);
  }
}
