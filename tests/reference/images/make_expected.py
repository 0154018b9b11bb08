# Computes Pillow's own resize results for the resampling parity test (tests/datasets/Images/).
#
#   apt-get install python3-pil      (Debian 12: Pillow 9.4, the Resample.c Hugging Face's processors call)
#   /usr/bin/python3 make_expected.py <out.jsonl> [seed]
#
# Writes one JSON object a line: {"filter": PIL's number, "width", "height" (the input), "to_width",
# "to_height", "input": base64 of the RGB bytes, "expected": base64 of Pillow's RGB result}, for
# seeded random pictures (noise, gradients, hard edges: values that overshoot with negative lobes)
# of random sizes, each filter, shrinking and enlarging, one axis unchanged and both changed.
import base64, json, random, sys
from PIL import Image

out_path = sys.argv[1]
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 5)

def picture(w, h):
    kind = rng.choice(["noise", "gradient", "edges"])
    data = bytearray()
    for y in range(h):
        for x in range(w):
            for c in range(3):
                if kind == "noise":
                    v = rng.randrange(256)
                elif kind == "gradient":
                    v = (x * 255 // max(w - 1, 1) + y * 97 // max(h - 1, 1) + c * 40) % 256
                else:
                    v = 255 if ((x // 3 + y // 2 + c) % 2) else 0
                data.append(v)
    return Image.frombytes("RGB", (w, h), bytes(data))

cases = []
filters = [Image.BICUBIC, Image.BILINEAR, Image.LANCZOS, Image.BOX, Image.HAMMING]
for filt in filters:
    for _ in range(7):
        w, h = rng.randrange(1, 41), rng.randrange(1, 41)
        shape = rng.choice(["shrink", "grow", "mixed", "width only", "height only"])
        if shape == "shrink":
            tw, th = rng.randrange(1, w + 1), rng.randrange(1, h + 1)
        elif shape == "grow":
            tw, th = rng.randrange(w, 49), rng.randrange(h, 49)
        elif shape == "mixed":
            tw, th = rng.randrange(1, 49), rng.randrange(1, 49)
        elif shape == "width only":
            tw, th = rng.randrange(1, 49), h
        else:
            tw, th = w, rng.randrange(1, 49)
        cases.append((filt, w, h, tw, th))
# The shapes Hugging Face's processors make most: a photo's shortest edge to 224 or a square of 384, cut down in size.
cases += [(Image.BICUBIC, 64, 48, 29, 22), (Image.BICUBIC, 33, 47, 47, 47), (Image.BICUBIC, 7, 5, 31, 22)]

with open(out_path, "w") as f:
    for filt, w, h, tw, th in cases:
        im = picture(w, h)
        out = im.resize((tw, th), resample=filt, reducing_gap=None)
        f.write(json.dumps({"filter": int(filt), "width": w, "height": h, "to_width": tw, "to_height": th,
                            "input": base64.b64encode(im.tobytes()).decode(), "expected": base64.b64encode(out.tobytes()).decode()}) + "\n")
