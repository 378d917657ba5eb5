"""Support for the tests of steps/: batches and bad inputs, the steps run as pipelines run them,
releases and git remotes, a serving client, and the catalogues bench/reliability.py counts."""
