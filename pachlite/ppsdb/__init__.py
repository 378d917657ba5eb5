"""PPS state on disk: the pipeline, job, datum and log tables, beside pfs in one SQLite file."""
