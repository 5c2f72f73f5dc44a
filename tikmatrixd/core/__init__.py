"""The domain: tasks, statuses, fan-out, spintax, scheduling. Pure: no I/O."""
