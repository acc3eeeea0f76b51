import { useEffect, useRef } from 'react';

/**
 * The one shortcut registry. Every action a key can trigger is an entry `{id, label, kbd, run}`;
 * the hotkey overlay is generated from the same list, so what is shown is what is bound.
 *
 * Key names: `Mod` is Ctrl (or Cmd on a Mac); letters are written upper case (`N`, `Shift+N`);
 * printable symbols are written as typed, without Shift (`?`, `+`, `-`, `[`); named keys use the
 * DOM names (`ArrowLeft`, `Delete`, `Backspace`, `Escape`, `PageDown`, `Space`).
 * An entry without `run` documents a gesture handled elsewhere (space + drag) and still claims its key.
 */
export interface Shortcut {
  id: string;
  label: string;
  kbd: string[];
  group?: string;
  /** Return false to let the key through (the event is then not prevented). */
  run?: (e: KeyboardEvent) => void | boolean;
}

const MOD_ORDER = ['Mod', 'Alt', 'Shift'] as const;

/** Canonical form of a written combo (`ctrl+shift+z` -> `Mod+Shift+Z`). */
export function canonicalCombo(combo: string): string {
  const parts = combo.split('+');
  // a trailing '+' means the plus key itself ("Mod++" or "+")
  let key = parts.pop() ?? '';
  if (key === '' && combo.endsWith('+')) { key = '+'; parts.pop(); }
  const mods = new Set(parts.map((m) => {
    const l = m.toLowerCase();
    if (l === 'ctrl' || l === 'cmd' || l === 'meta' || l === 'mod') return 'Mod';
    if (l === 'alt' || l === 'option') return 'Alt';
    if (l === 'shift') return 'Shift';
    throw new Error(`Unknown modifier "${m}" in shortcut "${combo}" (expected Mod, Ctrl, Alt or Shift).`);
  }));
  if (key.length === 1) {
    if (/[a-z]/i.test(key)) key = key.toUpperCase();
    else if (key === ' ') key = 'Space';
    else mods.delete('Shift'); // a symbol already implies its Shift state
  }
  return [...MOD_ORDER.filter((m) => mods.has(m)), key].join('+');
}

/** The combo a keyboard event stands for, in canonical form. */
export function comboOf(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): string {
  let key = e.key;
  if (key === ' ' || key === 'Spacebar') key = 'Space';
  const mods: string[] = [];
  if (e.ctrlKey || e.metaKey) mods.push('Mod');
  if (e.altKey) mods.push('Alt');
  const symbol = key.length === 1 && !/[a-z]/i.test(key);
  if (e.shiftKey && !symbol) mods.push('Shift');
  if (key.length === 1 && /[a-z]/i.test(key)) key = key.toUpperCase();
  return [...mods, key].join('+');
}

/** Pairs of entries that claim the same key: `[{kbd, ids}]`, empty when the registry is sound. */
export function findConflicts(list: Shortcut[]): Array<{ kbd: string; ids: string[] }> {
  const owners = new Map<string, string[]>();
  for (const s of list) {
    for (const k of new Set(s.kbd.map(canonicalCombo))) {
      owners.set(k, [...(owners.get(k) ?? []), s.id]);
    }
  }
  return [...owners].filter(([, ids]) => ids.length > 1).map(([kbd, ids]) => ({ kbd, ids }));
}

/** Key -> entry; throws (code SHORTCUT_CONFLICT) when two entries claim one key. */
export function buildKeymap(list: Shortcut[]): Map<string, Shortcut> {
  const conflicts = findConflicts(list);
  if (conflicts.length) {
    const err = new Error(`Two shortcuts claim the same key: ${conflicts.map((c) => `${c.kbd} (${c.ids.join(', ')})`).join('; ')}. Give each action its own key in the registry.`);
    (err as Error & { code: string }).code = 'SHORTCUT_CONFLICT';
    throw err;
  }
  const map = new Map<string, Shortcut>();
  for (const s of list) for (const k of s.kbd) map.set(canonicalCombo(k), s);
  return map;
}

/** True when keys typed now belong to a text field (shortcuts pause). */
export function isTextEntry(el: EventTarget | null): boolean {
  const node = el as (HTMLElement & { type?: string; isContentEditable?: boolean }) | null;
  if (!node || typeof node !== 'object' || !('tagName' in node)) return false;
  const tag = String(node.tagName).toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file'].includes(String(node.type ?? 'text').toLowerCase());
  return Boolean(node.isContentEditable);
}

/** How a combo is shown to people (`Mod` becomes Ctrl or ⌘). */
export function displayCombo(combo: string, mac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform)): string {
  return canonicalCombo(combo)
    .split('+')
    .map((p) => (p === 'Mod' ? (mac ? '⌘' : 'Ctrl') : p.replace(/^Arrow/, '').replace(/^Escape$/, 'Esc')))
    .join(' + ')
    .replace('+ +', '+ Plus');
}

/**
 * Binds a registry to window keydown while mounted. Pauses while a text field has focus and for
 * repeated modifier-free keys of entries that do not want repeats (all do, except those listed).
 */
export function useShortcuts(list: Shortcut[], enabled = true): void {
  const ref = useRef(list);
  ref.current = list;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTextEntry(e.target) || isTextEntry(document.activeElement)) return;
      const map = buildKeymap(ref.current);
      const s = map.get(comboOf(e));
      if (!s?.run) return;
      if (s.run(e) === false) return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
