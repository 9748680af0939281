#!/usr/bin/env python3
"""Seeds for fuzz_safetensors: an rnnkit F32 export as it is and converted
to F64, F16 and BF16 (round to nearest even), with the same header layout.

    python3 tests/fuzz/safetensors_seeds.py F32_EXPORT OUT_DIR

writes OUT_DIR/{f32,f64,f16,bf16}.safetensors. Standard library only.
"""
import json
import struct
import sys


def bf16(x):
    (u,) = struct.unpack("<I", struct.pack("<f", x))
    u += 0x7FFF + ((u >> 16) & 1)  # round to nearest even (values are finite)
    return struct.pack("<H", (u >> 16) & 0xFFFF)


def main():
    src, out = sys.argv[1], sys.argv[2]
    raw = open(src, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    for dtype, size in (("F32", 4), ("F64", 8), ("F16", 2), ("BF16", 2)):
        h = {"__metadata__": header["__metadata__"]}
        blob = bytearray()
        for name, t in header.items():
            if name == "__metadata__":
                continue
            b, e = t["data_offsets"]
            vals = struct.unpack("<%df" % ((e - b) // 4), data[b:e])
            begin = len(blob)
            for x in vals:
                if dtype == "F32":
                    blob += struct.pack("<f", x)
                elif dtype == "F64":
                    blob += struct.pack("<d", x)
                elif dtype == "F16":
                    blob += struct.pack("<e", x)
                else:
                    blob += bf16(x)
            h[name] = {"dtype": dtype, "shape": t["shape"], "data_offsets": [begin, len(blob)]}
        text = json.dumps(h, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        with open("%s/%s.safetensors" % (out, dtype.lower()), "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + bytes(blob))


if __name__ == "__main__":
    main()
