"""A local FTP server (pyftpdlib) on a free loopback port, serving one folder to one user: where
``EXPORTS_URI=ftp://...`` uploads land in tests."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

with warnings.catch_warnings():  # pyftpdlib on Python 3.11 imports the standard asyncore/asynchat
    warnings.filterwarnings("ignore", r"The (asyncore|asynchat) module is deprecated", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer


@contextmanager
def ftp_server(folder: Path, user: str, password: str) -> Iterator[str]:
    """Serve ``folder`` (read and write) to ``user``; yields ``ftp://user:password@127.0.0.1:PORT``."""
    folder.mkdir(parents=True, exist_ok=True)
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, str(folder), perm="elradfmwMT")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "banner": "testkit ftp"})
    server = ThreadedFTPServer(("127.0.0.1", 0), handler)
    server.max_cons = 64
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
    thread.start()
    try:
        yield f"ftp://{user}:{password}@127.0.0.1:{port}"
    finally:
        server.close_all()
        thread.join(timeout=10)
