import { describe, expect, it } from 'vitest';
import { allOpCounts, opHistogramData } from './model-charts.js';

describe("the Model view's operator counts", () => {
  it("add the nodes of If/Loop/Scan bodies to the main graph's, so weights in bodies show their op types", () => {
    // An If model: its MatMuls, which hold every weight, are inside the branches.
    const counts = allOpCounts({ If: 1, Identity: 1 }, { MatMul: 2, Add: 1 });
    expect(counts).toEqual({ If: 1, Identity: 1, MatMul: 2, Add: 1 });
    expect(opHistogramData(counts)[0]).toEqual({ op: 'MatMul', count: 2 });
    expect(allOpCounts({ Relu: 2 }, { Relu: 3 })).toEqual({ Relu: 5 });
  });
});
