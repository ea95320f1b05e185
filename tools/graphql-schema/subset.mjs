// Derives the shipped schema (gateway/GraphQL/Schema/wandb.schema.graphql) from the full W&B schema written by
// ts_to_sdl.py, the additions for newer SDKs, and the SDKs' documents (sdk-operations.graphql): every root field
// and every nested field the documents select, every argument of those fields, every input type and enum they
// can take; on the scope-bound types (whose fields stay in the named project) also their other scalar fields.
// Run: node tools/graphql-schema/subset.mjs /tmp/full.graphql > gateway/GraphQL/Schema/wandb.schema.graphql
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url + '/../../../tests/js/');
const g = require('graphql');
const here = new URL('.', import.meta.url).pathname;
let schema = g.buildSchema(readFileSync(process.argv[2], 'utf8'), { assumeValidSDL: false });
schema = g.extendSchema(schema, g.parse(readFileSync(here + 'additions.graphql', 'utf8')));
const corpus = g.parse(readFileSync(here + 'sdk-operations.graphql', 'utf8'));
const errors = g.validate(schema, corpus);
if (errors.length) { for (const e of errors) console.error(e.message, JSON.stringify(e.locations)); process.exit(1); }

// Types whose scalar fields all stay in the owner's scope: every scalar is kept (SDK versions select different ones).
// Entity is not one of them: its aggregates (runCount(filters), storageBytes...) count restricted projects too.
const scopeBound = new Set(readFileSync(here + 'scope-bound-types.txt', 'utf8').split(/\s+/).filter(Boolean));
const used = new Map(); // type -> Set(field)
const use = (t, f) => { if (!used.has(t)) used.set(t, new Set()); if (f) used.get(t).add(f); };
const typeInfo = new g.TypeInfo(schema);
g.visit(corpus, g.visitWithTypeInfo(typeInfo, {
  Field() { const p = typeInfo.getParentType(); if (p && !typeInfo.getFieldDef()?.name.startsWith('__')) use(p.name, typeInfo.getFieldDef().name); },
  InlineFragment(n) { if (n.typeCondition) use(n.typeCondition.name.value); },
  FragmentDefinition(n) { use(n.typeCondition.name.value); },
  VariableDefinition(n) { use(g.getNamedType(g.typeFromAST(schema, n.type)).name); },
}));
// Close over: output field types, argument types, input fields, interfaces and union members; an interface's
// fields are kept on every implementation, and every implementation of a kept interface is kept.
const keep = new Set();
for (let changed = true; changed;) {
  changed = false;
  const queue = [...used.keys()];
  while (queue.length) {
    const name = queue.pop();
    if (keep.has(name)) continue;
    keep.add(name);
    changed = true;
    const add = (t) => { if (!keep.has(t)) { queue.push(t); use(t); } };
    const t = schema.getType(name);
    if (g.isObjectType(t) || g.isInterfaceType(t)) {
      for (const f of Object.values(t.getFields())) {
        const wanted = used.get(name)?.has(f.name) || (scopeBound.has(name) && g.isLeafType(g.getNamedType(f.type)));
        if (!wanted) continue;
        use(name, f.name);
        add(g.getNamedType(f.type).name);
        for (const a of f.args) add(g.getNamedType(a.type).name);
      }
      for (const i of t.getInterfaces()) add(i.name);
      if (g.isInterfaceType(t)) for (const o of schema.getImplementations(t).objects) add(o.name);
    } else if (g.isInputObjectType(t)) {
      for (const f of Object.values(t.getFields())) add(g.getNamedType(f.type).name);
    } else if (g.isUnionType(t)) {
      for (const m of t.getTypes()) add(m.name);
    }
  }
  for (const name of keep) {
    const t = schema.getType(name);
    if (!g.isObjectType(t) && !g.isInterfaceType(t)) continue;
    for (const i of t.getInterfaces()) {
      for (const f of used.get(i.name) ?? []) {
        if (!used.get(name).has(f)) { used.get(name).add(f); keep.delete(name); changed = true; }
      }
    }
  }
}
const out = [];
const builtin = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);
const printArgs = (args) => args.length ? '(' + args.map(a => `${a.name}: ${a.type}`).join(', ') + ')' : '';
for (const name of [...keep].sort()) {
  const t = schema.getType(name);
  if (builtin.has(name) || name.startsWith('__')) continue;
  if (g.isScalarType(t)) out.push(`scalar ${name}`);
  else if (g.isEnumType(t)) out.push(`enum ${name} { ${t.getValues().map(v => v.name).join(' ')} }`);
  else if (g.isUnionType(t)) out.push(`union ${name} = ${t.getTypes().map(m => m.name).join(' | ')}`);
  else if (g.isInputObjectType(t)) out.push(`input ${name} {\n${Object.values(t.getFields()).map(f => `  ${f.name}: ${f.type}`).join('\n')}\n}`);
  else {
    let fields = Object.values(t.getFields()).filter(f => used.get(name)?.has(f.name));
    // A union member or implementation never selected into: its id (or first scalar), so the type can exist.
    if (fields.length === 0) fields = Object.values(t.getFields()).filter(f => f.name === 'id').concat(Object.values(t.getFields()).filter(f => g.isLeafType(g.getNamedType(f.type)) && f.args.length === 0)).slice(0, 1);
    if (g.isInterfaceType(t)) {
      if (fields.length === 0) continue;
      out.push(`interface ${name} {\n${fields.map(f => `  ${f.name}${printArgs(f.args)}: ${f.type}`).join('\n')}\n}`);
      continue;
    }
    const ifaces = t.getInterfaces().filter(i => keep.has(i.name) && Object.keys(i.getFields()).some(k => used.get(i.name)?.has(k)) );
    const impl = ifaces.length ? ` implements ${ifaces.map(i => i.name).join(' & ')}` : '';
    out.push(`type ${name}${impl} {\n${fields.map(f => `  ${f.name}${printArgs(f.args)}: ${f.type}`).join('\n')}\n}`);
  }
}
console.log(out.join('\n'));
// The subset must still accept every document it was derived from.
const again = g.validate(g.buildSchema(out.join('\n')), corpus);
if (again.length) { for (const e of again) console.error('subset:', e.message); process.exit(1); }
