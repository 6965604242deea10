// C shim for the FFmpeg libraries: includes their headers and re-exports as functions the macros
// Swift cannot import (AVERROR, AVERROR_EOF, AV_NOPTS_VALUE, av_err2str, compound-literal layouts).
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <libavutil/avutil.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

static inline int cffmpeg_averror(int e) { return AVERROR(e); }
static inline int cffmpeg_eagain(void) { return AVERROR(EAGAIN); }
static inline int cffmpeg_enomem(void) { return AVERROR(ENOMEM); }
static inline int cffmpeg_einval(void) { return AVERROR(EINVAL); }
static inline int cffmpeg_eof(void) { return AVERROR_EOF; }
static inline int64_t cffmpeg_nopts(void) { return AV_NOPTS_VALUE; }
static inline int cffmpeg_time_base(void) { return AV_TIME_BASE; }

/// av_strerror into a caller buffer; always NUL-terminated.
static inline void cffmpeg_strerror(int code, char *buffer, size_t size) {
    if (av_strerror(code, buffer, size) < 0) snprintf(buffer, size, "error %d", code);
}

/// Fills `layout` with the native default layout for `channels` (AV_CHANNEL_LAYOUT_* are compound literals).
static inline void cffmpeg_default_layout(AVChannelLayout *layout, int channels) {
    av_channel_layout_default(layout, channels);
}

/// Rotation in degrees (counter-clockwise, as av_display_rotation_get) from a stream's display matrix,
/// or NAN when the stream has none.
static inline double cffmpeg_stream_rotation(const AVStream *st) {
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t)) return NAN;
    return av_display_rotation_get((const int32_t *)matrix);
}

/// libavcodec/libavformat version numbers, for the `--version` banner and the output hash.
static inline unsigned cffmpeg_avcodec_version(void) { return avcodec_version(); }
static inline unsigned cffmpeg_avformat_version(void) { return avformat_version(); }

#endif
