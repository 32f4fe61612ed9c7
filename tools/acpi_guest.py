# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A guest operating system of 512 bytes that does one thing: power off on the power button.

The KVM-host VM scenario needs a domain that behaves like a real guest when the patching
role asks it to shut down through ACPI (`virsh shutdown --mode acpi`): it must see the
power-button event and power itself off. A Linux guest would take many minutes to boot
under nested emulation; this boot sector boots in well under a second and idles in `hlt`
between timer interrupts, so it costs the host nothing.

What it does, in the order of the ACPI specification's fixed hardware registers:
1. sets PWRBTN_EN (bit 8) in PM1_EN (PM base + 2), so QEMU latches the button in PM1_STS;
2. writes "startsecure-acpi-guest: ready" to COM1;
3. sleeps (`sti; hlt`) and after each interrupt reads PWRBTN_STS (bit 8) of PM1_STS
   (a port with no device behind it reads 0xffff: that block is skipped);
4. on the button, writes "startsecure-acpi-guest: power button" to COM1, then SLP_EN
   with SLP_TYP 0 (soft off, S5) to PM1_CNT (PM base + 4): QEMU powers the machine off,
   libvirt records the shutdown as the guest's own.
The PM base is set by the firmware: SeaBIOS uses 0x600 on current QEMU machine types and
0xb000 on old ones; the guest arms and watches both, and powers off through the one that
latched the button.

Usage: python3 tools/acpi_guest.py OUTPUT   (writes a 1 MiB raw disk that boots it)
"""

from __future__ import annotations

import struct
import sys

PM_BASES = (0x0600, 0xB000)
PWRBTN = 0x0100
SLP_EN = 0x2000
SLP_TYP_MASK = 0x1C00
COM1 = 0x03F8
READY = b"startsecure-acpi-guest: ready\r\n"
BUTTON = b"startsecure-acpi-guest: power button\r\n"
ORIGIN = 0x7C00
DISK_BYTES = 1024 * 1024


class Assembler:
    """Just the 16-bit real-mode instructions this guest uses, with labels."""

    def __init__(self):
        self.code = bytearray()
        self.labels = {}
        self.fixups = []  # (offset of the displacement, label, size, end of instruction)

    def here(self, label):
        self.labels[label] = len(self.code)

    def emit(self, *parts):
        for part in parts:
            self.code += part if isinstance(part, (bytes, bytearray)) else bytes([part])

    def imm16(self, value):
        return struct.pack("<H", value)

    def mov_dx(self, value):
        self.emit(0xBA, self.imm16(value))

    def mov_bx(self, value):
        self.emit(0xBB, self.imm16(value))

    def mov_si_label(self, label):
        self.emit(0xBE)
        self.fixups.append((len(self.code), label, "abs16", None))
        self.emit(b"\0\0")

    def jump(self, opcode, label):
        """A short jump (jmp/jz/jnz): opcode, then an 8-bit displacement."""
        self.emit(opcode)
        self.fixups.append((len(self.code), label, "rel8", len(self.code) + 1))
        self.emit(0)

    def call(self, label):
        self.emit(0xE8)
        self.fixups.append((len(self.code), label, "rel16", len(self.code) + 2))
        self.emit(b"\0\0")

    def resolve(self):
        for offset, label, kind, end in self.fixups:
            target = self.labels[label]
            if kind == "abs16":
                self.code[offset:offset + 2] = self.imm16(ORIGIN + target)
            elif kind == "rel16":
                self.code[offset:offset + 2] = struct.pack("<h", target - end)
            else:
                displacement = target - end
                if not -128 <= displacement <= 127:
                    raise ValueError("short jump to %s out of range (%d)" % (label, displacement))
                self.code[offset] = displacement & 0xFF
        return bytes(self.code)


def boot_sector():
    """The 512 bytes: code, the two messages, padding and the 0x55AA boot signature."""
    a = Assembler()
    a.emit(0xFA)                          # cli
    a.emit(0x31, 0xC0)                    # xor ax, ax
    a.emit(0x8E, 0xD8)                    # mov ds, ax
    a.emit(0x8E, 0xD0)                    # mov ss, ax
    a.emit(0xBC, a.imm16(ORIGIN))         # mov sp, 0x7c00
    a.emit(0xFC)                          # cld
    for base in PM_BASES:                 # PM1_EN |= PWRBTN_EN
        a.mov_dx(base + 2)
        a.emit(0xED)                      # in ax, dx
        a.emit(0x0D, a.imm16(PWRBTN))     # or ax, PWRBTN
        a.emit(0xEF)                      # out dx, ax
    a.mov_si_label("ready")
    a.call("print")
    a.emit(0xFB)                          # sti
    a.here("wait")
    a.emit(0xF4)                          # hlt (until the next timer interrupt)
    for index, base in enumerate(PM_BASES):
        a.mov_dx(base)                    # PM1_STS
        a.emit(0xED)                      # in ax, dx
        a.emit(0x3D, a.imm16(0xFFFF))     # cmp ax, 0xffff (no device: the bus floats high)
        a.jump(0x74, "next%d" % index)    # je nextN
        a.emit(0xA9, a.imm16(PWRBTN))     # test ax, PWRBTN
        a.jump(0x75, "found%d" % index)   # jnz foundN
        a.here("next%d" % index)
    a.jump(0xEB, "wait")
    for index, base in enumerate(PM_BASES):
        a.here("found%d" % index)
        a.mov_bx(base + 4)                # PM1_CNT of the block that latched the button
        a.jump(0xEB, "off")
    a.here("off")
    a.mov_si_label("button")
    a.call("print")
    a.emit(0x89, 0xDA)                    # mov dx, bx
    a.emit(0xED)                          # in ax, dx
    a.emit(0x25, a.imm16(0xFFFF ^ SLP_TYP_MASK))  # and ax, ~SLP_TYP (0 = soft off)
    a.emit(0x0D, a.imm16(SLP_EN))         # or ax, SLP_EN
    a.emit(0xEF)                          # out dx, ax
    a.here("halt")
    a.emit(0xFA, 0xF4)                    # cli; hlt
    a.jump(0xEB, "halt")
    a.here("print")                       # print the NUL-terminated string at ds:si to COM1
    a.mov_dx(COM1)
    a.here("print_next")
    a.emit(0xAC)                          # lodsb
    a.emit(0x84, 0xC0)                    # test al, al
    a.jump(0x74, "print_done")            # jz print_done
    a.emit(0xEE)                          # out dx, al
    a.jump(0xEB, "print_next")
    a.here("print_done")
    a.emit(0xC3)                          # ret
    a.here("ready")
    a.emit(READY + b"\0")
    a.here("button")
    a.emit(BUTTON + b"\0")
    code = a.resolve()
    if len(code) > 510:
        raise ValueError("boot sector code is %d bytes, more than 510" % len(code))
    return code + bytes(510 - len(code)) + b"\x55\xAA"


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: acpi_guest.py OUTPUT\n")
        return 2
    with open(argv[1], "wb") as fh:
        fh.write(boot_sector())
        # A disk of whole megabytes: SeaBIOS does not boot a disk of a single sector.
        fh.truncate(DISK_BYTES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
