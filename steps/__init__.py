"""The ML step code the pipeline specs run.

Entry points, where the specs call them (`python -m steps.<name>`): stream, warehouse,
transform, train, tune, model, calibrate, evaluate, release; `make serve` runs
`python -m steps.serving`. Each step's parameters: steps.parameters. The helpers, by concern:
data, model, evaluation, release, serving, reproducibility.
"""
