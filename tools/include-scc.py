#!/usr/bin/python3
"""include-scc.py [DIR [MAX]] — the include circles of the daemon, by module.

A module is a stem: X.c and X.h are one module X. Module X depends on Y when
X.c or X.h includes "Y.h" (quoted includes only, found anywhere below DIR,
by basename). Prints every strongly connected component of more than one
module (the circles), largest first, and the edge count. Reads files only.
With MAX, exits 1 when a circle has more than MAX modules or spans two
folders (a circle inside one concern is a smaller wart than one across
concerns).
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else 'daemon'
limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
files = {}
for d, _, names in os.walk(root):
    for n in names:
        if n.endswith(('.c', '.h')):
            files[os.path.join(d, n)] = n
stems = {os.path.splitext(n)[0] for n in files.values()}
folder = {os.path.splitext(n)[0]: os.path.dirname(p) for p, n in files.items()}
deps = {s: set() for s in stems}
for path, n in files.items():
    me = os.path.splitext(n)[0]
    with open(path, encoding='utf-8', errors='replace') as f:
        for h in inc.findall(f.read()):
            s = os.path.splitext(os.path.basename(h))[0]
            if s in stems and s != me:
                deps[me].add(s)

index, low, stack, on, sccs = {}, {}, [], set(), []
def strong(v, counter=[0]):
    # iterative Tarjan, so that deep graphs need no recursion limit
    work = [(v, iter(sorted(deps[v])))]
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    while work:
        node, it = work[-1]
        for w in it:
            if w not in index:
                index[w] = low[w] = counter[0]; counter[0] += 1
                stack.append(w); on.add(w)
                work.append((w, iter(sorted(deps[w]))))
                break
            if w in on:
                low[node] = min(low[node], index[w])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == node:
                        break
                sccs.append(sorted(comp))
for v in sorted(stems):
    if v not in index:
        strong(v)
circles = sorted((c for c in sccs if len(c) > 1), key=len, reverse=True)
edges = sum(len(v) for v in deps.values())
print(f'{len(stems)} modules, {edges} include edges, '
      f'{len(circles)} circle(s), largest {len(circles[0]) if circles else 0}')
bad = 0
for c in circles:
    inner = sum(1 for a in c for b in deps[a] if b in c)
    dirs = sorted({os.path.relpath(folder[m], root) for m in c})
    print(f'  {len(c)} modules, {inner} edges inside: {" ".join(c)} (in {", ".join(dirs)})')
    if limit is not None and (len(c) > limit or len(dirs) > 1):
        bad = 1
sys.exit(bad)
