export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <svg className="sparkline" aria-hidden="true" width="60" height="16" />;
  const max = Math.max(...values) || 1;
  const min = Math.min(...values);
  const span = max - min || 1;
  const points = values
    .map((value, index) => `${((index / (values.length - 1)) * 60).toFixed(1)},${(15 - ((value - min) / span) * 14).toFixed(1)}`)
    .join(" ");
  return (
    <svg className="sparkline" width="60" height="16" role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
