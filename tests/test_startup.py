"""`nineten --help` and every command's --help start without the heavy libraries (timings are in bench/)."""

import json
import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "numpy", "matplotlib", "reportlab", "grpc", "cryptography", "fabric_chaincode_python")

_PROBE = """
import json, sys
import click
from click.testing import CliRunner
from admin.cli import main

def paths(command, prefix):
    yield prefix
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from paths(sub, prefix + [name])

failed = []
for path in paths(main, []):
    result = CliRunner().invoke(main, path + ["--help"])
    if result.exit_code != 0 or "Usage:" not in result.output:
        failed.append(" ".join(path))
print(json.dumps({"helps": len(list(paths(main, []))), "failed": failed,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_every_help_imports_none_of_the_heavy_libraries():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["failed"] == []
    assert found["helps"] > 25
    assert [name for name in HEAVY if name in found["loaded"]] == []
