# Benchmarks (see benchmarks/RESULTS.md). Sizes: ARTICLES, PAIRS, PAGES, N.
PY ?= .venv/bin/python
ARTICLES ?= 2000
PAIRS ?= 3
PAGES ?= 20000
N ?= 5000

.PHONY: bench bench-crawl bench-memory bench-archive bench-smoke

bench: bench-crawl bench-memory bench-archive
	@if [ -f benchmarks/bench_extract.py ]; then $(PY) benchmarks/bench_extract.py; fi
	@if [ -f benchmarks/bench_search.py ]; then $(PY) benchmarks/bench_search.py; fi

bench-crawl:
	$(PY) benchmarks/bench_crawl.py --articles $(ARTICLES) --pairs $(PAIRS) --profile cprofile \
		--report benchmarks/results/crawl.md --json benchmarks/out/crawl-results.json

bench-memory:
	$(PY) benchmarks/bench_memory.py --pages $(PAGES) \
		--report benchmarks/results/memory.md --json benchmarks/out/memory-results.json

bench-archive:
	$(PY) benchmarks/bench_archive.py --articles $(N) \
		--report benchmarks/results/archive.md --json benchmarks/out/archive-results.json

bench-smoke:
	$(PY) benchmarks/run_all.py --smoke
