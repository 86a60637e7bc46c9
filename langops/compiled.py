"""The per-span hot path of ingestion compiled to C by mypyc, used only while it matches its source.

Decoding OTLP spans, mapping them to events, merging events into rows, pricing and writing them
is plain Python run for every span; compiled, the mapping takes 40% less CPU. The modules stay ordinary
Python source (the one place to read and change them): `langops.compiled.main()` (run by
scripts/setup.sh) compiles MODULES into build/compiled/ and records the SHA-256 of each source and
the interpreter's version. `install()` (run first thing by the `langops` package, before any app
module is imported) then serves the compiled modules in place of the source only when every
recorded hash matches the file on disk, so an edited source runs as plain Python until the next
build, never as stale compiled code. Without a C compiler the build fails and everything runs as
plain Python, only slower. LANGOPS_COMPILED=0 turns the compiled modules off.
"""

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = Path(os.environ.get("LANGOPS_COMPILED_DIR") or ROOT / "build" / "compiled")
GROUP = "langops_compiled"  # mypyc's shared library of the modules: langops_compiled__mypyc
MODULES = (
    "apps.core.javascript",
    "apps.costs.engine",
    "apps.costs.pricing",
    "apps.costs.usage",
    "apps.ingestion.merge",
    "apps.ingestion.normalize",
    "apps.ingestion.otel_attributes",
    "apps.ingestion.otel_decode",
    "apps.ingestion.otel_mapping",
    "apps.ingestion.otel_usage",
    "apps.ingestion.tool_definitions",
    "apps.ingestion.writer",
)
_STAMP = "stamp.json"
_SETUP = """
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="langops-compiled",
    ext_modules=mypycify(
        {arguments!r}, opt_level="3", group_name={group!r}, target_dir={target!r}
    ),
)
"""


def _source(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def fingerprint() -> dict[str, object]:
    """What a build is valid for: this interpreter and the current text of every compiled module."""
    return {
        "python": sys.version,
        "sources": {module: hashlib.sha256(_source(module).read_bytes()).hexdigest() for module in MODULES},
    }


def _extensions(directory: Path) -> dict[str, Path]:
    """The extension file of each compiled module, and of their shared library, in `directory`."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    files = {module: directory / (module.replace(".", "/") + suffix) for module in MODULES}
    files[f"{GROUP}__mypyc"] = directory / f"{GROUP}__mypyc{suffix}"
    return files


def usable(directory: Path) -> dict[str, Path] | None:
    """The compiled modules in `directory` by name, if they were built from the sources on disk by
    this interpreter and all are there; None otherwise."""
    try:
        stamp = json.loads((directory / _STAMP).read_text())
    except (OSError, ValueError):
        return None
    files = _extensions(directory)
    if stamp != fingerprint() or not all(path.is_file() for path in files.values()):
        return None
    return files


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules, and nothing else."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(self, name: str, path: object = None, target: ModuleType | None = None):
        file = self.files.get(name)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(file))
        return importlib.util.spec_from_file_location(name, file, loader=loader)


def install(directory: Path = BUILD_DIR) -> bool:
    """Serve the compiled modules from `directory` from now on, if they are usable; whether they are."""
    if os.environ.get("LANGOPS_COMPILED", "1") == "0" or any(module in sys.modules for module in MODULES):
        return False
    files = usable(directory)
    if files is None:
        return False
    sys.meta_path.insert(0, _Finder(files))
    return True


def build(directory: Path = BUILD_DIR) -> bool:
    """Compile MODULES into `directory` unless it holds them already; whether it does now.

    Built beside it and moved into place whole, so a process starting meanwhile sees either the
    old build or the new one."""
    if usable(directory) is not None:
        return True
    stamp = fingerprint()
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="langops-mypyc-") as temp:
        staging = Path(temp) / "out"
        arguments = [str(_source(module)) for module in MODULES]
        arguments += ["--ignore-missing-imports", "--follow-imports=silent", "--cache-dir", str(Path(temp) / "cache")]
        script = Path(temp) / "setup.py"
        script.write_text(_SETUP.format(arguments=arguments, group=GROUP, target=str(Path(temp) / "c")))
        command = [sys.executable, str(script), "-q", "build_ext", "--build-lib", str(staging)]
        command += ["--build-temp", str(Path(temp) / "objects")]
        # Run from the temporary directory: setuptools reads the project's pyproject.toml in the
        # working directory and would try to package the whole repository.
        subprocess.run(command, cwd=temp, check=True, env={**os.environ, "MYPYPATH": str(ROOT)})
        (staging / _STAMP).write_text(json.dumps(stamp))
        previous = directory.with_name(directory.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        if directory.exists():
            directory.rename(previous)
        shutil.move(str(staging), directory)
        shutil.rmtree(previous, ignore_errors=True)
    return usable(directory) is not None


def main() -> None:
    """Build for scripts/setup.sh: a failure is reported, not fatal (the source runs instead)."""
    try:
        built = build()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"langops: the hot path was not compiled ({exc}); it runs as plain Python", file=sys.stderr)
        return
    print("langops: hot path compiled" if built else "langops: compiled hot path unusable; plain Python")
