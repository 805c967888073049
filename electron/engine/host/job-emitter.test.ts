import { describe, expect, it } from 'vitest';
import type { EngineToHostMessage } from './engine-protocol.js';
import { JobEmitter } from './job-emitter.js';

function setup() {
  const sent: EngineToHostMessage[] = [];
  const clock = { t: 1000 };
  const emitter = new JobEmitter('job-1', (m) => sent.push(m), () => clock.t);
  const events = () => sent.flatMap((m) => (m.type === 'event' ? [m.event] : []));
  return { sent, clock, emitter, events };
}

describe('JobEmitter', () => {
  it('numbers events from 0, stamps them and sends phases outside the event sequence', () => {
    const { emitter, events, sent } = setup();
    emitter.phase('creating session', '/m.onnx');
    emitter.log('info', 'hello');
    emitter.metric('latency/0', 'ms', [1, 2]);
    emitter.result({ ok: 1 });
    expect(sent[0]).toEqual({ type: 'phase', id: 'job-1', phase: 'creating session', model: '/m.onnx' });
    expect(events()).toEqual([
      { type: 'log', level: 'info', message: 'hello', jobId: 'job-1', seq: 0, timeMs: 1000 },
      { type: 'metric', name: 'latency/0', unit: 'ms', values: [1, 2], jobId: 'job-1', seq: 1, timeMs: 1000 },
      { type: 'result', result: { ok: 1 }, jobId: 'job-1', seq: 2, timeMs: 1000 },
    ]);
  });

  it('throttles progress to about 10 Hz per stage, and clamps the fraction', () => {
    const { emitter, events, clock } = setup();
    emitter.progress(0.1, 'measuring');
    emitter.progress(0.2, 'measuring'); // same stage, same instant: dropped
    clock.t += 50;
    emitter.progress(0.3, 'measuring'); // 50 ms later: dropped
    emitter.progress(0.3, 'profiling'); // a new stage always goes out
    clock.t += 100;
    emitter.progress(1.5, 'profiling');
    expect(events().map((e) => (e.type === 'progress' ? `${e.stage}:${e.fraction}` : e.type))).toEqual([
      'measuring:0.1',
      'profiling:0.3',
      'profiling:1',
    ]);
  });

  it('sends exactly one terminal event and nothing after it', () => {
    const { emitter, events, sent } = setup();
    emitter.cancelled();
    emitter.failed({ code: 'INTERNAL', message: 'late' });
    emitter.result(1);
    emitter.log('info', 'late');
    emitter.phase('measuring');
    expect(events().map((e) => e.type)).toEqual(['cancelled']);
    expect(sent).toHaveLength(1);
    expect(emitter.done).toBe(true);
  });
});
