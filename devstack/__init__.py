"""The development stack: what `make up`, `make model`, `make down`, `make status` and
`make chart-deps` run. The platform on this machine (cluster providers, local PostgreSQL,
MLflow and BentoML processes) and the chart packaging. Tests and benchmarks import it;
it never imports them."""
