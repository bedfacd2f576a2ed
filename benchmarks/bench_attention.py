"""Attention map: decoding speed against pyqubo's ``decode_sampleset`` baseline, and the default job's cost.

Prints, for an M = 64 one-hot model sampled by SA (100 fast-anneal reads, every read distinct), the time
of ``OneHotAttention.decode`` and of pyqubo's ``decode_sampleset`` on the same SampleSet, their ratio, and
checks both give the same histogram. Then times ``compare`` on the built-in instance with the default
protocols on ``sa`` (10 000 reads each), the bulk of ``qflow compare``'s work on the default backends.

Run: ``.venv/bin/python benchmarks/bench_attention.py``
"""

from __future__ import annotations

import time

import numpy as np

from qflow_core.experiments.compare import builtin_instance, compare
from qflow_core.models.attention import OneHotAttention
from qflow_core.registry import get_sampler


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    memory = OneHotAttention.random(num_keys=64, dim=32, seed=1)
    sampleset = get_sampler("sa").run(memory.to_bqm(), "anneal:kind=fast", num_reads=100, seed=0)
    model = memory._model  # the compiled pyqubo model behind to_bqm()
    binary = sampleset.change_vartype("BINARY", inplace=False)
    binary.relabel_variables({m: f"x[{m}]" for m in memory.labels})

    assert np.all(binary.record.num_occurrences == 1), "the baseline below assumes every read is distinct"

    def pyqubo_histogram() -> np.ndarray:
        counts = np.zeros(memory.n, dtype=int)
        for decoded in model.decode_sampleset(binary, feed_dict={"A": memory.penalty}):
            bits = [decoded.array("x", m) for m in range(memory.n)]
            if not decoded.constraints(only_broken=True):
                counts[int(np.argmax(bits))] += 1
        return counts

    # decode_sampleset returns samples sorted by energy, so compare histograms, not rows
    assert pyqubo_histogram().tolist() == memory.decode(sampleset).counts.tolist()
    ours = best_of(lambda: memory.decode(sampleset))
    theirs = best_of(pyqubo_histogram, repeats=3)
    print(f"decode, M = 64, {len(sampleset)} distinct reads:")
    print(f"  OneHotAttention.decode     {1e3 * ours:8.3f} ms")
    print(f"  pyqubo decode_sampleset    {1e3 * theirs:8.3f} ms")
    print(f"  speed-up                   {theirs / ours:8.0f} x")

    start = time.perf_counter()
    result = compare(builtin_instance(), ["sa"], num_reads=10000, seed=0, progress=False)
    wall = time.perf_counter() - start
    fits = sum(r.timing["fit_s"] for r in result.runs)
    print(f"compare on sa, built-in instance, {len(result.runs)} protocols x 10000 reads: {wall:.2f} s")
    print(f"  of which fitting and model selection: {fits:.3f} s ({fits / wall:.1%})")


if __name__ == "__main__":
    main()
