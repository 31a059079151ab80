"""Demo stores that imitate real shop platforms, for tests, demos and benchmarks."""
