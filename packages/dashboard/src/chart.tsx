import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'react';
import { type Column, Table } from './components.js';

// Only what the overview draws, so the bundle carries no other chart type.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

/** Colours told apart with colour blindness (Okabe–Ito), each at least 3:1 against white. */
export const series_colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#8F6C00', '#56B4E9'];

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  /** The exact figures for the table (the API's decimal strings); `values` when absent. */
  readonly texts?: readonly string[];
}

/**
 * A chart and, for screen readers and for anyone who wants the figures, the same data as a table
 * (in a disclosure, so the page stays short). The canvas is one image with a summary as its name.
 */
export function ChartWithTable({
  title,
  kind,
  labels,
  series,
  summary,
}: {
  title: string;
  kind: 'bar' | 'line';
  labels: readonly string[];
  series: readonly Series[];
  summary: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    if (element === null) return;
    const config: ChartConfiguration<'bar' | 'line', number[], string> = {
      type: kind,
      data: {
        labels: [...labels],
        datasets: series.map((s, index) => ({
          label: s.label,
          data: [...s.values],
          backgroundColor: series_colours[index % series_colours.length] ?? '#0072B2',
          borderColor: series_colours[index % series_colours.length] ?? '#0072B2',
          borderWidth: 2,
          pointRadius: 2,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        plugins: { legend: { position: 'bottom' } },
        scales: { y: { beginAtZero: true } },
      },
    };
    const chart = new Chart(element, config);
    return () => chart.destroy();
  }, [kind, labels, series]);
  const columns: Column<number>[] = [
    { label: 'Day', cell: (i) => labels[i] },
    ...series.map((s) => ({ label: s.label, cell: (i: number) => s.texts?.[i] ?? String(s.values[i] ?? 0) })),
  ];
  const rows = labels.map((_, i) => i).filter((i) => series.some((s) => (s.values[i] ?? 0) !== 0));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="canvas-box">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${summary}`} data-chart={title} />
      </div>
      <details>
        <summary>{title}: as a table</summary>
        <Table caption={`${title} (days with activity)`} columns={columns} rows={rows} empty="No activity." />
      </details>
    </figure>
  );
}
