#!/usr/bin/env node
// rtemem demo: initialise the EAL on the default ('auto') backend and show
// the hugepages the system offers, the backend chosen and why, and the memory
// map the primary created.
import { Eal, formatSize, hugepageInfo, nativeAvailable, nativeLoadError } from '@rtemem/eal-hugepage';

function hugepageTable() {
  const rows = hugepageInfo();
  if (rows.length === 0) return '  (the kernel reports no hugepage sizes)';
  const lines = ['  size      total   free  reserved  surplus  mount        per node (total/free)'];
  for (const h of rows) {
    const nodes = h.perNode.map((n) => `node${n.node} ${n.total}/${n.free}`).join(', ');
    lines.push(
      `  ${formatSize(h.pageSize).padEnd(8)} ${String(h.total).padStart(6)} ${String(h.free).padStart(6)} ` +
        `${String(h.reserved).padStart(9)} ${String(h.surplus).padStart(8)}  ${(h.mountPoint ?? '-').padEnd(12)} ${nodes}`,
    );
  }
  return lines.join('\n');
}

console.log('rtemem demo\n');
console.log(`native addon: ${nativeAvailable() ? 'loaded' : `not loaded (${nativeLoadError()})`}`);
console.log('hugepages:');
console.log(hugepageTable());
console.log();
const eal = Eal.init({ filePrefix: `rtemem_demo_${process.pid}` });
try {
  console.log(eal.dump());
} finally {
  eal.cleanup();
}
