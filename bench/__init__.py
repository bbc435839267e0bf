"""Benchmarks for ArticleBot, run by hand: ``python -m bench.run --tier 10k`` (see README.md)."""
