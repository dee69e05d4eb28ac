/* Throwaway: encode/decode with spandsp's G.722 to make reference vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <spandsp.h>
static long slurp(const char *p, uint8_t **buf) {
    FILE *f = fopen(p, "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    *buf = malloc(n); fread(*buf, 1, n, f); fclose(f); return n;
}
static void dump(const char *p, const void *b, long n) { FILE *f = fopen(p, "wb"); fwrite(b, 1, n, f); fclose(f); }
int main(void) {
    uint8_t *in; long nbytes = slurp("input_16k.raw", &in);
    int nsamp = nbytes / 2;
    int16_t *pcm = (int16_t *) in;
    uint8_t *bits = malloc(nsamp); int16_t *dec = malloc(nsamp * 2 * 2);
    g722_encode_state_t *e = g722_encode_init(NULL, 64000, 0);
    int nb = 0;
    for (int i = 0; i < nsamp; i += 320) { int l = nsamp - i < 320 ? nsamp - i : 320; nb += g722_encode(e, bits + nb, pcm + i, l); }
    dump("input_16k.g722", bits, nb);
    g722_decode_state_t *d = g722_decode_init(NULL, 64000, 0);
    int nd = 0;
    for (int i = 0; i < nb; i += 160) { int l = nb - i < 160 ? nb - i : 160; nd += g722_decode(d, dec + nd, bits + i, l); }
    dump("input_16k.decoded.raw", dec, nd * 2);
    uint8_t *rnd; long nr = slurp("random.g722", &rnd);
    g722_decode_state_t *d2 = g722_decode_init(NULL, 64000, 0);
    int16_t *dec2 = malloc(nr * 4);
    int n2 = g722_decode(d2, dec2, rnd, nr);
    dump("random.decoded.raw", dec2, n2 * 2);
    printf("%d samples -> %d bytes -> %d samples; random %ld -> %d\n", nsamp, nb, nd, nr, n2);
    return 0;
}
