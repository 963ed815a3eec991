# Benchmarks (see benchmarks/RESULTS.md). Sizes: ARTICLES, PAIRS, PAGES, N.
PY ?= .venv/bin/python
ARTICLES ?= 2000
PAIRS ?= 3
PAGES ?= 20000
N ?= 5000
ARTICLES_RX ?= 600

.PHONY: bench bench-crawl bench-memory bench-archive bench-reextract bench-smoke

bench: bench-crawl bench-memory bench-archive
	$(PY) -m benchmarks.bench_extract
	$(PY) -m benchmarks.bench_search
	$(MAKE) bench-reextract

bench-crawl:
	$(PY) -m benchmarks.bench_crawl --articles $(ARTICLES) --pairs $(PAIRS) --profile cprofile \
		--report benchmarks/results/crawl.md --json benchmarks/out/crawl-results.json

bench-memory:
	$(PY) -m benchmarks.bench_memory --pages $(PAGES) \
		--report benchmarks/results/memory.md --json benchmarks/out/memory-results.json

bench-archive:
	$(PY) -m benchmarks.bench_archive --articles $(N) \
		--report benchmarks/results/archive.md --json benchmarks/out/archive-results.json

bench-reextract:
	$(PY) -m benchmarks.bench_reextract --articles $(ARTICLES_RX) --pairs $(PAIRS)

bench-smoke:
	$(PY) -m benchmarks.run_all --smoke
