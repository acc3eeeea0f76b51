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
});
