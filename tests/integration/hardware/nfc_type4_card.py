"""A Type 4 Tag (ISO-DEP, NFC Forum Type 4 Tag mapping 2.0) in the field of nfcpy's udp reader.

Activation is ISO 14443-A (``Iso14443aCard``) with SAK 0x20 (ISO 14443-4 compliant). RATS
is answered with an ATS; after it the card speaks ISO 14443-4 blocks, without CRC (the udp
device carries frames, not bits), and without CID or NAD (the ATS offers neither):

- I-block ``02|n APDU`` -> ``02|n R-APDU``: the card takes the reader's block number ``n``.
- R(NAK) ``B2|n`` (nfcpy's presence check) -> R(ACK) ``A2|m``, ``m`` the card's block
  number; when ``n`` equals it, the reader missed the last answer and it is sent again.
- S(DESELECT) ``C2`` -> ``C2``; the card is silent until the next REQA/WUPA.

The APDUs are those of the NDEF Tag Application: SELECT by name (AID D2760000850101),
SELECT by file identifier of the capability container (E103) and the NDEF file (E104), and
READ BINARY. The files are read-only, like a ticket; no APDU writes.
"""

from __future__ import annotations

import struct

from tests.integration.hardware.nfc_cards import Iso14443aCard

SAK_ISO_DEP = 0x20
# TL=5; T0: TA, TB, TC present, FSCI 5 (the card takes 64-byte frames); TA: 106 kbit/s
# only; TB: FWI 10 (about 0.3 s per answer: the card answers from a Python thread, and a
# removed card is noticed when a presence check waits that long in vain), SFGI 0; TC: no
# CID, no NAD.
ATS = bytes.fromhex("0575 00 A0 00")
NDEF_AID = bytes.fromhex("D2760000850101")
CC_FILE = bytes.fromhex("E103")
NDEF_FILE = bytes.fromhex("E104")
# The longest READ BINARY answer: well under the 256-byte frames nfcpy asks for in RATS, so
# no answer needs chaining, and a credential of a few hundred bytes takes several reads.
MAX_READ = 64
OK = b"\x90\x00"
WRONG_LENGTH = b"\x67\x00"
NO_CURRENT_FILE = b"\x69\x86"
NOT_FOUND = b"\x6a\x82"
WRONG_OFFSET = b"\x6b\x00"
UNKNOWN_INSTRUCTION = b"\x6d\x00"
UNKNOWN_CLASS = b"\x6e\x00"


def capability_container(ndef_file_size: int, max_read: int = MAX_READ) -> bytes:
    """The capability container file: mapping 2.0, MLe/MLc, NDEF File Control TLV."""
    control = NDEF_FILE + struct.pack(">H", ndef_file_size) + b"\x00\xff"  # read, never write
    return struct.pack(">HBHH", 15, 0x20, max_read, max_read) + b"\x04\x06" + control


class NdefTagApplication:
    """The NDEF Tag Application holding ``message``: its files and the APDUs that read them."""

    def __init__(self, message: bytes) -> None:
        ndef_file = struct.pack(">H", len(message)) + message  # NLEN, then the message
        self._files = {CC_FILE: capability_container(len(ndef_file)), NDEF_FILE: ndef_file}
        self._selected = False
        self._current: bytes | None = None

    def reset(self) -> None:
        """Forget the selection, as a card does when it leaves the protocol."""
        self._selected = False
        self._current = None

    def respond(self, apdu: bytes) -> bytes:
        """The response APDU (data, then status word) to the command APDU ``apdu``."""
        if len(apdu) < 4:
            return WRONG_LENGTH
        cla, ins, p1, p2 = apdu[:4]
        if cla != 0x00:
            return UNKNOWN_CLASS
        if ins == 0xA4:
            return self._select(p1, p2, apdu[4:])
        if ins == 0xB0:
            return self._read_binary(p1 << 8 | p2, apdu[4:])
        return UNKNOWN_INSTRUCTION

    def _select(self, p1: int, p2: int, body: bytes) -> bytes:
        if not body or len(body) < 1 + body[0]:
            return WRONG_LENGTH
        name = body[1 : 1 + body[0]]
        if (p1, p2) == (0x04, 0x00):  # by name: the application
            self._selected, self._current = name == NDEF_AID, None
            return OK if self._selected else NOT_FOUND
        if (p1, p2) == (0x00, 0x0C) and self._selected and name in self._files:
            self._current = self._files[name]
            return OK
        return NOT_FOUND

    def _read_binary(self, offset: int, body: bytes) -> bytes:
        if self._current is None:
            return NO_CURRENT_FILE
        if len(body) != 1:
            return WRONG_LENGTH
        if offset > len(self._current):
            return WRONG_OFFSET
        length = min(body[0] or 256, MAX_READ)
        return self._current[offset : offset + length] + OK


class Type4Card(Iso14443aCard):
    """A Type 4A tag carrying ``message``; ``received`` names the frames it got, in order."""

    def __init__(self, uid: bytes, message: bytes, *, port: int = 0) -> None:
        super().__init__(uid, sak=SAK_ISO_DEP, port=port)
        self.received: list[str] = []
        self._application = NdefTagApplication(message)
        self._active = False  # in the ISO 14443-4 protocol, after RATS
        self._block = 1  # the block number of the card's last I-block
        self._last = b""

    def _answer(self, command: bytes) -> bytes | None:
        answer = super()._answer(command)
        if answer is not None or not command:
            return answer
        if command[0] == 0xE0 and len(command) == 2:
            self.received.append("RATS")
            self._active, self._block, self._last = True, 1, b""
            return ATS
        if not self._active:
            return None
        return self._exchange_block(command)

    def _exchange_block(self, block: bytes) -> bytes | None:
        pcb = block[0]
        if pcb & 0xFE == 0x02:
            self.received.append("I-block")
            self._block = pcb & 1
            self._last = bytes([0x02 | self._block]) + self._application.respond(block[1:])
            return self._last
        if pcb & 0xFE == 0xB2:
            self.received.append("R(NAK)")
            if pcb & 1 == self._block and self._last:
                return self._last
            return bytes([0xA2 | self._block])
        if pcb == 0xC2:
            self.received.append("DESELECT")
            self._field_off()
            return b"\xc2"
        return None  # chaining, CID, NAD, WTX: not offered in the ATS

    def _field_on(self) -> None:
        self.received.append("REQA/WUPA")
        self._field_off()

    def _field_off(self) -> None:
        self._active = False
        self._application.reset()
