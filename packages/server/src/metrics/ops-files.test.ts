import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { scrape } from '../test-support/metrics.js';

/**
 * docs/ops/ holds the Prometheus alert rules and the Grafana dashboard that docs/operations.md
 * hands operators. They name metrics by string, so a renamed metric would silently turn an alert
 * off: every expression must parse as PromQL, and every metric it names must be one that
 * GET /metrics serves.
 */
const ops_dir = new URL('../../../../docs/ops/', import.meta.url);
const operations_md = new URL('../../../../docs/operations.md', import.meta.url);
/** Series Prometheus makes itself, not Purse. */
const prometheus_own = new Set(['up']);

let t: TestApp;
let served: Set<string>;
beforeAll(async () => {
  t = await createTestApp();
  served = seriesNames(await scrape(t));
});
afterAll(() => t.close());

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook: string };
}

describe('docs/ops/alerts.yml', () => {
  it('is a Prometheus rule file whose every rule is complete, with a runbook section that exists', async () => {
    const rules = await alertRules();
    expect(rules.length).toBeGreaterThan(10);
    const headings = await operationsAnchors();
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Purse[A-Z][A-Za-z]+$/);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['page', 'ticket'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(10);
      const [file, anchor = ''] = rule.annotations.runbook.split('#');
      expect(file, rule.alert).toBe('docs/operations.md');
      expect(headings, `${rule.alert}: runbook #${anchor}`).toContain(anchor);
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  it('names only metrics that GET /metrics serves, in expressions that parse', async () => {
    for (const rule of await alertRules())
      expect(metricsIn(rule.expr), rule.alert).toEqual(expect.any(Array));
  });
});

/** Prometheus's own rule checker, from Debian's `prometheus` package (.ci/run installs it). */
const promtool = '/usr/bin/promtool';

describe.skipIf(!existsSync(promtool))('docs/ops/alerts.yml through promtool', () => {
  it('passes `promtool check rules` and the unit tests in docs/ops/alerts-tests.yml', async () => {
    const run = promisify(execFile);
    const cwd = fileURLToPath(ops_dir);
    const checked = await run(promtool, ['check', 'rules', 'alerts.yml'], { cwd });
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tested = await run(promtool, ['test', 'rules', 'alerts-tests.yml'], { cwd });
    expect(tested.stdout).toContain('SUCCESS');
  });
});

describe('docs/ops/grafana-dashboard.json', () => {
  it('has a datasource variable, unique panel ids, and only expressions on served metrics', async () => {
    const dashboard = JSON.parse(await readFile(new URL('grafana-dashboard.json', ops_dir), 'utf8'));
    expect(dashboard.templating.list.map((variable: { name: string }) => variable.name)).toContain(
      'datasource',
    );
    const panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[] =
      dashboard.panels;
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const graphs = panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThan(15);
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      // Grafana's own variable stands for a range; PromQL needs a duration in its place.
      for (const target of panel.targets ?? []) metricsIn(target.expr.replaceAll('$__rate_interval', '5m'));
    }
  });
});

describe('the check itself', () => {
  it('refuses a misspelt metric and an expression that does not parse', () => {
    expect(() => metricsIn('rate(purse_transfer_total[5m]) > 0')).toThrow(/purse_transfer_total/);
    expect(() => metricsIn('rate(purse_transfers_total[5m] > ')).toThrow(/does not parse/);
  });
});

/** The metric names in `expr`, each checked against what GET /metrics serves; throws otherwise. */
function metricsIn(expr: string): string[] {
  const names: string[] = [];
  let broken = false;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) broken = true;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  if (broken) throw new Error(`expression does not parse as PromQL: ${expr}`);
  if (names.length === 0) throw new Error(`expression names no metric: ${expr}`);
  for (const name of names)
    if (!served.has(name) && !prometheus_own.has(name))
      throw new Error(`GET /metrics serves no ${name} (in ${expr})`);
  return names;
}

/** Every series name a scrape can hold: each family, and a histogram's _bucket, _sum and _count. */
function seriesNames(body: string): Set<string> {
  const names = new Set<string>();
  for (const match of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type] = match;
    names.add(name);
    if (type === 'histogram' || type === 'summary')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

async function alertRules(): Promise<Rule[]> {
  const file = parseYaml(await readFile(new URL('alerts.yml', ops_dir), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  return file.groups.flatMap((group) => group.rules);
}

/** The anchors GitHub gives docs/operations.md's headings. */
async function operationsAnchors(): Promise<string[]> {
  const text = await readFile(operations_md, 'utf8');
  return [...text.matchAll(/^#{2,4} (.+)$/gm)].map(([, heading = '']) =>
    heading
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replaceAll(' ', '-'),
  );
}
