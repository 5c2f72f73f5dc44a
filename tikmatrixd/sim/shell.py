"""A small ``/system/bin/sh``: enough of mksh for what adbutils, the adb CLI and our daemon send.

Supports ``;``, ``&&``, ``||``, pipes, ``$?``, single/double quotes, backslash
escapes and ``>``/``>>``/``2>&1``/``>&2``/``2>/dev/null`` redirections. Commands are
looked up in :data:`COMMANDS` (see :mod:`tikmatrixd.sim.commands`); anything
else answers ``/system/bin/sh: X: not found`` with status 127, like a phone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tikmatrixd.sim.device import SimDevice

STATUS = "\x00?"  # placeholder for $?, expanded when the command runs


class ShellSyntaxError(Exception):
    pass


@dataclass
class Result:
    out: bytes = b""
    err: bytes = b""
    code: int = 0
    #: stdout and stderr in the order they were written (what a legacy `shell:` stream carries).
    mixed: bytes = b""
    #: The line could not be parsed (a non-interactive sh reading its stdin exits there).
    syntax_error: bool = False


@dataclass
class Simple:
    argv: list[str]
    stdout_to: str | None = None
    append: bool = False
    stderr_to_stdout: bool = False
    stdout_to_stderr: bool = False
    stderr_null: bool = False


@dataclass
class Pipeline:
    commands: list[Simple] = field(default_factory=list)


Command = Callable[["SimDevice", list[str], bytes], Awaitable[Result]]
COMMANDS: dict[str, Command] = {}


def command(*names: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        for name in names:
            COMMANDS[name] = fn
        return fn
    return register


def tokenize(line: str) -> list[tuple[str, str]]:
    """Split into ("word", text) and ("op", op) tokens, honouring sh quoting."""
    tokens: list[tuple[str, str]] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(line)

    def flush() -> None:
        nonlocal in_word
        if in_word:
            tokens.append(("word", "".join(word)))
            word.clear()
            in_word = False

    while i < n:
        c = line[i]
        if c in " \t\n":
            flush()
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated '")
            word.append(line[i + 1:end])
            in_word = True
            i = end + 1
        elif c == '"':
            i += 1
            in_word = True
            while True:
                if i >= n:
                    raise ShellSyntaxError('unterminated "')
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`\n':
                    word.append(line[i + 1])
                    i += 2
                elif c == "$" and line[i + 1:i + 2] == "?":
                    word.append(STATUS)
                    i += 2
                else:
                    word.append(c)
                    i += 1
        elif c == "\\":
            if i + 1 < n:
                word.append(line[i + 1])
                in_word = True
            i += 2
        elif c == "$" and line[i + 1:i + 2] == "?":
            word.append(STATUS)
            in_word = True
            i += 2
        elif c in ";|&<>" or (c == "2" and not in_word and line[i + 1:i + 2] == ">"):
            flush()
            for op in ("2>&1", "2>", ">&2", "&&", "||", ">>", ";", "|", ">", "<", "&"):
                if line.startswith(op, i):
                    tokens.append(("op", op))
                    i += len(op)
                    break
        elif c == "#" and not in_word:
            break
        else:
            word.append(c)
            in_word = True
            i += 1
    flush()
    return tokens


def parse(line: str) -> list[tuple[str, Pipeline]]:
    """[(connector, pipeline)], connector being ";" (run), "&&" or "||" before the pipeline."""
    items: list[tuple[str, Pipeline]] = []
    connector = ";"
    pipeline = Pipeline()
    simple = Simple([])
    tokens = tokenize(line)
    i = 0

    def end_simple() -> None:
        nonlocal simple
        if simple.argv:
            pipeline.commands.append(simple)
        elif simple.stdout_to:
            raise ShellSyntaxError("syntax error: redirection without command")
        simple = Simple([])

    def end_pipeline(next_connector: str) -> None:
        nonlocal pipeline, connector
        end_simple()
        if pipeline.commands:
            items.append((connector, pipeline))
        elif next_connector in ("&&", "||", "|"):
            raise ShellSyntaxError(f"syntax error: unexpected '{next_connector}'")
        elif connector in ("&&", "||"):
            raise ShellSyntaxError(f"syntax error: no command after '{connector}'")
        pipeline = Pipeline()
        connector = next_connector

    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "word":
            simple.argv.append(value)
        elif value in (";", "&"):
            end_pipeline(";")
        elif value in ("&&", "||"):
            end_pipeline(value)
        elif value == "|":
            end_simple()
        elif value in (">", ">>"):
            i += 1
            if i >= len(tokens) or tokens[i][0] != "word":
                raise ShellSyntaxError("syntax error: bad redirection")
            simple.stdout_to, simple.append = tokens[i][1], value == ">>"
        elif value == "2>":
            i += 1
            if i < len(tokens) and tokens[i][0] == "word":
                simple.stderr_null = True
        elif value == "2>&1":
            simple.stderr_to_stdout = True
        elif value == ">&2":
            simple.stdout_to_stderr = True
        elif value == "<":
            i += 1  # stdin redirection: ignored
        i += 1
    end_pipeline(";")
    return items


def complete(text: str) -> bool:
    """Whether ``text`` is a whole command line (no quote left open), as sh decides when to run
    what it read from its input."""
    if not any(c in text for c in "'\"\\"):
        return True
    try:
        tokenize(text)
    except ShellSyntaxError as error:
        return "unterminated" not in str(error)
    return not text.endswith("\\")


async def run(device: SimDevice, line: str, status: int = 0) -> Result:
    """Run a command line; stdout/stderr are collected, the last status is returned."""
    total = Result(code=status)
    try:
        items = parse(line)
    except ShellSyntaxError as exc:
        return Result(err=f"/system/bin/sh: {exc}\n".encode(), code=2, syntax_error=True)
    for connector, pipeline in items:
        if connector == "&&" and total.code != 0:
            continue
        if connector == "||" and total.code == 0:
            continue
        stdin = b""
        result = Result()
        for simple in pipeline.commands:
            argv = [a.replace(STATUS, str(total.code)) for a in simple.argv]
            result = await run_simple(device, argv, stdin)
            if simple.stderr_to_stdout:
                result.out, result.err = result.out + result.err, b""
            if simple.stdout_to_stderr:
                result.out, result.err = b"", result.err + result.out
            if simple.stderr_null:
                result.err = b""
            if simple.stdout_to:
                target = simple.stdout_to.replace(STATUS, str(total.code))
                if target != "/dev/null":
                    old = device.storage.read(target) or b"" if simple.append else b""
                    device.storage.write(target, old + result.out)
                result.out = b""
            total.err += result.err
            total.mixed += result.err
            stdin = result.out
        total.out += result.out
        total.mixed += result.out
        total.code = result.code
    return total


async def run_simple(device: SimDevice, argv: list[str], stdin: bytes) -> Result:
    name = argv[0]
    fn = COMMANDS.get(name) or COMMANDS.get(name.rsplit("/", 1)[-1])
    if fn is None:
        return Result(err=f"/system/bin/sh: {name}: not found\n".encode(), code=127)
    return await fn(device, argv, stdin)
