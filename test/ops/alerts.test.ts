/**
 * The alert rules, checked and unit-tested by Prometheus's own promtool: a syntax error, a metric
 * renamed in the rules but not in their tests, or an alert that no longer fires when it should
 * fails the suite. promtool comes from Debian's `prometheus` package (scripts/test.sh installs it).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const dir = join(import.meta.dir, "../../deploy/prometheus");

function promtool(...args: string[]): { exitCode: number; output: string } {
  const found = Bun.which("promtool");
  if (!found) throw new Error("promtool is not installed: apt-get install -y --no-install-recommends prometheus (scripts/test.sh does)");
  const run = Bun.spawnSync([found, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { exitCode: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
}

interface Rule {
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}

const rules = (Bun.YAML.parse(await Bun.file(join(dir, "alerts.yml")).text()) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);

test("promtool check rules accepts alerts.yml", () => {
  const result = promtool("check", "rules", "alerts.yml");
  expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
  expect(result.exitCode).toBe(0);
}, 30_000);

test("promtool test rules passes alerts.test.yml: each alert fires when it should and not otherwise", () => {
  const result = promtool("test", "rules", "alerts.test.yml");
  if (result.exitCode !== 0) console.error(result.output);
  expect(result.output).toContain("SUCCESS");
  expect(result.exitCode).toBe(0);
}, 30_000);

test("every alert has a summary, a description and a runbook, and a unit test where it fires", async () => {
  const tests = Bun.YAML.parse(await Bun.file(join(dir, "alerts.test.yml")).text()) as {
    tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const firingTested = new Set(
    tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
  );
  const alerts = rules.filter((r) => r.alert);
  expect(alerts.length).toBeGreaterThanOrEqual(10);
  for (const rule of alerts) {
    for (const key of ["summary", "description", "runbook"]) {
      expect({ alert: rule.alert, [key]: (rule.annotations?.[key]?.length ?? 0) > 20 }).toEqual({ alert: rule.alert, [key]: true });
    }
    expect({ alert: rule.alert, firingTested: firingTested.has(rule.alert!) }).toEqual({ alert: rule.alert, firingTested: true });
  }
});
