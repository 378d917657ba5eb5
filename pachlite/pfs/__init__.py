"""PFS: versioned repos, branches, commits and files on local disk (docs/semantics.md §5, §9)."""
