/**
 * A piscina worker thread: loads the models once (top-level await, before its first task), then
 * decodes and detects one photo per task. Imports no workspace package, so it runs from source
 * through a tsx bootstrap (`model/worker-boot.mjs`) and from the tsup build alike.
 */
import sharp from 'sharp';
import { DecodeError, decodeImage } from './model/decode.ts';
import { loadFaceModel } from './model/faces.ts';
import type { WorkerReply, WorkerTask } from './model/protocol.ts';

// One libvips thread per worker: the pool already uses every core.
sharp.concurrency(1);
sharp.cache(false);
const model = await loadFaceModel();

export default async function detectTask(task: WorkerTask): Promise<WorkerReply> {
  if (task.kind === 'info') return { kind: 'info', backend: model.backend, numTensors: model.numTensors() };
  let image: Awaited<ReturnType<typeof decodeImage>>;
  try {
    image = await decodeImage(new Uint8Array(task.bytes), task.maxPixels);
  } catch (err) {
    if (err instanceof DecodeError) return { kind: 'failed', reason: err.reason };
    throw err;
  }
  const started = performance.now();
  const faces = await model.detect(image.rgb, image.width, image.height);
  const inferenceMs = performance.now() - started;
  const scale = image.originalWidth / image.width;
  return {
    kind: 'faces',
    width: image.originalWidth,
    height: image.originalHeight,
    inferenceMs,
    faces: faces.map((f) => ({
      score: f.score,
      descriptor: f.descriptor,
      box: {
        x: f.box.x * scale,
        y: f.box.y * scale,
        width: f.box.width * scale,
        height: f.box.height * scale,
      },
    })),
  };
}
