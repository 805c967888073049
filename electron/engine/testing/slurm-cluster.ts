/**
 * A single-node Slurm cluster for tests: Debian's slurm-wlm and munge, configured in a temporary folder and
 * started as root (CI installs both; see .ci/run). `slurmAvailable()` says why a machine cannot run one, so the
 * test that needs it can say clearly that it is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BINARIES = ['slurmctld', 'slurmd', 'sbatch', 'sinfo', 'munged'];

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const file = path.join(dir, binary);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Undefined when a cluster can start here, or the reason it cannot. */
export function slurmUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length > 0) return `${missing.join(', ')} not installed (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'starting slurmctld, slurmd and munged needs root';
  return undefined;
}

export interface SlurmCluster {
  /** The environment sbatch and sinfo need (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/** munged answers when its socket exists (started by an earlier test or by the system). */
function startMunge(): void {
  if (fs.existsSync('/run/munge/munge.socket.2') && spawnSync(which('munge') ?? 'munge', ['-n']).status === 0)
    return;
  for (const dir of ['/run/munge', '/var/lib/munge', '/var/log/munge', '/etc/munge'])
    fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync('/etc/munge/munge.key'))
    execFileSync(which('mungekey') ?? '/usr/sbin/mungekey', ['--create']);
  execFileSync('chown', [
    '-R',
    'munge:munge',
    '/run/munge',
    '/var/lib/munge',
    '/var/log/munge',
    '/etc/munge',
  ]);
  execFileSync('su', ['-s', '/bin/sh', 'munge', '-c', which('munged')!]);
}

function waitFor(what: string, check: () => boolean, seconds: number): void {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (check()) return;
    spawnSync('sleep', ['0.5']);
  }
  throw new Error(`Slurm test cluster: ${what} did not happen within ${seconds} s.`);
}

export function startSlurmCluster(cpus = Math.min(2, os.cpus().length)): SlurmCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-slurm-'));
  const host = os.hostname().split('.')[0]!;
  for (const sub of ['state', 'spool', 'log']) fs.mkdirSync(path.join(dir, sub));
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=onnxstudio',
      `SlurmctldHost=${host}`,
      'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      `NodeName=${host} CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  startMunge();
  execFileSync(which('slurmctld')!, [], { env });
  execFileSync(which('slurmd')!, [], { env });
  const stop = () => {
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const file of ['slurmd.pid', 'slurmctld.pid']) {
      const pidFile = path.join(dir, file);
      if (!fs.existsSync(pidFile)) continue;
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      if (!alive(pid)) continue;
      process.kill(pid, 'SIGTERM');
      // slurmctld saves its state as it stops: wait, or the folder is removed under it.
      try {
        waitFor(`${file.replace('.pid', '')} stopping`, () => !alive(pid), 20);
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };
  try {
    waitFor(
      'the node becoming idle',
      () =>
        /idle/.test(spawnSync(which('sinfo')!, ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout ?? ''),
      60,
    );
  } catch (error) {
    const log = (name: string) =>
      fs.existsSync(path.join(dir, 'log', name))
        ? fs.readFileSync(path.join(dir, 'log', name), 'utf8').slice(-2000)
        : '';
    stop();
    throw new Error(
      `${(error as Error).message}\nslurmctld.log:\n${log('slurmctld.log')}\nslurmd.log:\n${log('slurmd.log')}`,
    );
  }
  return { env, stop };
}
