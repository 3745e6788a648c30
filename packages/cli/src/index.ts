/**
 * @rtemem/cli — the `rtemem` command: set up and show hugepages (like DPDK's
 * dpdk-hugepages.py) and look inside a running rtemem primary (like
 * dpdk-proc-info). The command functions are exported for programmatic use
 * and tests.
 *
 * @packageDocumentation
 */
export { main, version, USAGE } from './main.js';
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, UsageError, CliError, type Io, processIo } from './errors.js';
export { table, type Cell, type Column, type TableOptions } from './table.js';
export { formatBytes, pageSizeOption, percent } from './format.js';
export {
  hugepagesReport,
  renderHugepages,
  hugepagesActions,
  hugepagesCommand,
  defaultSystem,
  DEFAULT_HUGE_MOUNT,
  HUGEPAGES_USAGE,
  type HugepagesReport,
  type HugepageSizeReport,
  type HugepagesSystem,
  type HugepagesAction,
  type HugepagesActionOptions,
} from './commands/hugepages.js';
export {
  attachReadOnly,
  collectInfo,
  renderInfo,
  infoCommand,
  parseMempoolDump,
  DEFAULT_FILE_PREFIX,
  INFO_USAGE,
  type InfoReport,
  type InfoOptions,
  type EalReport,
  type MemsegListReport,
  type HeapReport,
  type MemzoneReport,
  type RingReport,
  type StackReport,
  type MempoolReport,
  type CacheFill,
} from './commands/info.js';
// parseSize (sizes such as 512M, 1G) comes from the EAL layer.
export { parseSize } from '@rtemem/eal-hugepage';
