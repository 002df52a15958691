/** The JSON log lines (src/server/log.ts) a test server wrote, waited for because the pipe is asynchronous. */
import { readFileSync } from 'node:fs';

export type LogLine = Record<string, unknown> & { level: string };

export function logLines(file: string): LogLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        return typeof parsed.level === 'string' ? [parsed] : [];
      } catch {
        return [];
      }
    });
}

/** The first line `match` accepts, polling the file for up to 3 s. */
export async function logLine(file: string, match: (line: LogLine) => boolean): Promise<LogLine | undefined> {
  const until = Date.now() + 3000;
  for (;;) {
    const found = logLines(file).find(match);
    if (found || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}
