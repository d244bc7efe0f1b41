/**
 * CSV cells for every export (RFC 4180), made safe for spreadsheets: a cell a spreadsheet would
 * run as a formula (starting with =, +, -, @, a tab or a carriage return: OWASP "CSV injection")
 * gets a leading apostrophe.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Quoted when it holds a comma, quote, CR or LF, or starts or ends with white space; quotes doubled. */
export function csvCell(value: unknown): string {
  const safe = neutraliseFormula(value === null || value === undefined ? '' : String(value));
  return /[",\r\n]/.test(safe) || /^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
