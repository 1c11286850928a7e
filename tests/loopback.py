"""A real HTTP server on 127.0.0.1 that answers like the data sources, for tests that run `radar` as a process.

It serves a `SourceRouter`: each source gets its own port (like the in-process fakes), so a child process
only needs the base URLs in its environment. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes import PORTS, SourceRouter


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@contextmanager
def serve_sources(router: SourceRouter) -> Iterator[dict[str, str]]:
    """Serve `router` on loopback; yields the environment that points Paper Radar at it."""
    ports = {name: free_port() for name in PORTS}
    by_port = {port: name for name, port in ports.items()}

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        # Re-address the request to the port the router knows this source by.
        source = by_port[scope["server"][1]]
        url = httpx.URL(str(request.url)).copy_with(port=PORTS[source])
        forwarded = httpx.Request(request.method, url, headers=request.headers.raw, content=body)
        try:
            answer = router(forwarded)
        except AssertionError as error:  # an unexpected request: make it loud in the child's output
            answer = httpx.Response(599, text=f"loopback fake: {error}")
        answer.read()
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        await Response(answer.content, status_code=answer.status_code, headers=headers)(scope, receive, send)

    servers: list[_Server] = []
    threads: list[threading.Thread] = []
    for port in ports.values():
        server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=lambda s=server: asyncio.run(s.serve()), daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
    for server in servers:
        while not server.started:
            threading.Event().wait(0.01)
    env = {
        "RADAR_ARXIV_API_URL": f"http://127.0.0.1:{ports['arxiv_api']}/api",
        "RADAR_ARXIV_RSS_URL": f"http://127.0.0.1:{ports['arxiv_rss']}",
        "RADAR_OPENALEX_URL": f"http://127.0.0.1:{ports['openalex']}",
        "RADAR_SEMANTIC_SCHOLAR_URL": f"http://127.0.0.1:{ports['semantic_scholar']}/graph/v1",
        "RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL": f"http://127.0.0.1:{ports['semantic_scholar']}/recommendations/v1",
        "RADAR_HUGGINGFACE_URL": f"http://127.0.0.1:{ports['huggingface']}",
        "RADAR_ARXIV_INTERVAL": "0",
    }
    try:
        yield env
    finally:
        for server in servers:
            server.should_exit = True
        for thread in threads:
            thread.join(timeout=5)
