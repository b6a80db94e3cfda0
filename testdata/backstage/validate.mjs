// validate.mjs runs Backstage's own entity validation (@backstage/catalog-model)
// over catalog entities, so the Go tests can check that rendered
// catalog-info.yaml files are accepted by a real Backstage catalog, not only by
// our Go re-implementation of its rules.
//
// Usage: node validate.mjs PATH/TO/@backstage/catalog-model < entities.json
//
// stdin is a JSON array of entities (the Go test converts the YAML documents
// to JSON: catalog-model ships no YAML parser). Every entity goes through the
// policies a catalog applies on ingestion, then through the validator of its
// kind. Exit status 0: all valid; 1: at least one invalid (messages on
// stderr); 2: usage or input error.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const modulePath = process.argv[2];
if (!modulePath) {
  console.error("usage: node validate.mjs PATH/TO/@backstage/catalog-model < entities.json");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const model = require(modulePath);

let entities;
try {
  entities = JSON.parse(readFileSync(0, "utf8"));
} catch (e) {
  console.error(`reading entities from stdin: ${e.message}`);
  process.exit(2);
}
if (!Array.isArray(entities)) entities = [entities];

const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);

// The kinds a service template may declare; an entity no validator claims is
// an error (a typo in kind or apiVersion would otherwise pass silently).
const kindValidators = [
  model.componentEntityV1alpha1Validator,
  model.apiEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
];

let failed = 0;
for (const [i, entity] of entities.entries()) {
  const label = `entity ${i} (${entity?.kind ?? "?"} ${entity?.metadata?.name ?? "?"})`;
  try {
    const out = await policy.enforce(entity);
    let claimed = false;
    for (const v of kindValidators) {
      if (await v.check(out)) {
        claimed = true;
        break;
      }
    }
    if (!claimed) throw new Error(`no validator accepts kind ${entity.kind} with apiVersion ${entity.apiVersion}`);
  } catch (e) {
    failed++;
    console.error(`${label}: ${e.message}`);
  }
}
if (failed) process.exit(1);
console.log(`${entities.length} entities valid`);
