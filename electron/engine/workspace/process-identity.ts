import fs from 'node:fs';
import os from 'node:os';

/*
 * Who a process of the data folder's writers is, so another process can tell whether it still runs: its host (name,
 * boot, process-id space) and, for one process, when it started. Used by the job history's owner files
 * (jobs/job-history.ts) and the data folder's file locks (data-file-lock.ts).
 */

/** A host as the data folder's writers name it. */
export interface HostIdentity {
  hostname: string;
  /** The boot of the host (Linux): another boot, or another machine of the same name, has other processes. */
  bootId?: string;
  /** The process-id space (Linux): a container has its own, and this host cannot see its processes. */
  pidNamespace?: string;
}

/** When a process of this system started, or undefined where the system does not tell (or it is gone). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (in parentheses, may hold any character): state is the 3rd, start the 22nd.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readOr(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** This host: its name, boot and process-id space. */
export function thisHost(): HostIdentity {
  return {
    hostname: os.hostname(),
    bootId: readOr(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: readOr(() => fs.readlinkSync('/proc/self/ns/pid')),
  };
}
