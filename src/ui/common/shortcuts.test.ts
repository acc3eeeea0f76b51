import { describe, expect, it } from 'vitest';
import { buildKeymap, canonicalCombo, comboOf, findConflicts, isTextEntry, type Shortcut } from './shortcuts';
import { annotateShortcuts, type AnnotateActions } from '../annotate/hotkeys';

const noop = new Proxy({}, { get: () => () => true }) as AnnotateActions;
const ev = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe('shortcut registry', () => {
  it('no two entries of the annotate registry claim the same key', () => {
    expect(findConflicts(annotateShortcuts(noop))).toEqual([]);
  });

  it('catches two entries that claim one key, however it is written', () => {
    const list: Shortcut[] = [
      { id: 'a', label: 'A', kbd: ['ctrl+shift+z'] },
      { id: 'b', label: 'B', kbd: ['Mod+Shift+Z', 'Y'] },
      { id: 'c', label: 'C', kbd: ['y'] },
    ];
    expect(findConflicts(list)).toEqual([{ kbd: 'Mod+Shift+Z', ids: ['a', 'b'] }, { kbd: 'Y', ids: ['b', 'c'] }]);
    expect(() => buildKeymap(list)).toThrow(/Two shortcuts claim the same key/);
  });

  it('maps keyboard events to the written combos', () => {
    expect(comboOf(ev('z', { ctrlKey: true }))).toBe(canonicalCombo('Mod+Z'));
    expect(comboOf(ev('Z', { ctrlKey: true, shiftKey: true }))).toBe('Mod+Shift+Z');
    expect(comboOf(ev('z', { metaKey: true }))).toBe('Mod+Z');
    expect(comboOf(ev('?', { shiftKey: true }))).toBe(canonicalCombo('?'));
    expect(comboOf(ev('+', { shiftKey: true }))).toBe(canonicalCombo('+'));
    expect(comboOf(ev('ArrowLeft', { shiftKey: true }))).toBe('Shift+ArrowLeft');
    expect(comboOf(ev('n'))).toBe('N');
    expect(comboOf(ev(' '))).toBe('Space');
    const map = buildKeymap(annotateShortcuts(noop));
    expect(map.get(comboOf(ev('y', { ctrlKey: true })))?.id).toBe('edit.redo');
    expect(map.get(comboOf(ev('Backspace')))?.id).toBe('box.delete');
    expect(map.get(comboOf(ev('ArrowUp', { shiftKey: true })))?.id).toBe('box.nudge.up10');
  });

  it('pauses in text fields but not on checkboxes or buttons', () => {
    expect(isTextEntry({ tagName: 'INPUT', type: 'text' } as unknown as EventTarget)).toBe(true);
    expect(isTextEntry({ tagName: 'TEXTAREA' } as unknown as EventTarget)).toBe(true);
    expect(isTextEntry({ tagName: 'DIV', isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(isTextEntry({ tagName: 'INPUT', type: 'checkbox' } as unknown as EventTarget)).toBe(false);
    expect(isTextEntry({ tagName: 'BUTTON' } as unknown as EventTarget)).toBe(false);
  });
});
