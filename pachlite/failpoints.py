"""Named places where a crash test can make pachlite die with SIGKILL, deterministically.

`PACHLITE_FAILPOINT=job.merge` kills the process the first time it reaches
`failpoint("job.merge")`: what random kills hit only by luck (the merge of a job's outputs
is a few milliseconds), the reliability suite hits every time. Unset, it costs one lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "PACHLITE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
