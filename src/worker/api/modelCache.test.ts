import { describe, expect, it } from 'vitest';
import { ModelCache } from './modelCache';

describe('ModelCache: the pool worker\'s built models, least recently used dropped first', () => {
  it('with a limit of 2, building a third drops the least recently used other one and disposes it', () => {
    const disposed: string[] = [];
    const c = new ModelCache<string>((id, v) => disposed.push(`${id}=${v}`));
    c.setLimit(2);
    const build = (id: string) => {
      const hit = c.use(id);
      if (hit) return hit;
      c.makeRoomFor(id);
      c.set(id, `built ${id}`);
      return `built ${id}`;
    };
    build('a');
    build('b');
    expect(c.ids()).toEqual(['a', 'b']);
    // a used again: b is now the least recently used
    expect(build('a')).toBe('built a');
    expect(c.ids()).toEqual(['b', 'a']);
    build('c');
    expect(disposed).toEqual(['b=built b']);
    expect(c.ids()).toEqual(['a', 'c']);
    build('b');
    expect(disposed).toEqual(['b=built b', 'a=built a']);
    expect(c.ids()).toEqual(['c', 'b']);
    expect(c.size).toBe(2);
  });

  it('keeps everything without a limit, and a limit below 1 keeps one', () => {
    const disposed: string[] = [];
    const c = new ModelCache<number>((id) => disposed.push(id));
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) { c.makeRoomFor(id); c.set(id, i); }
    expect(disposed).toEqual([]);
    expect(c.size).toBe(4);
    c.setLimit(0);
    c.makeRoomFor('e');
    expect(disposed).toEqual(['a', 'b', 'c', 'd']);
    c.set('e', 4);
    expect(c.ids()).toEqual(['e']);
  });

  it('never drops the model being asked for, and a failed build only removes itself', () => {
    const disposed: string[] = [];
    const c = new ModelCache<object>((id) => disposed.push(id));
    c.setLimit(1);
    const first = {};
    c.set('a', first);
    c.makeRoomFor('a');
    expect(disposed).toEqual([]);
    const second = {};
    c.set('a', second);
    c.forget('a', first);
    expect(c.use('a')).toBe(second);
    c.forget('a', second);
    expect(c.use('a')).toBeUndefined();
    expect(c.take('missing')).toBeUndefined();
  });
});
