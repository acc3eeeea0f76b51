/**
 * A tiny 5x7 bitmap font (uppercase, digits, a few signs) for the radiograph side marker and for
 * labels on contact sheets. Each glyph is 7 rows of 5 bits, written as strings.
 */
const GLYPHS: Record<string, string> = {
  A: '01110 10001 10001 11111 10001 10001 10001',
  B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110',
  D: '11110 10001 10001 10001 10001 10001 11110',
  E: '11111 10000 10000 11110 10000 10000 11111',
  F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111',
  H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110',
  J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001',
  L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001',
  N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110',
  P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110',
  V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010',
  X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 01010 00100 00100 00100 00100',
  Z: '11111 00001 00010 00100 01000 10000 11111',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  ':': '00000 01100 01100 00000 01100 01100 00000',
  '/': '00001 00001 00010 00100 01000 10000 10000',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
};

export const GLYPH_W = 5;
export const GLYPH_H = 7;

/** True when the glyph for `ch` has its pixel (col, row) set. Unknown characters draw as blanks. */
export function glyphPixel(ch: string, col: number, row: number): boolean {
  const g = GLYPHS[ch.toUpperCase()];
  if (!g || col < 0 || col >= GLYPH_W || row < 0 || row >= GLYPH_H) return false;
  return g.charCodeAt(row * (GLYPH_W + 1) + col) === 49; // '1'
}

/**
 * Draws `text` into a row-major 8-bit image at (x, y), each font pixel a `scale` x `scale` square,
 * one blank column between letters. Returns the drawn width in pixels.
 */
export function drawText(
  img: Uint8Array | Float32Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  scale: number,
  value: number,
): number {
  let cx = x;
  for (const ch of text) {
    for (let r = 0; r < GLYPH_H; r++) {
      for (let c = 0; c < GLYPH_W; c++) {
        if (!glyphPixel(ch, c, r)) continue;
        for (let dy = 0; dy < scale; dy++) {
          const py = y + r * scale + dy;
          if (py < 0 || py >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const px = cx + c * scale + dx;
            if (px < 0 || px >= width) continue;
            img[py * width + px] = value;
          }
        }
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
  return cx - x;
}
