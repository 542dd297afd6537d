"""Scripts the benchmarks run as separate processes (a training process, a load writer)."""
