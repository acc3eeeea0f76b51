import { describe, expect, it } from 'vitest';
import { JobScheduler, type JobReply } from './scheduler';

/** A fake worker: each job resolves when the test says so; cancel records the id and rejects it. */
function fakeWorker() {
  const pending = new Map<string, (r: JobReply<string>) => void>();
  const started: string[] = [];
  const cancelled: string[] = [];
  let n = 0;
  const s = new JobScheduler({ newJobId: () => `j${n++}`, cancel: (id) => { cancelled.push(id); pending.get(id)?.({ ok: false, code: 'CANCELLED', message: 'cancelled' }); } });
  const job = (key: string, priority?: number) => ({ key, priority, run: (jobId: string) => new Promise<JobReply<string>>((res) => { started.push(`${key}@${jobId}`); pending.set(jobId, res); }) });
  const finish = async (jobId: string, value: string) => { pending.get(jobId)!({ ok: true, value }); await new Promise((r) => setTimeout(r, 0)); };
  return { s, job, finish, started, cancelled };
}

describe('JobScheduler', () => {
  it('one job per key: a second request joins it, and both hear the result', async () => {
    const { s, job, finish, started } = fakeWorker();
    const got: string[] = [];
    s.request('compare', job('a'), { onDone: (r) => got.push(`compare ${r.ok ? r.value : r.code}`) });
    s.request('dashboard', job('a'), { onDone: (r) => got.push(`dashboard ${r.ok ? r.value : r.code}`) });
    expect(started).toEqual(['a@j0']);
    expect(s.size()).toBe(1);
    await finish('j0', 'map');
    expect(got).toEqual(['compare map', 'dashboard map']);
    expect(s.size()).toBe(0);
  });

  it('runs one job at a time, lower priority first, and cancelling an owner drops its queued jobs and cancels its running one', async () => {
    const { s, job, finish, started, cancelled } = fakeWorker();
    const done: string[] = [];
    const l = (k: string) => ({ onDone: (r: JobReply<unknown>) => done.push(`${k}:${r.ok ? 'ok' : r.code}`) });
    s.request('dashboard', job('eval', 20), l('eval'));
    s.request('compare', job('m1', 1), l('m1'));
    s.request('compare', job('m2', 1), l('m2'));
    expect(started).toEqual(['eval@j0']);
    await finish('j0', 'report');
    // the queued compare maps run before anything of lower priority
    expect(started).toEqual(['eval@j0', 'm1@j1']);
    s.cancelOwner('compare');
    expect(cancelled).toEqual(['j1']);
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toEqual(['eval:ok', 'm1:CANCELLED', 'm2:CANCELLED']);
    // m2 was dropped before it started
    expect(started).not.toContain('m2@j2');
    expect(s.size()).toBe(0);
  });

  it('a job another owner still waits for is not cancelled', async () => {
    const { s, job, finish, cancelled } = fakeWorker();
    let heard = '';
    s.request('compare', job('m'), { onDone: () => {} });
    s.request('dashboard', job('m'), { onDone: (r) => (heard = r.ok ? r.value : r.code) });
    s.cancelOwner('compare');
    expect(cancelled).toEqual([]);
    await finish('j0', 'map');
    expect(heard).toBe('map');
  });

  it('a request for a key whose job is being cancelled starts a fresh job, and hears its result', async () => {
    // The real worker answers a cancel later (a message round trip): model a cancel that is only recorded.
    const pending = new Map<string, (r: JobReply<string>) => void>();
    const started: string[] = [];
    let n = 0;
    const s = new JobScheduler({ newJobId: () => `j${n++}`, cancel: () => {} });
    const job = (key: string) => ({ key, run: (jobId: string) => new Promise<JobReply<string>>((res) => { started.push(`${key}@${jobId}`); pending.set(jobId, res); }) });
    const heard: string[] = [];
    s.request('compare-1', job('m'), { onDone: (r) => heard.push(`old ${r.ok ? r.value : r.code}`) });
    expect(started).toEqual(['m@j0']);
    s.cancelOwner('compare-1');
    s.request('compare-2', job('m'), { onDone: (r) => heard.push(`new ${r.ok ? r.value : r.code}`) });
    // the cancelled job answers CANCELLED; the new request is not told so, and runs as a job of its own
    pending.get('j0')!({ ok: false, code: 'CANCELLED', message: 'cancelled' });
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(['m@j0', 'm@j1']);
    pending.get('j1')!({ ok: true, value: 'map' });
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual(['old CANCELLED', 'new map']);
    expect(s.size()).toBe(0);
  });

  describe('over a pool of lanes (fake workers)', () => {
    /** Lanes named w0..w(n-1); a job resolves when the test says so; cancel answers CANCELLED from that lane. */
    function pool(n: number) {
      const byJob = new Map<string, (r: JobReply<string>) => void>();
      const byKey = new Map<string, (r: JobReply<string>) => void>();
      const started: string[] = [];
      const cancelled: string[] = [];
      let id = 0;
      const lanes = Array.from({ length: n }, (_, i) => `w${i}`);
      const s = new JobScheduler<string>({
        newJobId: () => `j${id++}`,
        lanes,
        cancel: (jobId, lane) => {
          cancelled.push(`${jobId}@${lane}`);
          byJob.get(jobId)?.({ ok: false, code: 'CANCELLED', message: 'cancelled' });
        },
      });
      const job = (key: string, opts: { priority?: number; affinity?: string } = {}) => ({
        key,
        ...opts,
        run: (jobId: string, _p: unknown, lane: string) => new Promise<JobReply<string>>((res) => { started.push(`${key}@${lane}`); byJob.set(jobId, res); byKey.set(key, res); }),
      });
      /** The running job of `key` answers its map. */
      const finishKey = async (key: string) => {
        byKey.get(key)!({ ok: true, value: `${key} done` });
        await new Promise((r) => setTimeout(r, 0));
      };
      return { s, job, started, cancelled, finishKey };
    }

    it('runs as many jobs at once as there are lanes, each lane one at a time, the rest queued by priority', async () => {
      const { s, job, started, finishKey } = pool(2);
      const done: string[] = [];
      const l = (k: string) => ({ onDone: (r: JobReply<unknown>) => done.push(`${k}:${r.ok ? 'ok' : r.code}`) });
      s.request('dashboard', job('d1', { priority: 20 }), l('d1'));
      s.request('dashboard', job('d2', { priority: 20 }), l('d2'));
      s.request('dashboard', job('d3', { priority: 20 }), l('d3'));
      s.request('compare', job('c1', { priority: 1 }), l('c1'));
      expect(started).toEqual(['d1@w0', 'd2@w1']);
      expect(s.size()).toBe(4);
      // the lane that frees takes the most urgent queued job
      await finishKey('d2');
      expect(started).toEqual(['d1@w0', 'd2@w1', 'c1@w1']);
      await finishKey('d1');
      expect(started).toEqual(['d1@w0', 'd2@w1', 'c1@w1', 'd3@w0']);
      expect(s.stats().startedPerLane).toEqual([2, 2]);
      expect(done).toEqual(['d2:ok', 'd1:ok']);
    });

    it('a job that finds several lanes free goes to the one that last ran its model', async () => {
      const { s, job, started, finishKey } = pool(3);
      s.request('o', job('a1', { affinity: 'A' }), { onDone: () => {} });
      s.request('o', job('b1', { affinity: 'B' }), { onDone: () => {} });
      expect(started).toEqual(['a1@w0', 'b1@w1']);
      await finishKey('a1');
      await finishKey('b1');
      s.request('o', job('b2', { affinity: 'B' }), { onDone: () => {} });
      s.request('o', job('c1', { affinity: 'C' }), { onDone: () => {} });
      s.request('o', job('a2', { affinity: 'A' }), { onDone: () => {} });
      expect(started.slice(2)).toEqual(['b2@w1', 'c1@w0', 'a2@w2']);
    });

    it('cancelling an owner cancels its running jobs in the lanes that run them and drops its queued ones; other owners keep theirs', async () => {
      const { s, job, started, cancelled, finishKey } = pool(2);
      const heard: string[] = [];
      const l = (k: string) => ({ onDone: (r: JobReply<unknown>) => heard.push(`${k}:${r.ok ? 'ok' : r.code}`) });
      for (const k of ['m1', 'm2', 'm3', 'm4']) s.request('case-1', job(k, { priority: 1 }), l(k));
      s.request('dashboard', job('d1', { priority: 20 }), l('d1'));
      s.request('dashboard', job('m4', { priority: 20 }), l('m4 (dashboard)'));
      expect(started).toEqual(['m1@w0', 'm2@w1']);
      s.cancelOwner('case-1');
      expect(cancelled).toEqual(['j0@w0', 'j1@w1']);
      await new Promise((r) => setTimeout(r, 0));
      // m3 dropped before it started; m4 is still wanted by the dashboard and runs, after the lanes are answered
      expect(started).toEqual(['m1@w0', 'm2@w1', 'm4@w0', 'd1@w1']);
      expect(s.stats()).toMatchObject({ dropped: 1, cancelledRunning: 2 });
      await finishKey('m4');
      expect(heard).toEqual(['m1:CANCELLED', 'm2:CANCELLED', 'm3:CANCELLED', 'm4:CANCELLED', 'm4 (dashboard):ok']);
      expect(s.keys()).toEqual(['d1']);
    });

    it('a lane stays taken until its worker has answered a cancel', async () => {
      const pending = new Map<string, (r: JobReply<string>) => void>();
      const started: string[] = [];
      let id = 0;
      // this worker records the cancel and answers later
      const s = new JobScheduler<string>({ newJobId: () => `j${id++}`, lanes: ['w0', 'w1'], cancel: () => {} });
      const job = (key: string) => ({ key, run: (jobId: string, _p: unknown, lane: string) => new Promise<JobReply<string>>((res) => { started.push(`${key}@${lane}`); pending.set(jobId, res); }) });
      s.request('a', job('x'), { onDone: () => {} });
      s.request('a', job('y'), { onDone: () => {} });
      s.cancelOwner('a');
      s.request('b', job('z'), { onDone: () => {} });
      expect(started).toEqual(['x@w0', 'y@w1']);
      pending.get('j1')!({ ok: false, code: 'CANCELLED', message: 'cancelled' });
      await new Promise((r) => setTimeout(r, 0));
      expect(started).toEqual(['x@w0', 'y@w1', 'z@w1']);
    });
  });
});
