import type { Tensor3D } from '@tensorflow/tfjs';
import { type BackendName, loadFaceApi, modelFolder } from './backend.ts';

export type { BackendName };

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  /** In the coordinates of the image given to `detect`. */
  box: Box;
  score: number;
  /** The 128-d recognition embedding; Euclidean distance compares two. */
  descriptor: Float32Array;
}

export interface FaceModel {
  backend: BackendName;
  /** `rgb`: width × height × 3 bytes, row-major. */
  detect(rgb: Uint8Array, width: number, height: number): Promise<DetectedFace[]>;
  /** Live tensors: flat across calls, or memory leaks. */
  numTensors(): number;
}

const MIN_CONFIDENCE = 0.5;
/**
 * SSD needs context around a face: a tight crop (the face fills the frame) gives nothing. Padding
 * each edge by the longer side shrinks the face to a third of the frame, where every fixture crop
 * is found with confidence ≥ 0.7 (half as much padding still missed 4 of the 40).
 */
const PAD_RATIO = 1;
const PADDED_MAX_SIDE = 1280;

export const loadFaceModel = async (): Promise<FaceModel> => {
  const { faceapi, tf, backend } = await loadFaceApi();
  const folder = modelFolder();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(folder);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(folder);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(folder);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_CONFIDENCE });

  const run = async (input: Tensor3D): Promise<DetectedFace[]> => {
    const found = await faceapi
      .detectAllFaces(input as never, options)
      .withFaceLandmarks()
      .withFaceDescriptors();
    return found.map((f) => {
      const { x, y, width: w, height: h } = f.detection.box;
      return { box: { x, y, width: w, height: h }, score: f.detection.score, descriptor: f.descriptor };
    });
  };

  return {
    backend,
    async detect(rgb, width, height) {
      const input = tf.tensor3d(rgb, [height, width, 3], 'int32');
      try {
        const faces = await run(input);
        if (faces.length > 0) return faces;
        // Scaled first so the padded canvas stays within PADDED_MAX_SIDE: big photos stay cheap.
        const longer = Math.max(width, height);
        const k = Math.min(1, PADDED_MAX_SIDE / (longer * (1 + 2 * PAD_RATIO)));
        const pad = Math.round(longer * k * PAD_RATIO);
        const padded = tf.tidy(() => {
          const scaled = k < 1 ? tf.image.resizeBilinear(input, [Math.round(height * k), Math.round(width * k)]) : input;
          return tf.pad(scaled, [
            [pad, pad],
            [pad, pad],
            [0, 0],
          ]);
        });
        try {
          const again = await run(padded);
          return again.map((f) => ({ ...f, box: unpad(f.box, pad, k, width, height) }));
        } finally {
          padded.dispose();
        }
      } finally {
        input.dispose();
      }
    },
    numTensors: () => tf.memory().numTensors,
  };
};

/** A box found on the padded, scaled canvas, back in the original image's pixels and inside it. */
export const unpad = (box: Box, pad: number, scale: number, width: number, height: number): Box => {
  const at = (v: number, max: number) => Math.min(Math.max((v - pad) / scale, 0), max);
  const x0 = at(box.x, width);
  const y0 = at(box.y, height);
  const x1 = at(box.x + box.width, width);
  const y1 = at(box.y + box.height, height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
};
