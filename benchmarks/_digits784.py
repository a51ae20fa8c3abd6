"""The 784-6x256-10 digits classifier the multi-class benchmarks share (trained on the CPU, seeded)."""
import time

from relucap.numerics.datasets import digits_classifier


def trained_mlp(seed=0, epochs=8):
    t0 = time.perf_counter()
    task = digits_classifier(seed, size=28, hidden=(256,) * 6, epochs=epochs)
    return task, time.perf_counter() - t0
