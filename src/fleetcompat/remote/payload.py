"""What the direct mode runs on a host: the stdlib gatherer package, zipped, imported from memory by a bootstrap.

The bootstrap is passed with `python3 -c`, reads the zip from stdin, serves imports of `hostfeatures` from it
(nothing is written on the host), runs `gather(root, sources)` and prints one JSON document (features and
warnings; the controller computes the summary from the features it accepted). It must run on the host's
Python 3.9+: no `match`, no `X | Y` annotations.
"""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

PACKAGE = "hostfeatures"

BOOTSTRAP = r"""
import importlib.abc, importlib.util, io, json, sys, zipfile
archive = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
names = set(archive.namelist())
class PayloadImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        base = name.replace(".", "/")
        for member, package in ((base + "/__init__.py", True), (base + ".py", False)):
            if member in names:
                spec = importlib.util.spec_from_loader(name, self, origin="payload:" + member, is_package=package)
                spec.loader_state = member
                return spec
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        member = module.__spec__.loader_state
        exec(compile(archive.read(member), "payload:" + member, "exec"), module.__dict__)
sys.meta_path.insert(0, PayloadImporter())
args = json.loads(sys.argv[1])
import hostfeatures
features, warnings = hostfeatures.gather(args["root"], args["sources"])
json.dump({"features": features, "warnings": list(warnings), "python": sys.version.split()[0]}, sys.stdout,
          separators=(",", ":"))
"""


@cache
def package_zip() -> bytes:
    """The gatherer package's sources as a zip (built once per process)."""
    from fleetcompat import hostfeatures

    root = Path(hostfeatures.__file__).parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*.py")):
            archive.write(path, f"{PACKAGE}/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()
