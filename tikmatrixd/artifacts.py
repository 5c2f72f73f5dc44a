"""What a failed task leaves for diagnosis: its last UI dump, a screenshot, and what the
selectors it tried matched on that dump, as files.

``<root>/<task id>/dump.xml``, ``screen.png`` and ``selectors.txt``. Only these names exist, so
a name from a URL can never reach another path. File I/O runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterable

NAMES = {"dump.xml": "application/xml", "screen.png": "image/png", "selectors.txt": "text/plain; charset=utf-8"}


class Artifacts:
    def __init__(self, root: str) -> None:
        self.root = root

    def path(self, task_id: int, name: str) -> str | None:
        """The file, if the task has it."""
        if name not in NAMES:
            return None
        path = os.path.join(self.root, str(task_id), name)
        return path if os.path.isfile(path) else None

    def names(self, task_id: int) -> list[str]:
        return [name for name in NAMES if self.path(task_id, name)]

    async def save(self, task_id: int, files: dict[str, bytes]) -> None:
        def save() -> None:
            directory = os.path.join(self.root, str(task_id))
            os.makedirs(directory, exist_ok=True)
            for name, data in files.items():
                assert name in NAMES
                with open(os.path.join(directory, name), "wb") as handle:
                    handle.write(data)

        await asyncio.to_thread(save)

    async def delete(self, task_ids: Iterable[int]) -> None:
        ids = list(task_ids)

        def delete() -> None:
            for task_id in ids:
                shutil.rmtree(os.path.join(self.root, str(task_id)), ignore_errors=True)

        await asyncio.to_thread(delete)
