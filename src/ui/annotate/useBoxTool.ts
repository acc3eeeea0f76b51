import { useMemo, useRef } from 'react';
import type { ImageRecord } from '../../state/db';
import { annotationsStore, newBoxId } from '../../state/annotations';
import { editorStore } from './editorStore';
import { BoxTool } from './tools/box/BoxTool';

/** One box tool for the page, wired to the editor store (view, selection, preview) and the annotations store. */
export function useBoxTool(readerId: string, caseId: string | null, image: ImageRecord | null): BoxTool {
  const cur = useRef({ readerId, caseId, image });
  cur.current = { readerId, caseId, image };
  return useMemo(() => {
    const ed = () => editorStore.getState();
    return new BoxTool({
      view: () => ed().view,
      image: () => (cur.current.caseId ? cur.current.image : null),
      boxes: () => (cur.current.caseId ? annotationsStore().getState().get(cur.current.readerId, cur.current.caseId).boxes : []),
      selected: () => ed().selected,
      select: (selected) => ed().set({ selected }),
      preview: (preview) => ed().set({ preview }),
      commit: (boxes) => { if (cur.current.caseId) annotationsStore().getState().setBoxes(cur.current.readerId, cur.current.caseId, boxes); },
      panBy: (dx, dy) => { const v = ed().view; ed().set({ view: { ...v, x: v.x + dx, y: v.y + dy }, fitted: false }); },
      setCursor: (cursor) => { if (ed().cursor !== cursor) ed().set({ cursor }); },
      newId: newBoxId,
    });
  }, []);
}
