import { describe, expect, test } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { decodeImageFile } from './decode';
import { ImportError } from './errors';
import { sha256Hex, pixelHash } from '../hash';
import { TS, writeDicom, encodeRle, encodeJpegLossless, encodeJ2k, encodeJpegLs, encodeJpegBaseline } from './testing/dicomFixtures';

/** A smooth test pattern (so lossy JPEG stays close) with a few exact landmarks. */
function pattern(w: number, h: number, max: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(Math.round((max * (x + 2 * y)) / (w + 2 * h - 3)));
  return out;
}

async function expectImportError(p: Promise<unknown>, code: string) {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ImportError);
  expect((e as ImportError).code).toBe(code);
  return e as ImportError;
}

describe('hash', () => {
  test('sha256Hex matches the FIPS 180-2 vector for "abc"', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  test('pixelHash is the hash of the pixel bytes; equal pixels from different files hash equal', async () => {
    const a = await decodeImageFile('a.png', encodePng({ width: 2, height: 1, data: new Uint8Array([7, 9]), channels: 1, depth: 8 }));
    const b = await decodeImageFile('b.png', encodePng({ width: 2, height: 1, data: new Uint8Array([7, 7, 7, 255, 9, 9, 9, 255]), channels: 4, depth: 8 }));
    expect(await pixelHash(a.pixels)).toBe(await pixelHash(b.pixels));
    expect(await pixelHash(a.pixels)).toBe(await sha256Hex(new Uint8Array([7, 9])));
  });
});

describe('PNG', () => {
  test('8-bit grey, 16-bit grey, RGB(A) to the mean, palette, 1-bit', async () => {
    const g8 = await decodeImageFile('g8.png', encodePng({ width: 3, height: 2, data: new Uint8Array([0, 1, 2, 3, 254, 255]), channels: 1, depth: 8 }));
    expect([g8.width, g8.height, g8.format]).toEqual([3, 2, 'png']);
    expect(Array.from(g8.pixels)).toEqual([0, 1, 2, 3, 254, 255]);
    const g16 = await decodeImageFile('g16.png', encodePng({ width: 2, height: 1, data: new Uint16Array([1000, 65535]), channels: 1, depth: 16 }));
    expect(g16.pixels).toBeInstanceOf(Uint16Array);
    expect(Array.from(g16.pixels)).toEqual([1000, 65535]);
    const rgb = await decodeImageFile('rgb.png', encodePng({ width: 2, height: 1, data: new Uint8Array([10, 20, 30, 255, 0, 0, 3, 0]), channels: 4, depth: 8 }));
    expect(Array.from(rgb.pixels)).toEqual([20, 1]); // (10+20+30)/3, round(3/3)
    const pal = await decodeImageFile('pal.png', encodePng({ width: 2, height: 1, data: new Uint8Array([1, 0]), channels: 1, depth: 8, palette: [[0, 0, 0], [30, 60, 90]] }));
    expect(Array.from(pal.pixels)).toEqual([60, 0]);
    // 1-bit grey, row of 10 pixels packed MSB first: 1010000011 -> bytes 0b10100000, 0b11000000
    const bit = await decodeImageFile('b1.png', encodePng({ width: 10, height: 1, data: new Uint8Array([0b10100000, 0b11000000]), channels: 1, depth: 1 }));
    expect(Array.from(bit.pixels)).toEqual([255, 0, 255, 0, 0, 0, 0, 0, 255, 255]);
  });
});

describe('JPEG', () => {
  test('a grey pattern comes back within JPEG loss; colour becomes the mean', async () => {
    const w = 16, h = 16;
    const v = pattern(w, h, 200);
    const rgba = new Uint8Array(w * h * 4);
    v.forEach((g, i) => rgba.set([g, g, g, 255], 4 * i));
    const img = await decodeImageFile('x.jpg', new Uint8Array(encodeJpeg({ width: w, height: h, data: rgba }, 95).data));
    expect([img.width, img.height, img.format]).toEqual([w, h, 'jpeg']);
    const maxErr = Math.max(...v.map((g, i) => Math.abs(g - img.pixels[i])));
    expect(maxErr).toBeLessThanOrEqual(6);
  });
});

describe('DICOM', () => {
  const rows = 6, cols = 5;
  const vals12 = pattern(cols, rows, 4095);

  test('Explicit VR Little Endian, 16-bit: rescale applied, the window from the file, identifiers kept apart', async () => {
    const bytes = writeDicom({ rows, cols, values: vals12, bitsStored: 12, slope: 2, intercept: -10, window: [900, 400], patient: { name: 'DOE^JANE', id: 'PID-42', birthDate: '19700101' }, bodyPart: 'HAND' });
    const img = await decodeImageFile('a.dcm', bytes);
    expect([img.width, img.height, img.format]).toEqual([cols, rows, 'dicom']);
    // 0 * 2 - 10 = -10 is negative: stored as Float32
    expect(img.pixels).toBeInstanceOf(Float32Array);
    expect(Array.from(img.pixels)).toEqual(vals12.map((v) => v * 2 - 10));
    expect(img.window).toEqual({ center: 900, width: 400, fn: 'LINEAR', source: 'header' });
    expect(img.invert).toBeUndefined();
    expect(img.identifiers).toMatchObject({ PatientName: 'DOE^JANE', PatientID: 'PID-42', PatientBirthDate: '19700101' });
    expect(img.info.bodyPart).toBe('HAND');
    expect(JSON.stringify(img.info)).not.toMatch(/DOE|PID-42|1970/);
  });

  test('Implicit VR Little Endian, 8-bit, no window: the data range becomes the window', async () => {
    const v = [0, 10, 20, 30, 40, 50];
    const img = await decodeImageFile('b.dcm', writeDicom({ rows: 2, cols: 3, values: v, bitsAllocated: 8, transferSyntax: TS.implicitLE }));
    expect(img.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(img.pixels)).toEqual(v);
    expect(img.window).toEqual({ center: 25, width: 50, fn: 'LINEAR_EXACT', source: 'min-max' });
  });

  test('Explicit VR Big Endian, 16-bit', async () => {
    const img = await decodeImageFile('c.dcm', writeDicom({ rows, cols, values: vals12, transferSyntax: TS.explicitBE }));
    expect(img.pixels).toBeInstanceOf(Uint16Array);
    expect(Array.from(img.pixels)).toEqual(vals12);
  });

  test('MONOCHROME1 is flagged for inverted (bone-white) display; the pixels stay as stored', async () => {
    const img = await decodeImageFile('d.dcm', writeDicom({ rows, cols, values: vals12, photometric: 'MONOCHROME1' }));
    expect(img.invert).toBe(true);
    expect(Array.from(img.pixels)).toEqual(vals12);
  });

  test('signed 12-bit in 16 bits: masked to 12 bits and sign-extended (junk in the high bits ignored)', async () => {
    const signedVals = [-2048, -1, 0, 1, 2047, -1000];
    const stored = signedVals.map((v) => (v & 0x0fff) | 0xa000); // junk in bits 12..15
    const img = await decodeImageFile('e.dcm', writeDicom({ rows: 2, cols: 3, values: stored, bitsStored: 12, signed: true, slope: 1, intercept: -1024 }));
    expect(Array.from(img.pixels)).toEqual(signedVals.map((v) => v - 1024));
  });

  test('a multi-valued window takes the first centre/width', async () => {
    const img = await decodeImageFile('f.dcm', writeDicom({ rows, cols, values: vals12, window: [[300, 40], [600, 80]] }));
    expect(img.window).toEqual({ center: 300, width: 600, fn: 'LINEAR', source: 'header' });
  });

  test('RLE Lossless, 16-bit and 8-bit (our PackBits decoder; frames from an encoder written in the test)', async () => {
    const img = await decodeImageFile('g.dcm', writeDicom({ rows, cols, values: vals12, transferSyntax: TS.rle, frame: encodeRle(vals12, 2) }));
    expect(Array.from(img.pixels)).toEqual(vals12);
    const flat = [5, 5, 5, 5, 5, 9, 1, 2, 3, 3, 3, 3];
    const img8 = await decodeImageFile('h.dcm', writeDicom({ rows: 3, cols: 4, values: flat, bitsAllocated: 8, transferSyntax: TS.rle, frame: encodeRle(flat, 1) }));
    expect(Array.from(img8.pixels)).toEqual(flat);
  });

  test('JPEG Lossless SV1 (frame from a T.81 process-14 encoder written in the test)', async () => {
    const v = vals12.map((x, i) => (i % 7 === 3 ? 4095 - x : x)); // not only smooth
    const frame = encodeJpegLossless(v, rows, cols, 16);
    const img = await decodeImageFile('i.dcm', writeDicom({ rows, cols, values: v, transferSyntax: TS.jpegLossless, frame }));
    expect(Array.from(img.pixels)).toEqual(v);
  });

  test('JPEG 2000 lossless, 16-bit (OpenJPEG encoder) and JPEG-LS (CharLS encoder): exact', async () => {
    const j2k = await encodeJ2k(vals12, rows, cols, 16);
    const a = await decodeImageFile('j.dcm', writeDicom({ rows, cols, values: vals12, bitsStored: 12, transferSyntax: TS.j2kLossless, frame: j2k, window: [2048, 4096] }));
    expect(Array.from(a.pixels)).toEqual(vals12);
    expect(a.window).toEqual({ center: 2048, width: 4096, fn: 'LINEAR', source: 'header' });
    const jls = await encodeJpegLs(vals12, rows, cols, 16);
    const b = await decodeImageFile('k.dcm', writeDicom({ rows, cols, values: vals12, bitsStored: 12, transferSyntax: TS.jpegLS, frame: jls }));
    expect(Array.from(b.pixels)).toEqual(vals12);
  });

  test('JPEG baseline 8-bit, YBR_FULL_422 colour (libjpeg-turbo encoder, quality 95): grey within JPEG loss', async () => {
    const w = 16, h = 16;
    const v = pattern(w, h, 250);
    const frame = await encodeJpegBaseline(v, h, w);
    const img = await decodeImageFile('l.dcm', writeDicom({ rows: h, cols: w, values: v, bitsAllocated: 8, samples: 3, photometric: 'YBR_FULL_422', transferSyntax: TS.jpegBaseline, frame }));
    expect(img.pixels).toBeInstanceOf(Uint8Array);
    expect(Math.max(...v.map((g, i) => Math.abs(g - img.pixels[i])))).toBeLessThanOrEqual(6);
  });

  test('a transfer syntax we do not decode is named, with what to do', async () => {
    const e = await expectImportError(decodeImageFile('m.dcm', writeDicom({ rows, cols, values: vals12, transferSyntax: TS.deflate })), 'IMPORT_UNSUPPORTED');
    expect(e.message).toMatch(/m\.dcm.*1\.2\.840\.10008\.1\.2\.1\.99/);
    expect(e.todo).toMatch(/uncompressed/i);
  });
});

describe('bad input never crashes an importer', () => {
  test('not an image, empty, too short', async () => {
    await expectImportError(decodeImageFile('notes.txt', new TextEncoder().encode('hello world')), 'IMPORT_UNREADABLE');
    await expectImportError(decodeImageFile('empty.png', new Uint8Array(0)), 'IMPORT_UNREADABLE');
    await expectImportError(decodeImageFile('short.dcm', new Uint8Array(40)), 'IMPORT_TRUNCATED');
  });

  test('truncations and bit flips of every format give an ImportError or a decoded image, nothing else', async () => {
    const rows = 8, cols = 8;
    const v = pattern(cols, rows, 4095);
    const v8 = pattern(cols, rows, 255);
    const rgba = new Uint8Array(cols * rows * 4);
    v8.forEach((g, i) => rgba.set([g, g, g, 255], 4 * i));
    const files: Record<string, Uint8Array> = {
      'p.png': encodePng({ width: cols, height: rows, data: Uint16Array.from(v), channels: 1, depth: 16 }),
      'p.jpg': new Uint8Array(encodeJpeg({ width: cols, height: rows, data: rgba }, 90).data),
      'native.dcm': writeDicom({ rows, cols, values: v }),
      'rle.dcm': writeDicom({ rows, cols, values: v, transferSyntax: TS.rle, frame: encodeRle(v, 2) }),
      'lossless.dcm': writeDicom({ rows, cols, values: v, transferSyntax: TS.jpegLossless, frame: encodeJpegLossless(v, rows, cols, 16) }),
      'j2k.dcm': writeDicom({ rows, cols, values: v, transferSyntax: TS.j2kLossless, frame: await encodeJ2k(v, rows, cols, 16) }),
      'jls.dcm': writeDicom({ rows, cols, values: v, transferSyntax: TS.jpegLS, frame: await encodeJpegLs(v, rows, cols, 16) }),
      'jpeg.dcm': writeDicom({ rows, cols, values: v8, bitsAllocated: 8, samples: 3, photometric: 'YBR_FULL_422', transferSyntax: TS.jpegBaseline, frame: await encodeJpegBaseline(v8, rows, cols) }),
    };
    let seed = 12345;
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    const codes = new Map<string, number>();
    for (const [name, good] of Object.entries(files)) {
      const variants: Uint8Array[] = [];
      for (const frac of [0.1, 0.3, 0.5, 0.7, 0.9, 0.97]) variants.push(good.slice(0, Math.floor(good.length * frac)));
      variants.push(good.slice(0, good.length - 1));
      for (let k = 0; k < 12; k++) {
        const m = good.slice();
        for (let f = 0; f < 1 + (k % 4); f++) m[Math.floor(rand() * m.length)] ^= 1 << Math.floor(rand() * 8);
        variants.push(m);
      }
      for (const bad of variants) {
        try {
          const img = await decodeImageFile(name, bad);
          expect(img.pixels.length).toBe(img.width * img.height);
        } catch (e) {
          if (!(e instanceof ImportError)) throw new Error(`${name} (${bad.length} of ${good.length} bytes) threw a non-ImportError: ${String(e)}`);
          expect(e.message.startsWith(name)).toBe(true);
          expect(e.todo.length).toBeGreaterThan(10);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }
    }
    // truncated files must be recognised as such somewhere in the loop
    expect(codes.get('IMPORT_TRUNCATED') ?? 0).toBeGreaterThan(0);
  });
});

describe('errorText: a thrown value as a clause for a message', () => {
  test('library prefixes and trailing colons go; numbers and {exception} objects are named', async () => {
    const { errorText } = await import('./errors');
    expect(errorText({ exception: 'littleEndianByteArrayParser.readUint16: attempt to read past end of buffer' })).toBe('attempt to read past end of buffer');
    expect(errorText('dicomParser:parseDicomDataSetExplicit: buffer overrun')).toBe('buffer overrun');
    expect(errorText(new Error('decode failed:  '))).toBe('decode failed');
    expect(errorText(5243000)).toBe('error code 5243000');
    expect(errorText('')).toBe('no message');
  });
});

describe('whose problem it is', () => {
  test('a codec that rejects the data is named (IMPORT_DECODER), with no library prefix and no claim that the file is damaged', async () => {
    const v = Array.from({ length: 64 }, (_, i) => i * 40);
    const j2k = await encodeJ2k(v, 8, 8, 16);
    const bad = j2k.slice();
    // Overwrite everything after the SOC and SIZ marker codes: a codestream OpenJPEG cannot read.
    for (let i = 4; i < bad.length; i++) bad[i] = 0xff;
    try {
      await decodeImageFile('x.dcm', writeDicom({ rows: 8, cols: 8, values: v, transferSyntax: TS.j2kLossless, frame: bad }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ImportError);
      const ie = e as ImportError;
      expect(ie.code).toBe('IMPORT_DECODER');
      expect(ie.problem).toMatch(/^has JPEG 2000 Lossless pixel data that the OpenJPEG codec could not decode \(.+\)\.$/);
      expect(ie.message).not.toMatch(/damaged/);
      expect(ie.message).not.toMatch(/:\s*\)/);
    }
  });

  test('an error in our own code is IMPORT_INTERNAL and says the file may be fine', async () => {
    const { toProblem } = await import('./errors');
    const p = toProblem('a.dcm', new TypeError('dicomParser.parseDicom is not a function'));
    expect(p.code).toBe('IMPORT_INTERNAL');
    expect(p.problem).toMatch(/error in Heatcheck's .*the file itself may be fine/);
    expect(`${p.problem} ${p.todo}`).not.toMatch(/damaged/);
  });
});
