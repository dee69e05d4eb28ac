# Deterministic 16 kHz test input for the G.722 vectors (s16le raw).
import math, struct
R = 16000
out = []
def add(samples): out.extend(max(-32768, min(32767, int(round(s)))) for s in samples)
amp12 = 32767 * 10 ** (-12 / 20)
add(amp12 * math.sin(2 * math.pi * 1000 * n / R) for n in range(R // 2))          # 1 kHz, -12 dBFS
add(8000 * (math.sin(2*math.pi*300*n/R) + math.sin(2*math.pi*3400*n/R) + math.sin(2*math.pi*6000*n/R)) for n in range(R // 2))
T = 1.0; f0, f1 = 50.0, 7900.0; k = (f1 - f0) / T
add(30000 * math.sin(2 * math.pi * (f0 * n / R + 0.5 * k * (n / R) ** 2)) for n in range(R))  # linear chirp
x = 12345
noise = []
for n in range(R // 2):
    x = (1103515245 * x + 12345) % (1 << 31)
    noise.append(((x >> 8) % 40001) - 20000)
add(noise)                                                                                 # white noise
add(32767 if (n // 20) % 2 == 0 else -32768 for n in range(R // 10))                       # full-scale square
add(0 for n in range(R // 10))                                                              # silence
open("input_16k.raw", "wb").write(struct.pack("<%dh" % len(out), *out))
x = 777
rnd = bytearray()
for n in range(4000):
    x = (1103515245 * x + 12345) % (1 << 31)
    rnd.append((x >> 16) & 0xFF)
open("random.g722", "wb").write(bytes(rnd))
print(len(out))
