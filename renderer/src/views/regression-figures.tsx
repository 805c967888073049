/**
 * Compare's table of regression figures: each variant's error against labels that are values (MAE, RMSE, MSE),
 * with the output compared and the data. Shown only where some variant's latest labelled evaluation was a
 * regression (state/regression-figures.ts); accuracy and fidelity stay on the quality card.
 */
import type { EvalRecord } from '../../../shared/workspace.js';
import { formatError, regressionRows } from '../state/regression-figures.js';

export function RegressionFigures({
  evaluations,
  variants,
}: {
  evaluations: readonly EvalRecord[];
  variants: readonly { id: string; label: string }[];
}) {
  const rows = regressionRows(evaluations, variants);
  if (rows.length === 0) return null;
  const outputs = [...new Set(rows.map((r) => r.output))];
  return (
    <section className="table-card" aria-labelledby="regression-title" data-testid="regression-figures">
      <header className="section-header">
        <h2 id="regression-title">Error against the labels</h2>
      </header>
      <p className="muted">
        The labels are values, not classes, so each model&apos;s output
        {outputs.length === 1 ? ` “${outputs[0]}”` : ''} is compared with them value by value: mean absolute
        error (MAE), root mean square error (RMSE) and mean square error (MSE); lower is better.
      </p>
      <table aria-labelledby="regression-title">
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col" className="num">
              MAE
            </th>
            <th scope="col" className="num">
              RMSE
            </th>
            <th scope="col" className="num">
              MSE
            </th>
            {outputs.length > 1 && <th scope="col">Output</th>}
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <th scope="row">{r.label}</th>
              <td className="num">{formatError(r.mae)}</td>
              <td className="num">{formatError(r.rmse)}</td>
              <td className="num">{formatError(r.mse)}</td>
              {outputs.length > 1 && <td>{r.output}</td>}
              <td>{r.data}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
