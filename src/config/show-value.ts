/**
 * How a configured value is quoted in an error message. Scalars from the file arrive as strings (the loader
 * reads YAML with the failsafe schema), so a string that reads as a number or boolean is shown bare, the way
 * the user typed it: `1500 is not in 200-1000`, not `"1500" is not in 200-1000`.
 */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value) || value === 'true' || value === 'false') return value;
    return JSON.stringify(value);
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
