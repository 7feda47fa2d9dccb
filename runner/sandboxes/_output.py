"""Bounded capture of a command's output: its first and last bytes are kept, the middle is counted, not stored.

An agent may print without end; what the runner holds (and what ends up in `agent.log` and in the text an agent
reads back) stays at most `head + tail` bytes per stream, so the runner's memory is flat whatever it prints.
"""

from __future__ import annotations

OUTPUT_HEAD_BYTES = 1024**2
OUTPUT_TAIL_BYTES = 1024**2


class CappedOutput:
    """One stream's output: the first `head` bytes, the last `tail` bytes, and how many were left out between."""

    def __init__(self, head: int = OUTPUT_HEAD_BYTES, tail: int = OUTPUT_TAIL_BYTES) -> None:
        self.head_limit, self.tail_limit = head, tail
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data or not self.tail_limit:
            return
        if len(data) >= self.tail_limit:
            self.tail[:] = data[-self.tail_limit :]
        else:
            self.tail += data
            del self.tail[: max(len(self.tail) - self.tail_limit, 0)]

    @property
    def omitted(self) -> int:
        """Bytes neither in the head nor in the tail."""
        return self.total - len(self.head) - len(self.tail)

    def text(self) -> str:
        """The kept output, with a line saying how much was left out where it was."""
        head = self.head.decode(errors="replace")
        if not self.omitted:
            return head + self.tail.decode(errors="replace")
        note = (
            f"\n[benchsmith: {self.omitted} bytes of output left out here; {self.total} in all, the first "
            f"{len(self.head)} and the last {len(self.tail)} are kept]\n"
        )
        return head + note + self.tail.decode(errors="replace")
