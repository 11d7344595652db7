#!/usr/bin/python3
# more-pictures.py — GIF, WebP and PNG pictures for t-thumb-kinds.sh, made
# with Pillow (python3-pil), and GIF/WebP headers made by hand:
#
#   more-pictures.py halves FILE W H [interlace|transparent|animated|lossless]
#       left half red, right half blue; the kind from FILE's extension
#       (.gif, .webp, .png). transparent (GIF): the top quarter is the
#       transparent colour. animated (WebP, GIF): two frames.
#   more-pictures.py flat FILE W H
#       one colour, as small as the format makes it (GIF's LZW, lossless
#       WebP): few bytes, every pixel to decode.
#   more-pictures.py gif-screen FILE W H
#       a GIF whose logical screen says W x H, with a 1x1 frame.
#   more-pictures.py gif-frame FILE W H
#       a GIF whose screen is 1x1 and whose one frame says W x H (no data).
#   more-pictures.py webp-header FILE W H
#       a lossless WebP header saying W x H (at most 16384), nothing after.
#
# Writes FILE and prints its size in bytes.
import io
import os
import struct
import sys

from PIL import Image

RED, BLUE = (220, 20, 20), (20, 20, 220)


def halves(w, h):
    im = Image.new("RGB", (w, h), RED)
    im.paste(BLUE, (w // 2, 0, w, h))
    return im


def main():
    kind, path, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    opt = sys.argv[5] if len(sys.argv) > 5 else ""
    ext = os.path.splitext(path)[1].lower()
    if kind == "halves":
        im = halves(w, h)
        if ext == ".gif":
            p = im.convert("P", palette=Image.ADAPTIVE, colors=4)
            if opt == "transparent":
                pal = p.getpalette()[:12] + [0, 200, 0]
                p.putpalette(pal)
                p.paste(4, (0, 0, w, h // 4))
                p.save(path, transparency=4, interlace=False)
            elif opt == "animated":
                other = halves(w, h).transpose(Image.FLIP_LEFT_RIGHT).convert("P")
                p.save(path, save_all=True, append_images=[other], duration=100, loop=0)
            else:
                p.save(path, interlace=(opt == "interlace"))
        elif ext == ".webp":
            if opt == "animated":
                other = halves(w, h).transpose(Image.FLIP_LEFT_RIGHT)
                im.save(path, save_all=True, append_images=[other], duration=100)
            else:
                im.save(path, lossless=(opt == "lossless"), quality=90)
        else:
            im.save(path)
    elif kind == "flat":
        im = Image.new("RGB", (w, h), (90, 90, 90))
        if ext == ".gif":
            im.convert("P").save(path, interlace=False)
        else:
            im.save(path, lossless=True, quality=0, method=0)
    elif kind == "gif-screen":
        open(path, "wb").write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) +
                               b"\0\0\0\xff\xff\xff" + b",\0\0\0\0\1\0\1\0\0\2\2D\1\0;")
    elif kind == "gif-frame":
        open(path, "wb").write(b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) +
                               b"\0\0\0\xff\xff\xff" + b"," + struct.pack("<HHHHB", 0, 0, w, h, 0) +
                               b"\2\2D\1\0;")
    elif kind == "webp-header":
        bits = (w - 1) | (h - 1) << 14
        vp8l = b"\x2f" + struct.pack("<I", bits) + b"\0" * 8
        chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
        open(path, "wb").write(b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk)
    else:
        sys.exit("unknown kind " + kind)
    print(os.path.getsize(path))


if __name__ == "__main__":
    main()
