"""PFS: versioned repos, branches, commits and files on local disk (reference §5, §9)."""
