#!/usr/bin/env python3
"""Expected counts for a Cargo.lock, read by hand (cargo metadata needs the
crates downloaded). Usage: truth.py Cargo.lock
Prints: packages, path (sourceless) crates, hashed, direct (registry/git
crates a path crate depends on), edges."""
import sys, tomllib
d = tomllib.load(open(sys.argv[1], 'rb'))
P = d['package']
meta = d.get('metadata', {})
def key(p): return (p['name'], p['version'], p.get('source'))
def resolve(dep):
    parts = dep.split(' ', 2)
    c = [p for p in P if p['name'] == parts[0]
         and (len(parts) < 2 or p['version'] == parts[1])
         and (len(parts) < 3 or p.get('source') == parts[2].strip('()'))]
    assert len(c) == 1, dep
    return c[0]
direct, edges = set(), 0
for p in P:
    for dep in p.get('dependencies', []):
        q = resolve(dep); edges += 1
        if not p.get('source') and q.get('source'):
            direct.add(key(q))
hashed = sum(1 for p in P if p.get('checksum') or meta.get('checksum %s %s (%s)' % key(p)))
print(len(P), sum(1 for p in P if not p.get('source')), hashed, len(direct), edges)
