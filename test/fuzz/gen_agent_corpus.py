#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_agent_stream and fuzz_agent_control (scrcpy-server 3.3.3
wire format, big-endian). Run from the repository root; the files are committed."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), 'wb') as f:
        f.write(data)


def frame(pts, data, config=False, key=False):
    v = (1 << 63) if config else pts | ((1 << 62) if key else 0)
    return struct.pack('>QI', v, len(data)) + data


H264 = 0x68323634
device = b'redroid'.ljust(64, b'\0')
codec = struct.pack('>III', H264, 720, 1280)
packets = (frame(0, b'\0\0\0\x01\x67\x42\xc0\x1f\0\0\0\x01\x68\xce\x3c\x80', config=True) +
           frame(33333, b'\0\0\0\x01\x65\x88\x84\x00', key=True) + frame(66666, b'\0\0\0\x01\x41\x9a') +
           frame(99999, b''))
# First byte: bits 0-1 the prelude flags (1 dummy byte, 2 device meta), bits 2-7 chunk size - 1.
write('agent_stream', 'full_bytewise', bytes([3]) + b'\0' + device + codec + packets)
write('agent_stream', 'full_chunk8', bytes([3 | 7 << 2]) + b'\0' + device + codec + packets)
write('agent_stream', 'no_prelude', bytes([0 | 63 << 2]) + codec + packets)
write('agent_stream', 'disabled', bytes([0]) + struct.pack('>I', 0))
write('agent_stream', 'config_error', bytes([1]) + b'\0' + struct.pack('>I', 1))
write('agent_stream', 'packet_too_big', bytes([0]) + codec + struct.pack('>QI', 5, 1 << 21))
write('agent_stream', 'config_and_key', bytes([0]) + codec + struct.pack('>QI', 3 << 62, 0))

touch = struct.pack('>BBqiiHHHii', 2, 0, 3, 100, 200, 720, 1280, 0xffff, 0, 0)
key = struct.pack('>BBiii', 0, 0, 29, 0, 0x41)
text = '日本語 text'.encode()
inject_text = struct.pack('>BI', 1, len(text)) + text
scroll = struct.pack('>BiiHHhhi', 3, 10, 20, 720, 1280, 0, -2048, 0)
clip = b'clip'
set_clip = struct.pack('>BQBI', 9, 7, 1, len(clip)) + clip
uhid_create = struct.pack('>BHHHB', 12, 1, 0x18d1, 0x4ee1, 3) + b'kbd' + struct.pack('>H', 2) + b'\x05\x01'
uhid_input = struct.pack('>BHH', 13, 1, 3) + b'\0\0\x04'
start_app = struct.pack('>BB', 16, 8) + b'org.test'
simple = bytes([4, 0, 5, 6, 7, 8, 1, 10, 1, 11, 14, 0, 1, 15, 17])
write('agent_control', 'ctrl_touch', b'\0' + touch)
write('agent_control', 'ctrl_mixed', b'\0' + touch + key + inject_text + scroll + set_clip + simple)
write('agent_control', 'ctrl_uhid_app', b'\0' + uhid_create + uhid_input + start_app)
write('agent_control', 'ctrl_text_too_long', b'\0' + struct.pack('>BI', 1, 301) + b'x' * 301)
write('agent_control', 'ctrl_unknown_type', b'\0' + bytes([18]))

dev = (struct.pack('>BI', 0, 3) + b'abc' + struct.pack('>BQ', 1, 42) +
       struct.pack('>BHH', 2, 1, 2) + b'\xaa\xbb')
write('agent_control', 'dev_mixed', b'\x01' + dev)
write('agent_control', 'dev_unknown_type', b'\x01' + bytes([3]))
