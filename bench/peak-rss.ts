import { readdirSync, readFileSync } from 'node:fs';

/** `VmHWM` (peak resident set size) of a `/proc/<pid>/status` text, in kB; null when absent. */
export function vmHwmKb(status: string): number | null {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/**
 * The command name and parent pid of a `/proc/<pid>/stat` text (`pid (comm) state ppid …`);
 * null when it is not one.
 */
export function parseStat(stat: string): { comm: string; ppid: number } | null {
  // comm may hold spaces and parentheses: it ends at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? { comm: stat.slice(open + 1, close), ppid } : null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process ended between the listing and the read
  }
}

/** Every live descendant of `root` (children, their children, …) from /proc, with its name. */
function descendants(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = read(`/proc/${entry}/stat`);
    const stat = text === null ? null : parseStat(text);
    if (stat === null) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push({ pid: Number(entry), comm: stat.comm });
    children.set(stat.ppid, siblings);
  }
  const found: { pid: number; comm: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Watches the peak RSS (`VmHWM`, which the kernel keeps as a high-water mark) of one process and,
 * separately, the largest of its node descendants (the local run's Fargate tasks are child node
 * processes; tsx's esbuild service, a child of every node process here, is not counted), by
 * polling /proc. A peak reached in the last `intervalMs` before a process exits
 * is missed; the mark only grows, so every earlier one is kept.
 */
export function watchPeakRss(pid: number, intervalMs = 250) {
  let mainKb = 0;
  let childKb = 0;
  const poll = () => {
    const own = read(`/proc/${pid}/status`);
    mainKb = Math.max(mainKb, own === null ? 0 : (vmHwmKb(own) ?? 0));
    for (const child of descendants(pid)) {
      if (child.comm !== 'node') continue;
      const status = read(`/proc/${child.pid}/status`);
      childKb = Math.max(childKb, status === null ? 0 : (vmHwmKb(status) ?? 0));
    }
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    /**
     * Stops watching (after a last look, in case the process still runs). MB as the memory
     * suite counts them (kB / 1024); `childMb` null when no node descendant was seen.
     */
    stop(): { mainMb: number; childMb: number | null } {
      poll();
      clearInterval(timer);
      return { mainMb: mainKb / 1024, childMb: childKb === 0 ? null : childKb / 1024 };
    },
  };
}
