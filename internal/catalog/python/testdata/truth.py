#!/usr/bin/env python3
"""Computes, once, the expected package sets of the Python corpus files
(../shared/corpus) that python_test.go pins. Run: python3 truth.py CORPUS_DIR.
It reads each file with the standard library only (tomllib, json) and prints,
per file, the number of distinct (normalised name, version) packages hallmark
should report, applying the same inclusion rules the catalogers document:
  poetry.lock   every [[package]]
  uv.lock       every [[package]] except the project at source editable/virtual "."
  Pipfile.lock  union of all sections, minus an editable entry at path "."
  requirements  every requirement line (all are pinned in the corpus)
"""
import json, re, sys, tomllib, os

def norm(n): return re.sub(r"[-_.]+", "-", n).lower()

root = sys.argv[1]
for f in sorted(os.listdir(f"{root}/poetry")):
    d = tomllib.load(open(f"{root}/poetry/{f}/poetry.lock", "rb"))
    s = {(norm(p["name"]), p["version"]) for p in d["package"]}
    print("poetry", f, len(s))
for f in sorted(os.listdir(f"{root}/uv")):
    d = tomllib.load(open(f"{root}/uv/{f}/uv.lock", "rb"))
    s = set()
    for p in d["package"]:
        src = p.get("source", {})
        if src.get("editable") == "." or src.get("virtual") == ".":
            continue
        s.add((norm(p["name"]), p.get("version", "")))
    print("uv", f, len(s))
for f in sorted(os.listdir(f"{root}/pipenv")):
    d = json.load(open(f"{root}/pipenv/{f}/Pipfile.lock"))
    s = set()
    for sec, pk in d.items():
        if sec == "_meta": continue
        for n, e in pk.items():
            if e.get("editable") and e.get("path") in (".", "./"): continue
            s.add((norm(n), e.get("version", "").lstrip("=")))
    print("pipenv", f, len(s))
for dirpath, _, files in sorted(os.walk(f"{root}/pip-requirements")):
    for fn in files:
        s = set()
        for l in open(os.path.join(dirpath, fn)):
            l = l.split("#")[0].strip()
            if not l or l.startswith("-"): continue
            m = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^;\s]+)", l)
            s.add((norm(m.group(1)), m.group(3)))
        print("requirements", os.path.relpath(os.path.join(dirpath, fn), root), len(s))
