"""A mix with a large list argument: each call gets 100,000 floats,
summarises them in Python, sorts them (a C call that keeps the GIL),
compresses them (zlib: the GIL released) and waits 10 ms (time.sleep).

    gilsim record mix:summarize --items mix:sample_sets --path examples/record
"""
import array
import random
import time
import zlib


def sample_sets(count=24, size=100_000):
    """Lists of `size` floats (deterministic)."""
    rng = random.Random(5)
    return [[rng.gauss(100.0, 15.0) for _ in range(size)] for _ in range(count)]


def summarize(samples):
    """Mean, deviation, median and the compressed size of the samples."""
    n = len(samples)
    mean = 0.0
    for x in samples:
        mean += x
    mean /= n
    var = 0.0
    for x in samples:
        var += (x - mean) ** 2
    ordered = sorted(samples)
    packed = zlib.compress(array.array("d", ordered).tobytes(), 6)
    time.sleep(0.01)
    return mean, (var / n) ** 0.5, ordered[n // 2], len(packed)
