/**
 * Writes a run's files: `<timestamp>.json` and `latest.json` (the machine-readable record other tools
 * read), `<timestamp>.md` and `latest.md` (the tables), `<timestamp>.svg` and `latest.svg` (the chart
 * the README embeds).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface WrittenFiles {
  json: string;
  latestJson: string;
  markdown: string;
  svg: string;
}

export async function writeResults(
  outDir: string,
  stamp: string,
  files: { json: unknown; markdown: string; svg?: string; latest?: string; svgs?: Record<string, string> },
): Promise<WrittenFiles> {
  await fs.mkdir(outDir, { recursive: true });
  const json = JSON.stringify(files.json, null, 2) + '\n';
  const at = (name: string) => path.join(outDir, name);
  const latest = files.latest ?? 'latest';
  await fs.writeFile(at(`${stamp}.json`), json);
  await fs.writeFile(at(`${latest}.json`), json);
  await fs.writeFile(at(`${stamp}.md`), files.markdown);
  await fs.writeFile(at(`${latest}.md`), files.markdown);
  if (files.svg) {
    await fs.writeFile(at(`${stamp}.svg`), files.svg);
    await fs.writeFile(at(`${latest}.svg`), files.svg);
  }
  // One more chart per injected RTT: <stamp>-rtt-2ms.svg and <latest>-rtt-2ms.svg.
  for (const [suffix, svg] of Object.entries(files.svgs ?? {})) {
    await fs.writeFile(at(`${stamp}-${suffix}.svg`), svg);
    await fs.writeFile(at(`${latest}-${suffix}.svg`), svg);
  }
  return {
    json: at(`${stamp}.json`),
    latestJson: at(`${latest}.json`),
    markdown: at(`${latest}.md`),
    svg: at(`${latest}.svg`),
  };
}
