"""Hashing and compressing buffers: C code that releases the GIL
(hashlib on 2047 bytes or more, zlib.compress).

    gilsim record digest:digest --items digest:blobs --path examples/record
"""
import hashlib
import random
import zlib


def blobs(count=24, size=1 << 21):
    """Buffers of `size` bytes, compressible about 3:1 (deterministic)."""
    rng = random.Random(3)
    words = [bytes(rng.randrange(97, 123) for _ in range(rng.randrange(3, 9))) for _ in range(2000)]
    out = []
    for _ in range(count):
        parts = []
        n = 0
        while n < size:
            w = rng.choice(words)
            parts.append(w)
            n += len(w) + 1
        out.append(b" ".join(parts)[:size])
    return out


def digest(buf):
    """SHA-256 of the buffer and the size of its zlib compression."""
    h = hashlib.sha256(buf).hexdigest()
    packed = zlib.compress(buf, 6)
    return h, len(packed)
