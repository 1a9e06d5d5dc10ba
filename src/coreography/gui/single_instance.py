"""One window per user: a second launch hands its file to the first window and exits.

Two windows would share one run history and one settings file and overwrite each other's
layout. The first app listens on a local socket named for the user; a later launch
connects, sends the file it was given (or nothing: "come to the front"), and exits.
``--new-window`` (or COREOGRAPHY_NEW_INSTANCE=1) opts out.
"""

from __future__ import annotations

import getpass
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1000
_MAX_MESSAGE = 64 * 1024


def server_name() -> str:
    """$COREOGRAPHY_INSTANCE_NAME, else one name per user."""
    override = os.environ.get("COREOGRAPHY_INSTANCE_NAME")
    if override:
        return override
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return f"coreography-{user}"


def hand_over(path: str, name: str | None = None) -> bool:
    """Give ``path`` ("" for none) to a running window; False when none is listening."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(_TIMEOUT_MS):
        return False
    socket.write(os.path.abspath(path).encode() if path else b"")
    socket.flush()
    socket.waitForBytesWritten(_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(_TIMEOUT_MS)
    return True


class InstanceServer(QObject):
    """Listens for later launches; ``sig_file_received(path)`` with "" for none."""

    #: A later launch asked for this file to be opened ("" for just "show the window").
    sig_file_received = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._pending: dict[QLocalSocket, bytearray] = {}  # connection → bytes so far
        self._server.newConnection.connect(self._on_server_new_connection)

    def listen(self) -> bool:
        """Start listening; a name left by a crashed app is taken over."""
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # stale socket file of a killed app
        return self._server.listen(self.name)

    def close(self) -> None:
        """Stop listening and drop half-received messages."""
        for socket in list(self._pending):
            self._forget(socket)
            socket.abort()
        self._server.close()

    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._pending[socket] = bytearray()
            socket.readyRead.connect(self._on_socket_ready_read)
            socket.disconnected.connect(self._on_socket_disconnected)

    def _on_socket_ready_read(self) -> None:
        socket = self.sender()
        buffer = self._pending.get(socket)
        if buffer is None:
            return
        buffer.extend(bytes(socket.readAll().data()))
        if len(buffer) > _MAX_MESSAGE:  # not a launch of ours
            self._forget(socket)
            socket.abort()

    def _on_socket_disconnected(self) -> None:
        socket = self.sender()
        if socket not in self._pending:
            return
        self._on_socket_ready_read()  # what arrived with the close
        if socket not in self._pending:  # refused as too long
            return
        buffer = self._forget(socket)
        if buffer is not None:
            self.sig_file_received.emit(buffer.decode("utf-8", "replace"))

    def _forget(self, socket: QLocalSocket) -> bytearray | None:
        """Disconnect ``socket`` from this object (its own end may still emit) and
        delete it later; returns what it had sent."""
        buffer = self._pending.pop(socket, None)
        socket.readyRead.disconnect(self._on_socket_ready_read)
        socket.disconnected.disconnect(self._on_socket_disconnected)
        socket.deleteLater()
        return buffer
