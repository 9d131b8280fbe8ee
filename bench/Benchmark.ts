import { BenchEnvironment } from './lib/BenchEnvironment';

/** What a benchmark is given. */
export interface BenchmarkContext {
  env: BenchEnvironment;
  /** Progress lines on the console. */
  log(message: string): void;
  /** Timed repetitions per figure (at least 3). */
  repetitions: number;
  /** Registry sizes of the scale benchmark (`--sizes 1000,3000`), when given. */
  sizes?: number[];
}

/** What a benchmark reports; the runner adds date, machine and command. */
export interface BenchmarkResult {
  /** The headline figure for the summary table, e.g. `ratio 0.42`. */
  figure: string;
  /** The goal from the issue, e.g. `≤ 0.5`. */
  goal: string;
  /** Whether the goal was met; undefined when it could not be measured. */
  met?: boolean;
  /** The issue asks for a figure and its explanation, with no threshold. */
  informational?: boolean;
  /** The section's Markdown: figures, commands of baselines, breakdowns. */
  body: string;
  /** When the goal is missed: the change that would close the gap. */
  proposal?: string;
}

/** One of the measurements of the benchmark issue. */
export interface Benchmark {
  /** Name on the command line: `npm run bench -- <name>`. */
  name: string;
  title: string;
  run(ctx: BenchmarkContext): Promise<BenchmarkResult>;
}
