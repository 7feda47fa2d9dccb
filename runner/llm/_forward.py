"""Inside the sandbox: serve the runner's model proxy (a unix socket) on 127.0.0.1 to the command it starts.

`python forward.py [--model M] -- CMD ARG...` listens on a free loopback port, runs CMD with OPENAI_BASE_URL
pointing at that port and a dummy OPENAI_API_KEY, and exits with CMD's exit code. It is copied next to the socket
and run by whatever Python the sandbox has, so it uses the standard library only and imports nothing from runner.
The sandbox has no network: the loopback port is reachable only from inside, and the socket is its one way out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading

DUMMY_KEY = "benchsmith-proxy-injects-the-key"
"""What the sandbox gets as its API key: SDKs insist on one; the runner's proxy replaces it with the real one."""


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(1 << 16):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _bad_gateway(client: socket.socket, why: str) -> None:
    body = json.dumps({"error": {"message": why, "type": "benchsmith_proxy", "code": "proxy_unreachable"}}).encode()
    head = f"HTTP/1.0 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with contextlib.suppress(OSError):
        client.sendall(head.encode() + body)


def _connection(client: socket.socket, path: str) -> None:
    with client:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with upstream:
            try:
                upstream.connect(path)
            except OSError as error:
                _bad_gateway(client, f"the runner's model proxy at {path} is not answering: {error}")
                return
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join()


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_connection, args=(client, path), daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="", help="The model the proxy serves (exported as OPENAI_MODEL).")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="The command to run, after --.")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    path = os.environ.get("BENCHSMITH_MODEL_SOCKET", "")
    if not path:
        parser.error("BENCHSMITH_MODEL_SOCKET is not set: the trial was not started with --allow-model")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=_serve, args=(listener, path), daemon=True).start()
    url = f"http://127.0.0.1:{port}/v1"
    env = {**os.environ, "OPENAI_BASE_URL": url, "OPENAI_API_BASE": url, "BENCHSMITH_MODEL_URL": url,
           "OPENAI_API_KEY": DUMMY_KEY}  # fmt: skip
    if args.model:
        env["OPENAI_MODEL"] = env["BENCHSMITH_MODEL"] = args.model
    code = subprocess.call(command, env=env)
    return 128 - code if code < 0 else code  # killed by signal N: the shell's convention, 128 + N


if __name__ == "__main__":
    sys.exit(main())
