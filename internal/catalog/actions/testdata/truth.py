#!/usr/bin/env python3
"""Computes, once, the expected packages of each workflow file of the corpus.

Reads every file with PyYAML and collects jobs.<id>.uses and
jobs.<id>.steps[].uses, skipping local (./), expression (${{) and @-less
references; docker:// images are counted apart. Prints per file: unique
purl count (owner/repo lower-cased, #path kept), docker count, occurrences.

usage: python3 truth.py ../../../../../shared/corpus/github-actions
"""
import glob, os, sys, yaml

root = sys.argv[1]
for f in sorted(glob.glob(os.path.join(root, "*/.github/workflows/*.y*ml"))):
    doc = yaml.safe_load(open(f))
    refs = []
    for job in (doc.get("jobs") or {}).values():
        if "uses" in job:
            refs.append(job["uses"])
        for st in job.get("steps") or []:
            if "uses" in st:
                refs.append(st["uses"])
    uniq, docker, n = set(), set(), 0
    for r in refs:
        if r.startswith("docker://"):
            docker.add(r); continue
        if r.startswith("./") or "${{" in r or "@" not in r:
            continue
        name, ref = r.split("@", 1)
        parts = name.split("/", 2)
        if len(parts) < 2:
            continue
        n += 1
        uniq.add((parts[0].lower() + "/" + parts[1].lower(), parts[2] if len(parts) > 2 else "", ref))
    print(f"{os.path.relpath(f, root)}\t{len(uniq)}\t{len(docker)}\t{n}")
