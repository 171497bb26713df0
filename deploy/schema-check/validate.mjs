// Validates Kubernetes objects, a JSON array on stdin, against the API's own OpenAPI schemas as
// kubernetes-models compiles them (and cert-manager's CRD schemas). Prints one line per object,
// "ok KIND NAME" or "invalid KIND NAME: why"; exits 1 when any is invalid or of a kind it has no
// schema for. ManifestsTest runs it; see package.json for the pinned versions.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  if (group === "cert-manager.io") return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`;
}

let bad = 0;
for (const o of JSON.parse(readFileSync(0, "utf8"))) {
  const name = `${o.kind} ${o.metadata?.name}`;
  let Model;
  try {
    Model = require(modelPath(o.apiVersion, o.kind))[o.kind];
  } catch {
    Model = undefined;
  }
  if (!Model) {
    console.log(`invalid ${name}: no schema for ${o.apiVersion} ${o.kind}`);
    bad++;
    continue;
  }
  try {
    new Model(o).validate();
    console.log(`ok ${name}`);
  } catch (e) {
    console.log(`invalid ${name}: ${String(e.message).replaceAll("\n", "; ")}`);
    bad++;
  }
}
process.exit(bad === 0 ? 0 : 1);
