import type { ImageRecord } from '../../state/db';
import { studyStore } from '../../state/study';

const cache = new Map<string, Promise<ImageRecord | undefined>>();
/** An image by content hash from the study store; the last few are kept so next/previous are instant. */
export function loadImage(hash: string): Promise<ImageRecord | undefined> {
  let p = cache.get(hash);
  if (!p) {
    p = studyStore().getState().getImage(hash);
    p.catch(() => cache.delete(hash));
    cache.set(hash, p);
    while (cache.size > 6) cache.delete(cache.keys().next().value!);
  }
  return p;
}
