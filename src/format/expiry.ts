/**
 * Jool's "Expires in" text, written the way Jool 4 writes it (reading it is parse/expiry.ts).
 * http/ (the CSV and the session browser) and the demo's jool both print it.
 */

/** Formats milliseconds the way Jool 4 prints them, so /sessions.csv reads like `jool session display --csv`. */
export function formatExpiry(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const millis = total % 1000;
  const seconds = Math.floor(total / 1000) % 60;
  const minutes = Math.floor(total / 60000) % 60;
  const hours = Math.floor(total / 3600000);
  const base = `${hours}:${minutes < 10 ? '0' : ''}${minutes}:${seconds < 10 ? '0' : ''}${seconds}`;
  return millis === 0 ? base : `${base}.${String(millis).padStart(3, '0')}`;
}
