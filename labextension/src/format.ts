/**
 * How numbers and values read in the trace: durations, tokens, cost, one-line previews of tool
 * arguments, and long values folded. Pure functions (unit-tested in Node).
 */

/** Seconds as a person reads them: 850 µs, 12.3 ms, 1.25 s, 2 min 05 s. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  if (value < 0) {
    return '-' + seconds(-value);
  }
  if (value < 1e-3) {
    return `${Math.round(value * 1e6)} µs`;
  }
  if (value < 1) {
    return `${(value * 1e3).toFixed(1)} ms`;
  }
  if (value < 60) {
    return `${value.toFixed(2)} s`;
  }
  const minutes = Math.floor(value / 60);
  const rest = Math.round(value - minutes * 60);
  return `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

/** 12,345 */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** $0.000123 (six decimals below a dollar, cents above). */
export function cost(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(6)}`;
}

/** A value as one short line: strings as they are, the rest as compact JSON, cut at `max` characters. */
export function preview(value: unknown, max = 120): string {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (value === undefined) {
    text = '';
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** Tool arguments as `name=value, ...` on one line (what a call looked like). */
export function callArguments(value: unknown, max = 120): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const parts = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) => `${key}=${typeof item === 'string' ? JSON.stringify(item) : preview(item, max)}`
    );
    return preview(parts.join(', '), max);
  }
  return preview(value, max);
}

/**
 * A value as readable text: JSON pretty-printed (2 spaces), strings as they are; a string holding a
 * JSON object or array (a tool that returned JSON text) is pretty-printed too.
 */
export function pretty(value: unknown): string {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        return value;
      }
    }
    return value;
  }
  if (value === undefined) {
    return '';
  }
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export interface Folded {
  /** what is shown until the reader asks for more */
  head: string;
  /** the whole text */
  full: string;
  /** whether head is shorter than full */
  folded: boolean;
  /** characters the kernel cut before sending (its "... (N characters)" marker), or null */
  originalLength: number | null;
}

const KERNEL_CUT = /\.\.\. \(([\d,]+) characters\)$/;

/**
 * Long text folded to `maxLines` lines or `maxChars` characters. The kernel already cuts values it
 * sends (a tool result of 1 MB arrives as its first 600 characters and the size): that marker is
 * read, so the view can say how long the value really was.
 */
export function fold(text: string, maxLines = 12, maxChars = 800): Folded {
  let full = text;
  let originalLength: number | null = null;
  const cut = KERNEL_CUT.exec(text);
  if (cut) {
    originalLength = Number(cut[1].replace(/,/g, ''));
    full = text.slice(0, cut.index);
  }
  let head = full;
  const lines = head.split('\n');
  if (lines.length > maxLines) {
    head = lines.slice(0, maxLines).join('\n');
  }
  if (head.length > maxChars) {
    head = head.slice(0, maxChars);
  }
  return { head, full, folded: head.length < full.length, originalLength };
}

/** Ticks for a time axis ending at `end` seconds: about `n` round values (0, 0.5 s, 1 s, ...). */
export function ticks(end: number, n = 4): number[] {
  if (!(end > 0)) {
    return [0];
  }
  const raw = end / n;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * power).find(s => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= end * 1.0001; t += step) {
    out.push(Number(t.toPrecision(12)));
  }
  return out;
}

/** What a status is called on screen (the kernel's words, with underscores as spaces). */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** Relative time for lists: "just now", "5 min ago", "3 h ago", else a date. */
export function ago(epochSeconds: number | null | undefined, now: number = Date.now() / 1000): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) {
    return '';
  }
  const delta = Math.max(0, now - epochSeconds);
  if (delta < 45) {
    return 'just now';
  }
  if (delta < 3600) {
    return `${Math.round(delta / 60)} min ago`;
  }
  if (delta < 86400) {
    return `${Math.round(delta / 3600)} h ago`;
  }
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}
