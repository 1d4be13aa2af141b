#!/usr/bin/env python3
"""Computes, once, the package set pnpm installs from a pnpm-lock.yaml v9
for all importers (dev dependencies and every platform included): every
snapshot reachable from an importer, reduced to name@version without the
peer suffix. Prints the count, then the reachable set, then what the
"packages" section holds but no importer reaches (expected: nothing).
Usage: pnpm_truth.py pnpm-lock.yaml"""
import sys, yaml

d = yaml.safe_load(open(sys.argv[1]))
snaps = d.get("snapshots") or {}
pkgs = d.get("packages") or {}

def base(k):
    return k.split("(", 1)[0]

def key(name, v):
    v = str(v)
    if v.startswith("link:"):
        return None
    b = base(v)
    if b.startswith("@") or ("@" in b and (":" not in b or b.index("@") < b.index(":"))):
        return v
    return name + "@" + v

seen, stack = set(), []
for imp in (d.get("importers") or {}).values():
    for f in ("dependencies", "devDependencies", "optionalDependencies"):
        for n, spec in (imp.get(f) or {}).items():
            k = key(n, spec["version"])
            if k:
                stack.append(k)
while stack:
    k = stack.pop()
    if k in seen:
        continue
    seen.add(k)
    s = snaps.get(k) or {}
    for f in ("dependencies", "optionalDependencies"):
        for n, v in (s.get(f) or {}).items():
            kk = key(n, v)
            if kk:
                stack.append(kk)
ids = {base(k) for k in seen}
print(len(ids))
for i in sorted(ids):
    print(i)
print("unreached packages:", sorted(set(pkgs) - ids))
