/**
 * The Kubernetes manifests in deploy/kubernetes, checked without a cluster:
 * - against the Kubernetes API schemas (the `kubernetes-models` package: types, required fields,
 *   enums, formats), and for unknown or misspelt fields by type-checking each object literal
 *   against the same package's TypeScript types (tsc's excess-property check);
 * - for what ties them together: selectors, port names, volumes, the ConfigMap and Secret, the
 *   grace period against SHUTDOWN_GRACE_MS, the settings and mapping the service would start with;
 * - and the probe paths against the real service.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMapping } from "../../src/config/mapping";
import { parseSettings } from "../../src/config/settings";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { startService } from "../support/service-harness";

const root = join(import.meta.dir, "../..");
const dir = join(root, "deploy/kubernetes");

type Obj = Record<string, any>;
interface Manifest {
  file: string;
  doc: Obj;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const manifests: Manifest[] = [];
for (const file of files) {
  const parsed = Bun.YAML.parse(await Bun.file(join(dir, file)).text()) as Obj | Obj[];
  for (const doc of Array.isArray(parsed) ? parsed : [parsed]) manifests.push({ file, doc });
}
const CUSTOM = new Set(["kustomize.config.k8s.io/v1beta1/Kustomization", "monitoring.coreos.com/v1/ServiceMonitor"]);
const apiObjects = manifests.filter((m) => !CUSTOM.has(`${m.doc.apiVersion}/${m.doc.kind}`));

function one(kind: string, name?: string): Obj {
  const found = manifests.filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.name === name));
  expect(found.map((m) => `${m.file}: ${kind}`)).toHaveLength(1);
  return found[0]!.doc;
}

function matches(selector: Obj, labels: Obj): boolean {
  const exact = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressions = (selector.matchExpressions ?? []).every((e: Obj) =>
    e.operator === "DoesNotExist"
      ? !(e.key in labels)
      : e.operator === "Exists"
        ? e.key in labels
        : e.operator === "In"
          ? e.values.includes(labels[e.key])
          : !e.values.includes(labels[e.key]),
  );
  return exact && expressions;
}

const workload = one("StatefulSet");
const pod = workload.spec.template;
const container = pod.spec.containers[0];
const config = one("ConfigMap").data as Record<string, string>;
const secret = one("Secret").stringData as Record<string, string>;

test("every object validates against the Kubernetes API schema", async () => {
  expect(apiObjects.map((m) => m.doc.kind).sort()).toEqual([
    "ConfigMap",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Secret",
    "Service",
    "Service",
    "StatefulSet",
  ]);
  const problems: string[] = [];
  for (const { file, doc } of apiObjects) {
    const module = await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`);
    try {
      new module[doc.kind](doc).validate();
    } catch (e) {
      problems.push(`${file} ${doc.kind}: ${(e as Error).message}`);
    }
  }
  expect(problems).toEqual([]);
});

test("no object has a field the Kubernetes API does not know (a misspelt probe setting, say)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "k8s-fields-"));
  try {
    const lines = apiObjects.map(
      ({ doc }, i) => `import type { I${doc.kind} as T${i} } from "kubernetes-models/${doc.apiVersion}/${doc.kind}";`,
    );
    apiObjects.forEach(({ file, doc }, i) => lines.push(`// ${file}\nexport const o${i}: T${i} = ${JSON.stringify(doc, null, 2)};`));
    writeFileSync(join(scratch, "manifests.ts"), lines.join("\n"));
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "esnext",
          moduleResolution: "bundler",
          target: "esnext",
          skipLibCheck: true,
          types: [],
          paths: { "kubernetes-models/*": [join(root, "node_modules/kubernetes-models/*")] },
        },
        files: ["manifests.ts"],
      }),
    );
    const tsc = Bun.spawnSync([join(root, "node_modules/.bin/tsc"), "-p", join(scratch, "tsconfig.json")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(tsc.stdout.toString() + tsc.stderr.toString()).toBe("");
    expect(tsc.exitCode).toBe(0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}, 60_000);

test("selectors, names and ports tie the objects together", () => {
  const labels = pod.metadata.labels;
  expect(matches(workload.spec.selector, labels)).toBe(true);
  const services = manifests.filter((m) => m.doc.kind === "Service").map((m) => m.doc);
  for (const s of services) {
    expect(Object.entries(s.spec.selector).every(([k, v]) => labels[k] === v)).toBe(true);
    for (const p of s.spec.ports) expect(container.ports.map((c: Obj) => c.name)).toContain(p.targetPort);
  }
  const headless = services.find((s) => s.metadata.name === workload.spec.serviceName);
  expect(headless?.spec.clusterIP).toBe("None");
  expect(matches(one("PodDisruptionBudget").spec.selector, labels)).toBe(true);
  const hpa = one("HorizontalPodAutoscaler").spec;
  expect(hpa.scaleTargetRef).toEqual({ apiVersion: workload.apiVersion, kind: workload.kind, name: workload.metadata.name });
  expect(hpa.minReplicas).toBeGreaterThanOrEqual(2); // the PDB's maxUnavailable 1 leaves one serving

  // The ServiceMonitor scrapes each pod once: through the client Service, not also the headless one.
  const monitor = one("ServiceMonitor").spec;
  const scraped = services.filter((s) => matches(monitor.selector, s.metadata.labels));
  expect(scraped.map((s) => s.metadata.name)).toEqual(["completion-service"]);
  expect(monitor.endpoints.map((e: Obj) => [e.port, e.path])).toEqual([["http", "/metrics"]]);
  expect(scraped[0]!.spec.ports.map((p: Obj) => p.name)).toContain("http");

  // Every mount has its volume; the config comes from the ConfigMap and the Secret here.
  const volumes = [...pod.spec.volumes.map((v: Obj) => v.name), ...workload.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)];
  for (const m of container.volumeMounts) expect(volumes).toContain(m.name);
  expect(container.envFrom).toEqual([{ configMapRef: { name: "completion-service" } }, { secretRef: { name: "completion-service" } }]);
  expect(one("ConfigMap").metadata.name).toBe("completion-service");
  expect(one("Secret").metadata.name).toBe("completion-service");

  // kustomization.yaml applies every manifest but the example Secret, and renames the image.
  const kustomization = one("Kustomization");
  expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== "kustomization.yaml" && f !== "secret.example.yaml"));
  expect(kustomization.images.map((i: Obj) => i.name)).toEqual([container.image]);
});

test("probes on the live and ready endpoints, and they answer 200 on the real service", async () => {
  const port = (probe: Obj) => probe.httpGet.port;
  expect([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path, container.startupProbe.httpGet.path]).toEqual([
    "/api/v1/health/live",
    "/api/v1/health/ready",
    "/api/v1/health/live",
  ]);
  for (const p of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
    expect(container.ports.map((c: Obj) => c.name)).toContain(port(p));
  }
  const svc = await startService({ mapping: DEMO_MAPPING });
  try {
    for (const p of [container.livenessProbe, container.readinessProbe]) expect((await fetch(svc.url + p.httpGet.path)).status).toBe(200);
  } finally {
    await svc.stop();
  }
}, 30_000);

test("non-root, read-only root filesystem, and the spool on the pod's own persistent volume", () => {
  expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532 });
  expect(container.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  });
  const spoolMount = container.volumeMounts.find((m: Obj) => m.mountPath === config.EVENTS_SPOOL_DIR);
  expect(spoolMount).toBeDefined();
  // A claim per pod from volumeClaimTemplates, kept on scale-down: not an emptyDir, which a pod's
  // deletion (rolling update, eviction) takes with it.
  expect(workload.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toContain(spoolMount.name);
  expect(pod.spec.volumes.map((v: Obj) => v.name)).not.toContain(spoolMount.name);
  expect(workload.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: "Retain", whenDeleted: "Retain" });
  expect(container.resources.limits.memory).toBeDefined();
  expect(container.resources.requests.cpu).toBeDefined();
});

test("the grace period covers the preStop pause and SHUTDOWN_GRACE_MS with room to flush events", () => {
  const settings = parseSettings(config);
  const preStop = container.lifecycle.preStop.sleep.seconds;
  expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + settings.shutdownGraceMs / 1000 + 5);
});

test("the service would start with the ConfigMap and the Secret: valid settings and mapping", async () => {
  const env = { ...config, ...secret };
  const settings = parseSettings(env);
  expect(settings.authMode).toBe("api_key");
  expect(settings.rabbitmqUrl).toBeDefined();
  const configMount = container.volumeMounts.find((m: Obj) => m.name === "config").mountPath;
  const item = pod.spec.volumes.find((v: Obj) => v.name === "config").configMap.items[0];
  expect(settings.mappingPath).toBe(`${configMount}/${item.path}`);
  const mapping = parseMapping(JSON.parse(config[item.key]!), env);
  expect(Object.keys(mapping.models).sort()).toEqual(["demo", "gpt-4o-mini"]);
});
