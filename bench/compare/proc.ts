/**
 * CPU time of processes from /proc (Linux): what the head-to-head benchmark charges to each
 * system's server and to Postgres. Figures are the kernel's own accounting (utime + stime of all
 * threads), so the load generator's work and other processes' are never counted.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of the process (all its threads), ms */
  cpuMs: number;
  /** cutime + cstime: CPU of children it has reaped (waited for), ms */
  childrenCpuMs: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state): ppid = field 4, utime/stime = 14/15, cutime/cstime = 16/17
  const ms = 1000 / clockTicks();
  return {
    pid,
    comm: text.slice(open + 1, close),
    ppid: Number(f[1]),
    cpuMs: (Number(f[11]) + Number(f[12])) * ms,
    childrenCpuMs: (Number(f[13]) + Number(f[14])) * ms,
  };
}

/** Sum of utime + stime of the live ones among `pids`, ms. */
export function cpuMsOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) total += procStat(pid)?.cpuMs ?? 0;
  return total;
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Live children of `parent`, optionally only those whose command name is `comm`. */
export function childPids(parent: number, comm?: string): number[] {
  const out: number[] = [];
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s && s.ppid === parent && (comm === undefined || s.comm === comm)) out.push(pid);
  }
  return out;
}

/**
 * CPU of a whole process tree rooted at `root` that reaps its children (a Postgres postmaster):
 * the root's own and reaped children's time plus every live child's. Differences of this over an
 * interval are exact even when children start and exit inside it (an exited child's whole time
 * moves into the root's cutime/cstime when it is reaped).
 */
export function treeCpuMs(root: number): number {
  const r = procStat(root);
  if (!r) return 0;
  let total = r.cpuMs + r.childrenCpuMs;
  for (const pid of childPids(root)) total += procStat(pid)?.cpuMs ?? 0;
  return total;
}
