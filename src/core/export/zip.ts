/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3: local headers, central directory, end record), method 0
 * (stored): the entries are PNGs and CSVs that are already compressed or tiny, so one plain archive
 * downloads as one file instead of a hundred separate downloads (which browsers block). No ZIP64:
 * under 4 GiB and 65535 entries.
 */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function zipStore(entries: Array<{ name: string; data: Uint8Array | string }>, when = new Date(1980, 0, 1)): Uint8Array {
  const enc = new TextEncoder();
  const time = ((when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1)) & 0xffff;
  const date = (((when.getFullYear() - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate()) & 0xffff;
  const files = entries.map((e) => {
    const data = typeof e.data === 'string' ? enc.encode(e.data) : e.data;
    return { name: enc.encode(e.name), data, crc: crc32(data) };
  });
  if (files.length > 65535) throw new Error('too many entries for a ZIP without ZIP64');
  const localSize = files.reduce((s, f) => s + 30 + f.name.length + f.data.length, 0);
  const centralSize = files.reduce((s, f) => s + 46 + f.name.length, 0);
  if (localSize + centralSize + 22 > 0xffffffff) throw new Error('archive over 4 GiB');
  const out = new Uint8Array(localSize + centralSize + 22);
  const dv = new DataView(out.buffer);
  let p = 0;
  const offsets: number[] = [];
  for (const f of files) {
    offsets.push(p);
    dv.setUint32(p, 0x04034b50, true); dv.setUint16(p + 4, 20, true); dv.setUint16(p + 6, 0x0800, true); // UTF-8 names
    dv.setUint16(p + 8, 0, true); dv.setUint16(p + 10, time, true); dv.setUint16(p + 12, date, true);
    dv.setUint32(p + 14, f.crc, true); dv.setUint32(p + 18, f.data.length, true); dv.setUint32(p + 22, f.data.length, true);
    dv.setUint16(p + 26, f.name.length, true); dv.setUint16(p + 28, 0, true);
    out.set(f.name, p + 30); out.set(f.data, p + 30 + f.name.length);
    p += 30 + f.name.length + f.data.length;
  }
  const cdStart = p;
  files.forEach((f, i) => {
    dv.setUint32(p, 0x02014b50, true); dv.setUint16(p + 4, 20, true); dv.setUint16(p + 6, 20, true); dv.setUint16(p + 8, 0x0800, true);
    dv.setUint16(p + 10, 0, true); dv.setUint16(p + 12, time, true); dv.setUint16(p + 14, date, true);
    dv.setUint32(p + 16, f.crc, true); dv.setUint32(p + 20, f.data.length, true); dv.setUint32(p + 24, f.data.length, true);
    dv.setUint16(p + 28, f.name.length, true); // extra, comment, disk, internal attrs = 0
    dv.setUint32(p + 38, 0, true); dv.setUint32(p + 42, offsets[i], true);
    out.set(f.name, p + 46);
    p += 46 + f.name.length;
  });
  dv.setUint32(p, 0x06054b50, true); dv.setUint16(p + 8, files.length, true); dv.setUint16(p + 10, files.length, true);
  dv.setUint32(p + 12, p - cdStart, true); dv.setUint32(p + 16, cdStart, true);
  return out;
}
