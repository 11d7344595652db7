#!/usr/bin/python3
# hostile-pictures.py — pictures made to cost a thumbnail maker much time,
# for t-thumb-load.sh (issue 16, finding F7 of the red-team report):
#
#   hostile-pictures.py jpeg FILE WIDTH HEIGHT SCANS
#       a grey progressive JPEG of one DC scan and then SCANS identical AC
#       scans, each coded as a few end-of-band runs, so that every scan is a
#       handful of bytes (5,000 scans of 4096x4096: 198 KB) while a decoder
#       walks all the picture's blocks for each. libjpeg accepts the repeats
#       (Ah matches), and decodes a flat grey picture.
#   hostile-pictures.py png FILE WIDTH HEIGHT
#       an RGB PNG of all-zero rows, compressed at level 9 row by row: a few
#       hundred KB that a decoder must inflate and filter in full.
#
# Writes FILE and prints its size in bytes.
import struct
import sys
import zlib


class Bits:
    """A JPEG entropy-coded segment: bits MSB first, 0xFF stuffed."""

    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, nbits):
        for i in range(nbits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc = 0
                self.n = 0

    def flush(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.out)


def segment(marker, data):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data


def jpeg(path, w, h, scans):
    blocks = ((w + 7) // 8) * ((h + 7) // 8)
    o = bytearray(b"\xff\xd8")
    o += segment(0xDB, b"\0" + bytes([1] * 64))  # quantisation table 0
    o += segment(0xC2, struct.pack(">BHHB", 8, h, w, 1) + b"\x01\x11\x00")  # progressive
    # DC table 0: one code (category 0); AC table 0: codes for EOB-run
    # categories 14 (0xE0) and 3 (0x30)
    o += segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    o += segment(0xC4, b"\x10" + bytes([1, 1] + [0] * 14) + b"\xe0\x30")
    o += segment(0xDA, b"\x01\x01\x00\x00\x00\x00")  # the DC scan
    bits = Bits()
    for _ in range(blocks):
        bits.put(0, 1)
    o += bits.flush()
    bits = Bits()  # one AC scan (coefficients 1-63): EOB runs over every block
    left = blocks
    while left >= 16384:
        run = min(left, 32767)
        bits.put(0, 1)
        bits.put(run - 16384, 14)
        left -= run
    while left >= 8:
        run = min(left, 15)
        bits.put(2, 2)
        bits.put(run - 8, 3)
        left -= run
    ac = segment(0xDA, b"\x01\x01\x00\x01\x3f\x00") + bits.flush()
    data = bytes(o) + ac * scans + b"\xff\xd9"
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def png(path, w, h):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))

    z = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * w)
    idat = bytearray()
    for _ in range(h):
        idat += z.compress(row)
    idat += z.flush()
    data = (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", bytes(idat)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    w, h = int(sys.argv[3]), int(sys.argv[4])
    if kind == "jpeg":
        print(jpeg(path, w, h, int(sys.argv[5])))
    elif kind == "png":
        print(png(path, w, h))
    else:
        sys.exit("hostile-pictures.py: jpeg FILE W H SCANS | png FILE W H")


if __name__ == "__main__":
    main()
