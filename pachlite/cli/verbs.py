"""pachctl's grammar is `<verb> <noun>`: the verb groups live here, the nouns in their modules."""

from __future__ import annotations

from pachlite.cli.command import Group

# Which module defines each noun's commands (`list repo`, `inspect repo`... live in cli/repo.py).
# A verb imports only the module of the noun it runs; help and errors that list every noun
# import them all. tests/cli/test_startup_imports.py checks this table against the commands.
NOUN_MODULES = {
    "project": "pachlite.cli.project",
    "repo": "pachlite.cli.repo",
    "branch": "pachlite.cli.branch",
    "commit": "pachlite.cli.commit",
    "file": "pachlite.cli.file",
    "job": "pachlite.cli.job",
    "datum": "pachlite.cli.job",
    "pipeline": "pachlite.cli.pipeline",
    "cron": "pachlite.cli.pipeline",
    "service": "pachlite.cli.up",
    "metadata": "pachlite.cli.metadata",
}

# What each verb does, as its help and the overview show it.
VERBS_HELP = {
    "create": "Create a project, repo or branch.",
    "list": "List projects, repos, branches, commits or files.",
    "inspect": "Show details of a project, repo, branch, commit or file.",
    "delete": "Delete a project, repo, branch, commit set or file.",
    "put": "Put data into a repo.",
    "get": "Get data out of a repo.",
    "glob": "Match files with a glob pattern.",
    "diff": "Show what changed between commits.",
    "copy": "Copy files between commits without copying data.",
    "start": "Start a commit or a stopped pipeline.",
    "finish": "Finish a commit.",
    "wait": "Wait for a commit (and what it triggers) to finish.",
    "squash": "Squash a commit set into its children.",
    "update": "Update a pipeline.",
    "stop": "Stop a pipeline or a job.",
    "run": "Run a cron tick now.",
    "restart": "Process datums again.",
    "edit": "Edit the metadata of projects, repos, branches and commits.",
}


def _verb(name: str) -> Group:
    return Group(name, VERBS_HELP[name], lazy=NOUN_MODULES, project_option=True)


create = _verb("create")
list_ = _verb("list")
inspect = _verb("inspect")
delete = _verb("delete")
put = _verb("put")
get = _verb("get")
glob = _verb("glob")
diff = _verb("diff")
copy = _verb("copy")
start = _verb("start")
finish = _verb("finish")
wait = _verb("wait")
squash = _verb("squash")
update = _verb("update")
stop = _verb("stop")
run = _verb("run")
restart = _verb("restart")
edit = _verb("edit")
VERBS = [create, list_, inspect, delete, put, get, glob, diff, copy, start, finish, wait, squash,
         update, stop, run, restart, edit]  # fmt: skip
