"""Side effects of pipelines: running user code, jobs, scheduling."""
