import { readdirSync, readFileSync } from 'node:fs';

/** `VmHWM` (peak resident set size) of a `/proc/<pid>/status` text, in kB; null when absent. */
export function vmHwmKb(status: string): number | null {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/** The parent pid of a `/proc/<pid>/stat` text (the field after the state, after `(comm)`). */
export function parentPid(stat: string): number | null {
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && fields.length > 1 ? ppid : null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process ended between the listing and the read
  }
}

/** Every live descendant of `root` (children, their children, …) from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    const ppid = stat === null ? null : parentPid(stat);
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Watches the peak RSS (`VmHWM`, which the kernel keeps as a high-water mark) of one process and,
 * separately, the largest of its descendants (the local run's Fargate tasks are child
 * processes), by polling /proc. A peak reached in the last `intervalMs` before a process exits
 * is missed; the mark only grows, so every earlier one is kept.
 */
export function watchPeakRss(pid: number, intervalMs = 250) {
  let mainKb = 0;
  let childKb = 0;
  const poll = () => {
    const own = read(`/proc/${pid}/status`);
    mainKb = Math.max(mainKb, own === null ? 0 : (vmHwmKb(own) ?? 0));
    for (const child of descendants(pid)) {
      const status = read(`/proc/${child}/status`);
      childKb = Math.max(childKb, status === null ? 0 : (vmHwmKb(status) ?? 0));
    }
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    /**
     * Stops watching. MB as the memory suite counts them (kB / 1024); `childMb` null when no
     * descendant was seen.
     */
    stop(): { mainMb: number; childMb: number | null } {
      clearInterval(timer);
      return { mainMb: mainKb / 1024, childMb: childKb === 0 ? null : childKb / 1024 };
    },
  };
}
