/**
 * The alerts' runbook links: every runbook_url (in the rules and in their promtool tests) is the one
 * base URL of prometheus/runbook-base-url.txt plus the alert's anchor, and that anchor is a heading
 * of docs/alerting.md, so the link in an Alertmanager notification lands on the alert's section.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const BASE = read('prometheus/runbook-base-url.txt').trim();
const RULES = read('prometheus/jool-alerts.yml');
const TEST_FILES = readdirSync(join(ROOT, 'prometheus/tests'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `prometheus/tests/${f}`);

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

const ANCHORS = new Set(
  read('docs/alerting.md')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => anchor(line.replace(/^#+ /, ''))),
);

const alertNames = [...RULES.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]!);
const runbookUrls = (text: string) => [...text.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]!);

describe('runbook links', () => {
  it('have one absolute base, set in prometheus/runbook-base-url.txt', () => {
    expect(BASE).toMatch(/^https:\/\/[^\s#]+\/docs\/alerting\.md$/);
    expect(alertNames.length).toBeGreaterThan(10);
  });

  it('point each alert at its own section: base#alertname in lower case', () => {
    const urls = runbookUrls(RULES);
    expect(urls).toEqual(alertNames.map((name) => `${BASE}#${name.toLowerCase()}`));
  });

  it('are the same in the promtool tests as in the rules', () => {
    const allowed = new Set(runbookUrls(RULES));
    const used = TEST_FILES.flatMap((file) => runbookUrls(read(file)));
    expect(used.length).toBeGreaterThan(10);
    for (const url of used) expect(allowed, url).toContain(url);
  });

  it('land on a heading of docs/alerting.md', () => {
    for (const url of runbookUrls(RULES)) {
      const fragment = url.slice(url.indexOf('#') + 1);
      expect(ANCHORS, `${url}: no such heading in docs/alerting.md`).toContain(fragment);
    }
  });

  it('every runbook section is for an alert that exists (none left behind by a rename)', () => {
    const text = read('docs/alerting.md');
    const runbook = text.slice(text.indexOf('\n## Runbook\n'));
    const sections = [...runbook.matchAll(/^### (Jool\w+)$/gm)].map((m) => m[1]!);
    expect(sections.sort()).toEqual([...alertNames].sort());
  });
});
