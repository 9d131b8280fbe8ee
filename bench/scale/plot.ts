// A small SVG line plot for RESULTS.md: time per package against the size
// of the mirror, log-scaled sizes, one line per series. No dependencies.

export interface PlotSeries {
  name: string;
  color: string;
  /** (size, milliseconds per package) */
  points: Array<[number, number]>;
}

const W = 640;
const H = 360;
const M = { left: 64, right: 170, top: 30, bottom: 48 };

const esc = (text: string) => text.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);

/** The plot as an SVG document. */
export function timePerPackagePlot(title: string, series: PlotSeries[]): string {
  const sizes = series.flatMap(s => s.points.map(p => p[0]));
  const values = series.flatMap(s => s.points.map(p => p[1]));
  const xMin = Math.log10(Math.min(...sizes));
  const xMax = Math.log10(Math.max(...sizes));
  const yMax = niceCeil(Math.max(...values) * 1.1);
  const x = (size: number) =>
    M.left + ((Math.log10(size) - xMin) / (xMax - xMin || 1)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2 + M.left / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(3)}</text>`,
    );
  }
  for (const size of [...new Set(sizes)].sort((a, b) => a - b)) {
    out.push(
      `<line x1="${x(size)}" x2="${x(size)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`,
      `<text x="${x(size)}" y="${H - M.bottom + 16}" text-anchor="middle">${size.toLocaleString('en')}</text>`,
    );
  }
  out.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">packages in the registry (log scale)</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">ms per package</text>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="black"/>`,
  );
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`,
      ...pts.map(([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${s.color}"/>`),
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${M.top + 10 + i * 20}" y2="${M.top + 10 + i * 20}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${W - M.right + 38}" y="${M.top + 14 + i * 20}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at least `v`. */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map(m => m * p).find(n => n >= v)!;
}
