# Truth for a packages.lock.json: the distinct (lower-cased name, resolved)
# of non-Project entries over all sections, the Direct ones, and the edges
# (entry -> the version its section resolved for each dependency name).
import json, sys
d = json.load(open(sys.argv[1]))
pk, direct, edges = set(), set(), set()
for fw, sec in d["dependencies"].items():
    res = {n.lower(): e["resolved"] for n, e in sec.items() if e["type"] != "Project"}
    for n, e in sec.items():
        if e["type"] == "Project":
            continue
        k = (n.lower(), e["resolved"])
        pk.add(k)
        if e["type"] == "Direct":
            direct.add(k)
        for dn in e.get("dependencies", {}):
            if dn.lower() in res:
                edges.add((k, (dn.lower(), res[dn.lower()])))
print(len(pk), len(direct), len(edges))
