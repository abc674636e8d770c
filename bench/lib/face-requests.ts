export { inParallel } from './concurrency.ts';

import type { Photo } from './face-photos.ts';
import { requestJson } from './face-stack.ts';

export interface SearchFace {
  box: { x: number; y: number; width: number; height: number };
  match: { identityId: string; name: string; distance: number; similarity: number } | null;
}
export interface SearchReply {
  matched: boolean;
  faces: SearchFace[];
  threshold: number;
}
interface AddPhotosReply {
  added: { photoId: string }[];
  rejected: { file: string; code: string }[];
}

const form = (photos: Photo[]): FormData => {
  const body = new FormData();
  for (const photo of photos) {
    const type = photo.filename.endsWith('.png') ? 'image/png' : 'image/jpeg';
    body.append('file', new Blob([photo.bytes], { type }), photo.filename);
  }
  return body;
};

/** A client of the gateway's face routes that times each request, from sending to the parsed answer. */
export class FaceClient {
  constructor(
    readonly gateway: string,
    readonly token: string,
  ) {}

  createIdentity(name: string): Promise<{ id: string }> {
    return requestJson(`${this.gateway}/api/v1/faces/identities`, {
      method: 'POST',
      body: JSON.stringify({ name }),
      token: this.token,
    });
  }

  /** One photo per request; it must be added (exactly one face), or the run is wrong. */
  async enrol(identityId: string, photo: Photo): Promise<number> {
    const started = performance.now();
    const reply = await requestJson<AddPhotosReply>(`${this.gateway}/api/v1/faces/identities/${identityId}/photos`, {
      method: 'POST',
      body: form([photo]),
      token: this.token,
    });
    const ms = performance.now() - started;
    if (reply.added.length !== 1) throw new Error(`enrol ${photo.filename}: ${JSON.stringify(reply.rejected)}`);
    return ms;
  }

  async search(photo: Photo): Promise<{ ms: number; reply: SearchReply }> {
    const started = performance.now();
    const reply = await requestJson<SearchReply>(`${this.gateway}/api/v1/faces/search`, {
      method: 'POST',
      body: form([photo]),
      token: this.token,
    });
    return { ms: performance.now() - started, reply };
  }
}
