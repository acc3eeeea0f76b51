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

  it('keeps the built bytes under a budget, least recently used dropped first, the newest always kept', () => {
    const disposed: string[] = [];
    const c = new ModelCache<string>((id) => disposed.push(id));
    c.setBudget(100);
    const build = (id: string, bytes: number) => {
      c.makeRoomFor(id);
      c.set(id, id);
      c.setSize(id, bytes);
    };
    build('a', 40);
    build('b', 40);
    expect(disposed).toEqual([]);
    expect(c.bytes).toBe(80);
    c.use('a');
    build('c', 40); // 120 > 100: b is the least recently used
    expect(disposed).toEqual(['b']);
    expect(c.ids()).toEqual(['a', 'c']);
    build('big', 500); // over the budget alone: everything else goes, the newest stays
    expect(disposed).toEqual(['b', 'a', 'c']);
    expect(c.ids()).toEqual(['big']);
    expect(c.bytes).toBe(500);
  });

  it('never drops a pinned model (work running on it); once unpinned it goes if still over', () => {
    const disposed: string[] = [];
    const c = new ModelCache<string>((id) => disposed.push(id));
    c.setBudget(100);
    c.setLimit(2);
    c.set('a', 'a');
    c.setSize('a', 60);
    c.pin('a');
    c.pin('a');
    c.makeRoomFor('b');
    c.set('b', 'b');
    c.setSize('b', 60); // 120 > 100, but a is pinned
    expect(disposed).toEqual([]);
    c.makeRoomFor('c'); // count limit 2: a pinned, so b (not the one asked for) goes
    expect(disposed).toEqual(['b']);
    c.set('c', 'c');
    c.setSize('c', 60);
    expect(disposed).toEqual(['b']);
    c.unpin('a');
    expect(disposed).toEqual(['b']); // still pinned once
    c.unpin('a');
    expect(disposed).toEqual(['b', 'a']);
    expect(c.ids()).toEqual(['c']);
  });
});
