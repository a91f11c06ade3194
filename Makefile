# The two commands of the README. Both run the idempotent set-up first.
.PHONY: setup run test bench bench-programming
setup:
	@bash scripts/setup.sh

run: setup
	@node bin/cairn.js run $(ARGS)

test: setup
	@bash scripts/test.sh

bench: setup
	@npx --no-install tsx bench/log-throughput.ts

# cairn beside kube-proxy (iptables, nftables): JSON, chart and the README's table (needs root).
bench-programming: setup
	@npx --no-install tsx bench/network-programming.ts $(ARGS)
