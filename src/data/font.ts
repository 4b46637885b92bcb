// A 5×7 bitmap font for printed ASCII (32–126), so contact sheets can carry report text without a
// font library. Each glyph is five column bytes, bit 0 the top row (the classic LCD layout).
const glyphHex =
  '0000000000 00005f0000 0007000700 147f147f14 242a7f2a12 2313086462 3649562050 0005030000 001c224100 0041221c00 ' +
  '2a1c7f1c2a 08083e0808 0050300000 0808080808 0060600000 2010080402 3e5149453e 00427f4000 4261514946 2141454b31 ' +
  '1814127f10 2745454539 3c4a494930 0171090503 3649494936 064949291e 0036360000 0056360000 0814224100 1414141414 ' +
  '0041221408 0201510906 324979413e 7e1111117e 7f49494936 3e41414122 7f4141221c 7f49494941 7f09090901 3e4149497a ' +
  '7f0808087f 00417f4100 2040413f01 7f08142241 7f40404040 7f020c027f 7f0408107f 3e4141413e 7f09090906 3e4151215e ' +
  '7f09192946 4649494931 01017f0101 3f4040403f 1f2040201f 3f4038403f 6314081463 0708700807 6151494543 007f414100 ' +
  '0204081020 0041417f00 0402010204 4040404040 0001020400 2054545478 7f48444438 3844444420 384444487f 3854545418 ' +
  '087e090102 0c5252523e 7f08040478 00447d4000 2040443d00 7f10284400 00417f4000 7c0418047c 7c08040478 3844444438 ' +
  '7c14141408 081414187c 7c08040408 4854545420 043f444020 3c4040207c 1c2040201c 3c4030403c 4428102844 0c5050503c ' +
  '4464544c44 0008364100 00007f0000 0041360800 0804081008';

const glyphs: number[][] = glyphHex.split(' ').map((g) => [0, 2, 4, 6, 8].map((k) => parseInt(g.slice(k, k + 2), 16)));

export const glyphWidth = 5;
export const glyphHeight = 7;
/** Horizontal and vertical advance including spacing. */
export const charAdvance = 6;
export const lineAdvance = 9;

/** Draws text into an 8-bit gray canvas at (x, y), top-left; characters outside ASCII print as '?'. */
export function drawText(canvas: Uint8Array, width: number, x: number, y: number, text: string, value = 255): void {
  const height = canvas.length / width;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const glyph = glyphs[code >= 32 && code <= 126 ? code - 32 : '?'.charCodeAt(0) - 32];
    for (let col = 0; col < glyphWidth; col++) {
      for (let row = 0; row < glyphHeight; row++) {
        if (!(glyph[col] & (1 << row))) continue;
        const px = x + i * charAdvance + col;
        const py = y + row;
        if (px >= 0 && px < width && py >= 0 && py < height) canvas[py * width + px] = value;
      }
    }
  }
}

/** Greedy word wrap to at most `columns` characters a line (longer words are cut). */
export function wrapText(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(/\s+/).filter(Boolean)) {
      while (word.length > columns) {
        if (line) {
          lines.push(line);
          line = '';
        }
        lines.push(word.slice(0, columns));
        word = word.slice(columns);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= columns) line += ' ' + word;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}
