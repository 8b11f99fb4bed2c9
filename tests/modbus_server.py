#!/usr/bin/python3
"""A Modbus TCP server with known register contents: the independent peer of the Modbus
end-to-end tests (pymodbus, Debian python3-pymodbus 3.0). Run it with /usr/bin/python3: the
Debian package belongs to that interpreter.

    /usr/bin/python3 tests/modbus_server.py [--port N]

Listens on 127.0.0.1 (port 0: a free one) and prints "listening on 127.0.0.1:<port>" once it
accepts connections. Unit ids 1 and 2 exist; others get no answer (a silent device behind a
gateway). The contents (0-based addresses; the tests hold the same table):

unit 1, holding registers
  0      uint16  1234
  1      int16   -1234
  2-3    uint32  0x12345678 ABCD
  4-5    int32   -123456789 CDAB
  6-9    int64   -1234567890123 ABCD
  10-11  float32 21.5  ABCD      12-13 float32 22.5 CDAB
  14-15  float32 23.5  BADC      16-17 float32 24.5 DCBA
  20-23  float64 1234.5678 ABCD  24-27 float64 -8765.4321 DCBA
  30     0xA008 (bit 3 = 1, bits 13..15 = 5)
  31     int16 1490 (a temperature in 0.1 degF)
  1000-1009 raise "illegal data address" (exception 2) on any read
unit 1, input registers: 0 uint16 4321; 5-6 float32 3.25 CDAB
unit 1, coils: 0 = 1, 1 = 0, 2 = 1; discrete inputs: 0 = 0, 1 = 1
unit 2, holding registers: 0 uint16 77
"""
import argparse
import asyncio
import logging
import struct
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server.async_io import ModbusTcpServer

EXCEPTION_BLOCK = range(1000, 1010)


class RegistersWithAHole(ModbusSequentialDataBlock):
    """Holding registers whose block 1000..1009 answers every read with exception 2."""

    def validate(self, address, count=1):
        if address < EXCEPTION_BLOCK.stop and address + count > EXCEPTION_BLOCK.start:
            return False
        return super().validate(address, count)


def words(fmt, value, order):
    """The registers of `value` packed big-endian with `fmt`, laid out in `order`."""
    raw = struct.pack(">" + fmt, value)
    regs = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    if order in ("CDAB", "DCBA"):
        regs.reverse()
    if order in ("BADC", "DCBA"):
        regs = [r[::-1] for r in regs]
    return [int.from_bytes(r, "big") for r in regs]


def unit1():
    hr = [0] * 1100
    def put(address, values):
        hr[address:address + len(values)] = values
    put(0, [1234])
    put(1, words("h", -1234, "ABCD"))
    put(2, words("I", 0x12345678, "ABCD"))
    put(4, words("i", -123456789, "CDAB"))
    put(6, words("q", -1234567890123, "ABCD"))
    put(10, words("f", 21.5, "ABCD"))
    put(12, words("f", 22.5, "CDAB"))
    put(14, words("f", 23.5, "BADC"))
    put(16, words("f", 24.5, "DCBA"))
    put(20, words("d", 1234.5678, "ABCD"))
    put(24, words("d", -8765.4321, "DCBA"))
    put(30, [0xA008])
    put(31, words("h", 1490, "ABCD"))
    ir = [0] * 20
    ir[0] = 4321
    ir[5:7] = words("f", 3.25, "CDAB")
    return ModbusSlaveContext(
        hr=RegistersWithAHole(0, hr),
        ir=ModbusSequentialDataBlock(0, ir),
        co=ModbusSequentialDataBlock(0, [True, False, True] + [False] * 13),
        di=ModbusSequentialDataBlock(0, [False, True] + [False] * 14),
        zero_mode=True)


def unit2():
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [77] + [0] * 9),
                              ir=ModbusSequentialDataBlock(0, [0] * 10),
                              co=ModbusSequentialDataBlock(0, [False] * 16),
                              di=ModbusSequentialDataBlock(0, [False] * 16),
                              zero_mode=True)


async def main(port):
    context = ModbusServerContext(slaves={1: unit1(), 2: unit2()}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", port), allow_reuse_address=True,
                             ignore_missing_slaves=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    bound = server.server.sockets[0].getsockname()[1]
    print(f"listening on 127.0.0.1:{bound}", flush=True)
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(main(args.port))
    except KeyboardInterrupt:
        pass
