/**
 * Exponential moving average with TensorBoard's debiasing: the first points are not pulled
 * towards zero. Non-finite values (NaN, ±Infinity, null) pass through unchanged and do not
 * disturb the average, so gaps stay gaps.
 */
export function emaSmooth(values: ReadonlyArray<number | null>, weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.slice();
  const out: (number | null)[] = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = v ?? null;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    const debias = 1 - Math.pow(w, count);
    out[i] = last / debias;
  }
  return out;
}
