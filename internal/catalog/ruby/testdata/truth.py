#!/usr/bin/env python3
"""Expected counts for a Gemfile.lock, read by hand (bundle is not installed
here). Prints: spec entries, distinct (name, version, platform), platform
variants, direct specs, specs with a checksum, edges."""
import re, sys
sec = None; specs = []; direct = set(); sums = set(); insp = False
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if not line: continue
    if not line.startswith(' '):
        sec = line; insp = False; continue
    ind = len(line) - len(line.lstrip(' ')); body = line.strip()
    if sec in ('GEM', 'GIT', 'PATH', 'PLUGIN SOURCE'):
        if ind == 2 and body == 'specs:': insp = True
        elif ind == 4 and insp:
            m = re.fullmatch(r'(\S+) \(([^)]*)\)', body); specs.append([m[1], m[2], []])
        elif ind == 6 and insp: specs[-1][2].append(body.split(' ')[0])
    elif sec == 'DEPENDENCIES' and ind == 2: direct.add(body.split(' ')[0].rstrip('!'))
    elif sec == 'CHECKSUMS' and ind == 2 and ' sha256=' in body: sums.add(body.split(') ')[0] + ')')
names = {}
for s in specs: names[s[0]] = names.get(s[0], 0) + 1
print(len(specs), len({(s[0], s[1]) for s in specs}), sum(1 for s in specs if '-' in s[1]),
      sum(1 for s in specs if s[0] in direct), sum(1 for s in specs if '%s (%s)' % (s[0], s[1]) in sums),
      sum(names.get(d, 0) for s in specs for d in s[2]))
