/**
 * Facts about processes that shared-memory owners need: is a pid alive, and
 * when did it start (to tell a pid from a later process reusing it).
 */
import { readFileSync } from 'node:fs';

interface ProcStat {
  state: string;
  startTime: number;
}

function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { state: rest[0] ?? '?', startTime: Number(rest[19] ?? 0) };
}

/** Start time of a process in clock ticks since boot (/proc/pid/stat field 22), 0 when unknown. */
export function processStartTime(pid: number): number {
  return procStat(pid)?.startTime ?? 0;
}

/**
 * True while the process exists and is not a zombie. With a start time, also
 * false when the pid now belongs to a later process.
 */
export function processAlive(pid: number, startTime = 0): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  const stat = procStat(pid);
  if (stat === null) {
    // No procfs: fall back to signal 0.
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === 0 || stat.startTime === startTime;
}

/** This process's start time, read once. */
export const selfStartTime: number = processStartTime(process.pid);

/** This process's effective uid (0 where the platform has none). */
export function geteuid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}
