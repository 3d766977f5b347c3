"""The 9ten chaincode: the contracts, the kernel they share, and the server that runs them for Fabric.

The Fabric contract API imports jsonschema (with attrs and referencing, some 60 ms) when it is
imported, to check argument schemas that the dispatcher (:mod:`chaincode.dispatch`) never uses; it
is therefore loaded on its first use instead, which a 9ten transaction never makes.
"""

import importlib
import importlib.util
import sys
import types


class _OnFirstUse(types.ModuleType):
    """Stands for a module not imported yet: the first attribute asked for imports it."""

    def __getattr__(self, attribute: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


if "jsonschema" not in sys.modules:
    _deferred = _OnFirstUse("jsonschema")
    _deferred.__spec__ = importlib.util.find_spec("jsonschema")
    sys.modules["jsonschema"] = _deferred
