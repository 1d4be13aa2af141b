#!/usr/bin/env python3
"""Computes, once, the (name, version) set a yarn.lock resolves, read by hand
(yarn itself is not installed here): classic v1 entries by their "version"
and the name of their first specifier (or an npm: alias target); Berry
entries by their "resolution" name and "version", without the root
workspace (workspace and link versions print as recorded).
Usage: yarn_truth.py yarn.lock"""
import re, sys

text = open(sys.argv[1]).read()
out = set()

def split(spec):
    s = 1 if spec.startswith("@") else 0
    i = spec.index("@", spec.index("/") + 1 if s else 1)
    return spec[:i], spec[i + 1:]

if "\n__metadata:" in text or text.startswith("__metadata:"):
    import yaml
    d = yaml.safe_load(text)
    for k, v in d.items():
        if k == "__metadata":
            continue
        name, ref = split(v["resolution"])
        if ref == "workspace:.":
            continue
        out.add((name, str(v["version"])))
else:
    for block in re.split(r"\n(?=\S)", text):
        lines = block.splitlines()
        if not lines or lines[0].startswith("#") or not lines[0].endswith(":"):
            continue
        spec = lines[0].rstrip(":").split(", ")[0].strip('"')
        name, rng = split(spec)
        if rng.startswith("npm:") and "@" in rng[5:]:
            name, _ = split(rng[4:])
        ver = next(l.split(None, 1)[1].strip('"') for l in lines if l.startswith("  version "))
        out.add((name, ver))
print(len(out))
for n, v in sorted(out):
    print(n, v)
