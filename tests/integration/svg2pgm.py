#!/usr/bin/python3
"""svg2pgm.py SVG PGM: rasterises a QR code drawn by ferry (daemon/auth/qr-svg.c:
a viewBox in modules and one path of "Mx yhNv1h-Nz" runs) into a binary PGM
at 6 pixels a module, so that zbarimg can decode it. Exits non-zero on an
SVG of any other shape."""
import re, sys
svg = open(sys.argv[1]).read()
side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
grid = [[0]*side for _ in range(side)]
runs = re.findall(r'M(\d+) (\d+)h(\d+)v1h-\d+z', svg)
if not runs:
    sys.exit("svg2pgm: no module runs in " + sys.argv[1])
for x, y, run in runs:
    for i in range(int(run)):
        grid[int(y)][int(x)+i] = 1
s = 6
with open(sys.argv[2], 'wb') as f:
    f.write(b'P5 %d %d 255\n' % (side*s, side*s))
    for row in grid:
        line = bytes(0 if v else 255 for v in row for _ in range(s))
        f.write(line * s)
