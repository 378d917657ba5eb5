"""pachlite: Pachyderm's semantics on one machine (versioned data, provenance, pipelines)."""

from pachlite.errors import PachliteError

__version__ = "0.1.0"
__all__ = ["Client", "PachliteError", "__version__"]


def __getattr__(name: str) -> object:
    # Import the client lazily so `import pachlite.errors` stays cheap for the CLI's error path.
    if name == "Client":
        from pachlite.client import Client

        return Client
    raise AttributeError(name)
