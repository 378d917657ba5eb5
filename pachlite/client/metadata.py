"""The metadata half of `pachlite.Client`: key/value pairs on projects, repos, branches and
commits (Pachyderm's metadata.API; the CLI's `edit metadata`). Repos, branches and commits
show theirs in `inspect_*` (`RepoInfo.metadata`...)."""

from __future__ import annotations

from collections.abc import Sequence

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from pachlite.model import MetadataEdit
    from pachlite.pfs.store import Store


class MetadataVerbs:
    store: Store

    def edit_metadata(self, edits: Sequence[MetadataEdit]) -> None:
        """Apply every edit in one transaction, or none (EditsFailed names each failure)."""
        from pachlite.pfs import metadata

        metadata.edit_metadata(self.store, edits)

    def project_metadata(self, project: str = "default") -> dict[str, str]:
        from pachlite.pfs import metadata

        return metadata.project_metadata(self.store, project)
