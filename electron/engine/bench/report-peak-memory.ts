/**
 * Preloaded into a benchmarked child process (`node --import <this module's URL>`, see child-peak.ts): when
 * the process exits it prints its peak memory on stderr. The kernel's high-water mark where there is one:
 * getrusage's maxRSS starts from the parent's peak after a spawn. Worker threads run the preload too and
 * report the process's peak when they end, so the parent takes the largest report.
 */
import { PEAK_REPORT } from './child-peak.js';
import { readHighWaterMark } from './peak-rss.js';

process.on('exit', () => {
  const peak = readHighWaterMark() ?? process.resourceUsage().maxRSS * 1024;
  process.stderr.write(`\n${PEAK_REPORT}${peak}\n`);
});
