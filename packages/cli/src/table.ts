/**
 * Aligned text tables: a header row, a rule, then one row per item. Columns
 * of numbers are right-aligned, text is left-aligned.
 */

/** A table cell: text, or a number (right-aligned unless the column says otherwise). */
export type Cell = string | number | bigint | null | undefined;

/** A column: its header, and optionally how to align it. */
export interface Column {
  header: string;
  /** Default: right when every non-empty cell of the column is a number, else left. */
  align?: 'left' | 'right';
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Put before every line (default: two spaces). */
  indent?: string;
  /** Between columns (default: two spaces). */
  gap?: string;
  /** What an empty cell (`null` / `undefined` / `''`) shows (default `-`). */
  empty?: string;
}

function text(cell: Cell, empty: string): string {
  if (cell === null || cell === undefined || cell === '') return empty;
  return String(cell);
}

/**
 * Renders rows as an aligned table (no trailing spaces, no final newline).
 * Returns just the header and rule when there are no rows.
 *
 * @example
 * ```ts
 * table(['name', 'count'], [['rx', 12], ['tx_ring', 3]]);
 * // "  name     count\n  -------  -----\n  rx          12\n  tx_ring      3"
 * ```
 */
export function table(columns: (string | Column)[], rows: Cell[][], opts: TableOptions = {}): string {
  const indent = opts.indent ?? '  ';
  const gap = opts.gap ?? '  ';
  const empty = opts.empty ?? '-';
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const cells = rows.map((r) => cols.map((_, i) => text(r[i], empty)));
  const align = cols.map((c, i) => {
    if (c.align) return c.align;
    const present = rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined && v !== '');
    return present.length > 0 && present.every((v) => typeof v === 'number' || typeof v === 'bigint') ? 'right' : 'left';
  });
  const width = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    (indent + values.map((v, i) => (align[i] === 'right' ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join(gap)).trimEnd();
  return [line(cols.map((c) => c.header)), line(width.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
