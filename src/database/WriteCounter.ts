/**
 * Rows the stores of one factory wrote to the mirrored content (artifacts,
 * versions, files, dependencies; not the bookkeeping of runs and exports).
 * Tests and benchmarks read it to prove that a run which finds nothing new
 * writes nothing; the version graph refreshes the planner's statistics by
 * it.
 */
export class WriteCounter {
  private count = 0;

  /** Rows written so far. */
  get rows(): number {
    return this.count;
  }

  /** Counts `rows` written; returns them, to count inline. */
  add(rows: number): number {
    this.count += rows;
    return rows;
  }
}
