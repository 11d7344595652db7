#!/usr/bin/python3
"""exif-jpeg.py OUT W H TW TH [ORIENTATION [II|MM]]: writes a W x H JPEG (a
colour gradient, encoded by cjpeg from libjpeg-turbo-progs) carrying an Exif
block (APP1, right after the SOI) whose IFD1 holds a TW x TH JPEG thumbnail
of another colour, and whose IFD0 holds Orientation when ORIENTATION is
given (byte order II, little-endian, by default); with TW and TH 0, the
Exif block has no IFD1 and no thumbnail. Prints the thumbnail's offset
and length in the file (0 0 without one), for the tests to compare with
what ?thumb=1 answers."""
import struct, subprocess, sys

def jpeg(w, h, rgb):
    ppm = b"P6 %d %d 255\n" % (w, h) + bytes(
        c for y in range(h) for x in range(w)
        for c in (rgb[0], (x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1)))
    return subprocess.run(["cjpeg", "-quality", "80"], input=ppm, stdout=subprocess.PIPE,
                          check=True).stdout

out, w, h, tw, th = sys.argv[1], *map(int, sys.argv[2:6])
orientation = int(sys.argv[6]) if len(sys.argv) > 6 else 0
order = sys.argv[7] if len(sys.argv) > 7 else "II"
e = "<" if order == "II" else ">"
main, thumb = jpeg(w, h, (200,)), jpeg(tw, th, (20,)) if tw and th else b""

def ifd(entries, next_off):
    b = struct.pack(e + "H", len(entries))
    for tag, typ, val in entries:
        b += struct.pack(e + "HHI", tag, typ, 1)
        b += struct.pack(e + "HH", val, 0) if typ == 3 else struct.pack(e + "I", val)
    return b + struct.pack(e + "I", next_off)

ifd0 = [(0x0112, 3, orientation)] if orientation else []
ifd0_len = 2 + 12 * len(ifd0) + 4
ifd1_off = 8 + ifd0_len
thumb_off = ifd1_off + 2 + 12 * 3 + 4
if thumb:
    tiff = order.encode() + struct.pack(e + "HI", 42, 8) + ifd(ifd0, ifd1_off) + \
        ifd([(0x0103, 3, 6), (0x0201, 4, thumb_off), (0x0202, 4, len(thumb))], 0) + thumb
else:
    tiff = order.encode() + struct.pack(e + "HI", 42, 8) + ifd(ifd0, 0)
app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\0\0" + tiff
open(out, "wb").write(main[:2] + app1 + main[2:])
print(2 + 10 + thumb_off if thumb else 0, len(thumb))
