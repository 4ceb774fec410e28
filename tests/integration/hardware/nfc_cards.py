"""Cards in the field of nfcpy's ``udp`` reader: an emulated Type 3 tag and ISO 14443-A cards.

nfcpy's udp device sends each frame as one datagram ``"<brty> <hex>"`` to HOST:PORT and takes
the answer from the same socket; a card "in the field" is whatever answers on that port.

- ``Type3Card`` runs nfcpy's own FeliCa tag emulation (``clf.connect(card=...)``) on the port,
  with an NDEF attribute block and message in service 0x000B.
- ``Iso14443aCard`` is a small UDP responder for ISO 14443-A: REQA/WUPA, anticollision and
  select for 4- or 7-byte UIDs; subclasses answer the commands that follow activation.
- ``Type2Card`` adds the Type 2 READ command over a memory image. With ``readable=False``
  and a MIFARE Classic SAK it stands for a Classic card, which answers nothing it is not
  authenticated for. The Type 4 (ISO-DEP) card is in ``nfc_type4_card``.
"""

from __future__ import annotations

import binascii
import socket
import struct
import threading
from collections.abc import Callable
from functools import reduce
from operator import xor
from types import TracebackType
from typing import Any, Self

import nfc

NDEF_SERVICE = 0x000B
TYPE3_SYSTEM = "12FC"
# A PMm whose IC code (byte 1) nfcpy maps to no Sony product, so the tag is a plain Type 3
# tag, and whose read/write response-time bytes (5, 6) allow the longest time (about 0.3 s
# per block): the emulation answers from a Python thread, not from silicon.
TYPE3_PMM = "03FF000000FFFF00"
# nfcpy's card emulation listens in windows and rebinds its socket between them; a reader
# command that falls in the gap is lost, so the windows are long (removal waits for one).
LISTEN_WINDOW = 2.5


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _CardThread:
    """Start on enter, take the card out of the field on exit."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        self._stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the card did not leave the field"

    def _run(self) -> None:
        raise NotImplementedError


def type3_attribute_block(message_length: int, blocks: int) -> bytes:
    """The NDEF attribute information block (block 0) of a read-only Type 3 tag."""
    block = bytearray(16)
    block[0] = 0x10  # mapping version 1.0
    block[1] = 4  # blocks per read
    block[3:5] = struct.pack(">H", blocks)
    block[11:14] = struct.pack(">I", message_length)[1:]
    block[14:16] = struct.pack(">H", sum(block[0:14]))
    return bytes(block)


class Type3Card(_CardThread):
    """A FeliCa Type 3 tag carrying ``message``, emulated by nfcpy on ``udp:localhost:port``."""

    def __init__(self, port: int, message: bytes, idm: bytes = bytes.fromhex("02FE0011223344")):
        super().__init__()
        self.port = port
        self.idm = idm.ljust(8, b"\x00")
        padded = message + bytes(-len(message) % 16)
        self._blocks = [type3_attribute_block(len(message), len(padded) // 16)]
        self._blocks += [padded[i : i + 16] for i in range(0, len(padded), 16)]
        self.ready = threading.Event()

    def _read_block(self, number: int, _begin: bool, _end: bool) -> bytes | None:
        return self._blocks[number] if number < len(self._blocks) else None

    def _on_startup(self, target: Any) -> Any:
        target.brty = "212F"
        target.sensf_res = bytearray.fromhex("01" + self.idm.hex() + TYPE3_PMM + TYPE3_SYSTEM)
        self.ready.set()
        return target

    def _on_connect(self, tag: Any) -> bool:
        tag.add_service(NDEF_SERVICE, self._read_block, None)
        return True

    def _run(self) -> None:
        frontend = nfc.ContactlessFrontend(f"udp:localhost:{self.port}")
        try:
            options = {
                "on-startup": self._on_startup,
                "on-connect": self._on_connect,
                "timeout": LISTEN_WINDOW,
            }
            while not self._stop.is_set():
                frontend.connect(card=options, terminate=self._stop.is_set)
        finally:
            frontend.close()


def bcc(part: bytes) -> int:
    return reduce(xor, part, 0)


def type2_memory(uid: bytes, message: bytes, data_size: int = 144) -> bytes:
    """A Type 2 tag image: UID pages, capability container, NDEF TLV, terminator TLV."""
    head = uid[0:3] + bytes([0x88 ^ bcc(uid[0:3])]) + uid[3:7]
    head += bytes([bcc(uid[3:7]), 0x48, 0x00, 0x00])
    head += bytes([0xE1, 0x10, data_size // 8, 0x0F])  # read-only, like a ticket
    tlv = bytes([0x03, len(message)]) + message + b"\xfe"
    return head + tlv.ljust(data_size, b"\x00")


class Iso14443aCard(_CardThread):
    """An ISO 14443-A card answering nfcpy's udp reader on ``port`` (0: pick one)."""

    def __init__(self, uid: bytes, *, sak: int, port: int = 0) -> None:
        super().__init__()
        assert len(uid) in (4, 7)
        self.uid = uid
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", port))
        self._socket.settimeout(0.05)
        self.port: int = self._socket.getsockname()[1]
        self._answers = self._anticollision_answers(sak)

    def _anticollision_answers(self, sak: int) -> dict[bytes, bytes]:
        if len(self.uid) == 4:
            cl1 = self.uid + bytes([bcc(self.uid)])
            return {
                b"\x26": b"\x04\x00", b"\x52": b"\x04\x00", b"\x93\x20": cl1,
                b"\x93\x70" + cl1: bytes([sak]),
            }  # fmt: skip
        cl1 = b"\x88" + self.uid[0:3]
        cl1 += bytes([bcc(cl1)])
        cl2 = self.uid[3:7] + bytes([bcc(self.uid[3:7])])
        return {
            b"\x26": b"\x44\x00", b"\x52": b"\x44\x00", b"\x93\x20": cl1,
            b"\x93\x70" + cl1: b"\x04", b"\x95\x20": cl2, b"\x95\x70" + cl2: bytes([sak]),
        }  # fmt: skip

    def _answer(self, command: bytes) -> bytes | None:
        """The answer to ``command``, or None to stay silent (what the card does not support)."""
        if command in (b"\x26", b"\x52"):
            self._field_on()
        return self._answers.get(command)

    def _field_on(self) -> None:
        """The reader starts a new activation (REQA/WUPA): forget any protocol state."""

    def _field_off(self) -> None:
        """The reader switched its field off (RFOFF): forget any protocol state."""

    def _run(self) -> None:
        with self._socket:
            while not self._stop.is_set():
                self._serve_one(self._socket.sendto)

    def _serve_one(self, send: Callable[[bytes, Any], int]) -> None:
        try:
            datagram, sender = self._socket.recvfrom(1024)
        except TimeoutError:
            return
        if datagram.startswith(b"RFOFF"):
            self._field_off()
            return
        brty, _, payload = datagram.partition(b" ")
        answer = self._answer(binascii.unhexlify(payload.strip()))
        if answer is not None:
            send(brty + b" " + binascii.hexlify(answer), sender)


class Type2Card(Iso14443aCard):
    """A Type 2 tag (or, unreadable, a MIFARE Classic card) with the memory image ``memory``."""

    def __init__(
        self,
        uid: bytes,
        *,
        sak: int = 0x00,
        memory: bytes = b"",
        readable: bool = True,
        port: int = 0,
    ) -> None:
        super().__init__(uid, sak=sak, port=port)
        self._memory = memory
        self._readable = readable

    def _answer(self, command: bytes) -> bytes | None:
        answer = super()._answer(command)
        if answer is None and self._readable and len(command) == 2 and command[0] == 0x30:
            start = command[1] * 4
            return self._memory[start : start + 16].ljust(16, b"\x00")
        return answer
