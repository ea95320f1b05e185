#!/usr/bin/env python3
"""Writes the W&B GraphQL schema as SDL from the TypeScript types that @wandb/sdk 0.5.1 generated from it
(dist/gql/graphql.d.ts: graphql-codegen keeps every type, field, argument, input, enum and nullability).
Used once to derive gateway/GraphQL/wandb.schema.graphql with subset.py; not part of the build."""
import re, sys

text = open(sys.argv[1]).read()
blocks = {}      # name -> (bases, body) for `export type X = A & B & { ... };`
unions = {}
enums = {}
for m in re.finditer(r'^export type (\w+) = ((?:\w+ & )*)\{\n(.*?)^\};', text, re.S | re.M):
    blocks[m.group(1)] = ([b.strip() for b in m.group(2).split('&') if b.strip()], m.group(3))
for m in re.finditer(r'^export type (\w+) = ([\w ]+(?:\|[\w ]+)*);$', text, re.M):
    unions[m.group(1)] = [x.strip() for x in m.group(2).split('|')]
for m in re.finditer(r'^export declare enum (\w+) \{\n(.*?)^\}', text, re.S | re.M):
    enums[m.group(1)] = re.findall(r'= "(\w+)"', m.group(2))

def fields(body):
    out = []
    for m in re.finditer(r'^    (\w+)(\??): (.+);$', body, re.M):
        if m.group(1) == '__typename':
            continue
        out.append((m.group(1), m.group(3)))
    return out

def gql_type(ts):
    ts = ts.strip()
    for wrap in ('Maybe<', 'InputMaybe<'):
        if ts.startswith(wrap) and ts.endswith('>'):
            return gql_nullable(ts[len(wrap):-1])
    return gql_nullable(ts) + '!'

def gql_nullable(ts):
    ts = ts.strip()
    if ts in real:
        return real[ts]
    m = re.fullmatch(r"Scalars\['(\w+)'\]", ts)
    if m:
        return m.group(1)
    if ts.startswith('Array<') and ts.endswith('>'):
        return '[' + gql_type(ts[6:-1]) + ']'
    for wrap in ('Maybe<', 'InputMaybe<'):
        if ts.startswith(wrap):
            raise ValueError(ts)
    return ts

typename = {n: m.group(1) for n, b in blocks.items() if (m := re.search(r"__typename\?: '(\w+)'", b[1]))}
# graphql-codegen renames types in PascalCase (CreateClientIDMappingPayload -> CreateClientIdMappingPayload); the
# object's __typename keeps the schema's name. Results of the SDK's own operations (ViewerQuery...) say 'Query'.
objects = {n: b for n, b in blocks.items() if n in typename and (typename[n] == n or typename[n].lower() == n.lower())}
real = {n: typename[n] for n in objects}
# graphql-codegen also types the SDK's own operations (ViewerQuery...): their __typename is 'Query'.
operation_results = {n for n, b in blocks.items() if '__typename?:' in b[1] and n not in objects}
interfaces = {b for o in objects.values() for b in o[0]}
inputs = {n: b for n, b in blocks.items() if n not in objects and n not in operation_results and n not in interfaces and not n.endswith('Args') and n != 'Scalars'}
args = {n.lower(): b for n, b in blocks.items() if n.endswith('Args')}

def args_of(type_name, field):
    key = (type_name + field + 'Args').lower()
    if key not in args:
        return ''
    return '(' + ', '.join(f'{n}: {gql_type(t)}' for n, t in fields(args[key][1])) + ')'

out = ['scalar DateTime', 'scalar Duration', 'scalar Int64', 'scalar JSON', 'scalar JSONString', '']
for name in sorted(interfaces):
    body = blocks[name][1]
    out.append(f'interface {name} {{')
    out += [f'  {f}{args_of(name, f)}: {gql_type(t)}' for f, t in fields(body)]
    out.append('}')
for name, (bases, body) in sorted(objects.items()):
    impl = f' implements {" & ".join(bases)}' if bases else ''
    out.append(f'type {real[name]}{impl} {{')
    out += [f'  {f}{args_of(name, f)}: {gql_type(t)}' for f, t in fields(body)]
    out.append('}')
for name, (bases, body) in sorted(inputs.items()):
    out.append(f'input {name} {{')
    out += [f'  {f}: {gql_type(t)}' for f, t in fields(body)]
    out.append('}')
for name, members in sorted(unions.items()):
    out.append(f'union {name} = {" | ".join(real.get(x, x) for x in members)}')
for name, values in sorted(enums.items()):
    out.append(f'enum {name} {{ {" ".join(values)} }}')
print('\n'.join(out))
