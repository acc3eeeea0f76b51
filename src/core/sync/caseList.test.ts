import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { caseListMessages, caseListSummary, checkCaseList, publishedCase, type PublishedCase } from './caseList';

/** Content hashes as the importer writes them (sha256 hex), of small made-up pixel buffers. */
const h = (s: string) => createHash('sha256').update(s).digest('hex');
const pub = (name: string, hash: string, order = 0): PublishedCase => ({ type: 'case', name, imageHash: hash, width: 64, height: 48, order });

describe('case list check', () => {
  it('sorts every case into match, different image, missing here, extra here (worked by hand)', () => {
    const published = [pub('a/1.png', h('one'), 0), pub('a/2.png', h('two'), 1), pub('b/3.dcm', h('three'), 2), pub('b/4.dcm', h('four'), 3)];
    // here: 1 the same; 2 another image under the same name; 3 not imported; 4 the same; 5 not published
    const local = [{ name: 'a/1.png', imageHash: h('one') }, { name: 'a/2.png', imageHash: h('two, re-exported') }, { name: 'b/4.dcm', imageHash: h('four') }, { name: 'c/5.png', imageHash: h('five') }];
    const c = checkCaseList(published, local);
    expect(c).toEqual({
      published: 4, local: 4, matching: 2,
      mismatched: [{ name: 'a/2.png', publishedHash: h('two'), localHash: h('two, re-exported') }],
      missing: [{ name: 'b/3.dcm', imageHash: h('three') }],
      extra: [{ name: 'c/5.png', imageHash: h('five') }],
      incomplete: false, ok: false,
    });
    const msgs = caseListMessages(c);
    expect(msgs).toHaveLength(3);
    // the mismatch names the file and both full hashes
    expect(msgs[0]).toContain('a/2.png');
    expect(msgs[0]).toContain(h('two'));
    expect(msgs[0]).toContain(h('two, re-exported'));
    expect(msgs[1]).toMatch(/^b\/3\.dcm: in the study's case list.*not imported here/);
    expect(msgs[2]).toMatch(/^c\/5\.png: imported here, not in the study's case list/);
    expect(caseListSummary(c)).toBe('Case list differs: 2 of 4 published cases match; 1 with a different image, 1 missing here, 1 here but not published.');
  });

  it('a renamed file is told as the same image under another name', () => {
    const c = checkCaseList([pub('x.png', h('x'))], [{ name: 'y.png', imageHash: h('x') }]);
    expect(c.missing).toEqual([{ name: 'x.png', imageHash: h('x'), hereAs: 'y.png' }]);
    expect(c.extra).toEqual([{ name: 'y.png', imageHash: h('x'), publishedAs: 'x.png' }]);
    expect(caseListMessages(c)[0]).toContain('is here as y.png');
  });

  it('all the same: matches; a manifest counting more cases than arrived: partial, not a match', () => {
    const list = [pub('1', h('1')), pub('2', h('2'))];
    const here = [{ name: '2', imageHash: h('2') }, { name: '1', imageHash: h('1') }];
    const ok = checkCaseList(list, here, { type: 'case-list', study: 's', count: 2, publishedAt: 0, publishedBy: 'coord' });
    expect(ok.ok).toBe(true);
    expect(caseListSummary(ok)).toBe('Case list matches: all 2 published cases are here with the same images.');
    expect(caseListMessages(ok)).toEqual([]);
    const partial = checkCaseList(list, here, { type: 'case-list', study: 's', count: 3, publishedAt: 0, publishedBy: 'coord' });
    expect(partial.ok).toBe(false);
    expect(partial.incomplete).toBe(true);
    expect(caseListMessages(partial, { type: 'case-list', study: 's', count: 3, publishedAt: 0, publishedBy: 'coord' })[0]).toContain('has 3 cases and 2 have arrived');
    // nothing published is not a match either
    expect(checkCaseList([], here).ok).toBe(false);
  });

  it('publishes name, hash, size and non-pixel metadata; never identifiers, labels or findings (readers read the list)', () => {
    const stored = { name: 'ct/7.dcm', imageHash: h('7'), width: 512, height: 400, label: 1, abnormality: 'fracture', order: 6, bodyPart: 'CHEST', meta: { source: { format: 'dicom', modality: 'CR', bitDepth: 12 }, labelSource: 'csv', identifiers: { PatientName: 'Doe^Jane' } } };
    const p = publishedCase(stored);
    expect(p).toEqual({ type: 'case', name: 'ct/7.dcm', imageHash: h('7'), width: 512, height: 400, order: 6, bodyPart: 'CHEST', format: 'dicom', modality: 'CR' });
  });
});
