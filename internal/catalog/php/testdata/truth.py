#!/usr/bin/env python3
"""Expected counts for a composer.lock, read by hand. Prints: packages,
dev packages, with SHA-1, with license, edges (require entries naming a
locked package, or a name one replaces/provides)."""
import json, sys
d = json.load(open(sys.argv[1]))
P, D = d['packages'], d.get('packages-dev', [])
A = P + D
names = {p['name'].lower(): i for i, p in enumerate(A)}
for i, p in enumerate(A):
    for m in ('replace', 'provide'):
        for n in p.get(m, {}) or {}:
            names.setdefault(n.lower(), i)
edges = sum(1 for i, p in enumerate(A) for n in p.get('require', {}) if names.get(n.lower(), i) != i)
print(len(A), len(D), sum(1 for p in A if (p.get('dist') or {}).get('shasum')),
      sum(1 for p in A if p.get('license')), edges)
