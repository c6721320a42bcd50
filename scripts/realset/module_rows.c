/* module_rows: renders a tracker module with libopenmpt and says when each row was played.

       module_rows MODULE OUT.wav CAP_S

   The module is played once (repeat count 0, no looping) at 44100 Hz stereo into OUT.wav (32-bit
   float WAV, header written here), for at most CAP_S seconds. The render is read in blocks of BLOCK
   frames; after each block the player's position (order, pattern, row) is asked, and a change means
   that the row began inside that block: its time is the block's middle, so row times are exact to
   ±BLOCK/2 frames (±0.18 ms). Prints to stdout, first a few header lines

       # type it                       the format (libopenmpt's metadata "type")
       # tracker Impulse Tracker 2.14  the tracker that saved it
       # title ...
       # channels 16
       # highlight 4 16                only for .it/.mptm (IMPM header bytes 0x1E/0x1F, "PHiligt":
                                       rows per beat, rows per measure); absent elsewhere
       # duration_s 183.2              the song's length as libopenmpt estimates it (uncapped)

   then one line per row played

       time_s order pattern row speed tempo notes

   (notes: how many channels start a note on that row), and last "# end_s T": where the render
   stopped (the song's end or CAP_S). Build: cc -O2 module_rows.c $(pkg-config --cflags --libs libopenmpt)
*/
#include <libopenmpt/libopenmpt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define BLOCK 16

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = v & 255; p[1] = (v >> 8) & 255; p[2] = (v >> 16) & 255; p[3] = (v >> 24) & 255;
}

static void put_u16(unsigned char *p, uint16_t v) {
    p[0] = v & 255; p[1] = (v >> 8) & 255;
}

/* A 32-bit float stereo WAV header for `frames` frames. */
static void wav_header(unsigned char h[44], uint32_t frames) {
    uint32_t bytes = frames * 2 * 4;
    memcpy(h, "RIFF", 4); put_u32(h + 4, 36 + bytes); memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16); put_u16(h + 20, 3 /* IEEE float */); put_u16(h + 22, 2);
    put_u32(h + 24, RATE); put_u32(h + 28, RATE * 2 * 4); put_u16(h + 32, 2 * 4); put_u16(h + 34, 32);
    memcpy(h + 36, "data", 4); put_u32(h + 40, bytes);
}

static void print_meta(openmpt_module *mod, const char *key) {
    const char *value = openmpt_module_get_metadata(mod, key);
    if (value) {
        printf("# %s ", key);
        for (const char *c = value; *c && *c != '\n' && *c != '\r'; c++) putchar((unsigned char)*c < 32 ? ' ' : *c);
        putchar('\n');
        openmpt_free_string(value);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: module_rows MODULE OUT.wav CAP_S\n");
        return 2;
    }
    double cap = atof(argv[3]);
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    unsigned char *data = malloc(size > 0 ? (size_t)size : 1);
    if (!data || fread(data, 1, (size_t)size, in) != (size_t)size) { fprintf(stderr, "%s: read error\n", argv[1]); return 1; }
    fclose(in);

    int error = 0;
    const char *message = NULL;
    openmpt_module *mod = openmpt_module_create_from_memory2(data, (size_t)size, NULL, NULL, NULL, NULL, &error, &message, NULL);
    if (!mod) {
        fprintf(stderr, "%s: libopenmpt cannot load it (%s)\n", argv[1], message ? message : "?");
        return 1;
    }
    openmpt_module_set_repeat_count(mod, 0);
    openmpt_module_ctl_set_text(mod, "play.at_end", "stop");

    print_meta(mod, "type");
    print_meta(mod, "tracker");
    print_meta(mod, "title");
    int channels = openmpt_module_get_num_channels(mod);
    printf("# channels %d\n", channels);
    if (size >= 0x20 && memcmp(data, "IMPM", 4) == 0)  /* IT and MPTM: PHiligt */
        printf("# highlight %d %d\n", data[0x1E], data[0x1F]);
    printf("# duration_s %.3f\n", openmpt_module_get_duration_seconds(mod));

    FILE *out = fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 1; }
    unsigned char header[44];
    wav_header(header, 0);
    fwrite(header, 1, 44, out);

    float buffer[BLOCK * 2];
    long frames = 0, limit = (long)(cap * RATE);
    int last_order = -1, last_pattern = -1, last_row = -1;
    while (frames < limit) {
        size_t want = limit - frames < BLOCK ? (size_t)(limit - frames) : BLOCK;
        size_t got = openmpt_module_read_interleaved_float_stereo(mod, RATE, want, buffer);
        if (got == 0) break;
        fwrite(buffer, sizeof(float), got * 2, out);
        int order = openmpt_module_get_current_order(mod);
        int pattern = openmpt_module_get_current_pattern(mod);
        int row = openmpt_module_get_current_row(mod);
        if (order != last_order || pattern != last_pattern || row != last_row) {
            /* The first row starts at frame 0; later ones somewhere inside this block. */
            double t = frames == 0 ? 0.0 : (frames + got / 2.0) / RATE;
            int notes = 0;
            for (int c = 0; c < channels; c++) {
                int note = openmpt_module_get_pattern_row_channel_command(mod, pattern, row, c, OPENMPT_MODULE_COMMAND_NOTE);
                if (note >= 1 && note <= 120) notes++;
            }
            printf("%.5f %d %d %d %d %d %d\n", t, order, pattern, row, openmpt_module_get_current_speed(mod),
                   openmpt_module_get_current_tempo(mod), notes);
            last_order = order; last_pattern = pattern; last_row = row;
        }
        frames += (long)got;
    }
    printf("# end_s %.5f\n", (double)frames / RATE);
    wav_header(header, (uint32_t)frames);
    fseek(out, 0, SEEK_SET);
    fwrite(header, 1, 44, out);
    fclose(out);
    openmpt_module_destroy(mod);
    free(data);
    return 0;
}
