// The in-page training's live loss chart: an inline SVG polyline redrawn at every logged step.
const SVG = 'http://www.w3.org/2000/svg';

export interface ChartBox {
  width: number;
  height: number;
  /** Room for the axis labels. */
  margin: number;
}

/** SVG polyline points for losses at steps 1..n, over `steps` steps, scaled to the box (y from 0 to the max). */
export function lossPolyline(losses: readonly number[], steps: number, box: ChartBox): string {
  const top = Math.max(...losses, Number.MIN_VALUE);
  const w = box.width - 2 * box.margin;
  const h = box.height - 2 * box.margin;
  return losses
    .map((loss, i) => {
      const x = box.margin + (steps > 1 ? (i / (steps - 1)) * w : 0);
      const y = box.margin + h - (loss / top) * h;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

function svgElement(tag: string, attributes: Record<string, string>, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Redraws the chart inside `svg` (axes, the loss line, the first and latest values). */
export function drawLossChart(
  svg: SVGSVGElement,
  losses: readonly number[],
  steps: number,
  box: ChartBox = { width: 480, height: 180, margin: 28 },
): void {
  svg.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  const { margin: m, width: w, height: h } = box;
  const children: SVGElement[] = [
    svgElement('line', { x1: String(m), y1: String(h - m), x2: String(w - m), y2: String(h - m), class: 'axis' }),
    svgElement('line', { x1: String(m), y1: String(m), x2: String(m), y2: String(h - m), class: 'axis' }),
    svgElement(
      'text',
      { x: String(w - m), y: String(h - 8), 'text-anchor': 'end' },
      `step ${losses.length} / ${steps}`,
    ),
  ];
  if (losses.length > 0) {
    children.push(svgElement('polyline', { points: lossPolyline(losses, steps, box), class: 'loss-line' }));
    children.push(
      svgElement(
        'text',
        { x: String(m + 4), y: String(m - 8) },
        `loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}`,
      ),
    );
  }
  svg.replaceChildren(...children);
}
