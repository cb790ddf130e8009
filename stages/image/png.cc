#include "stages/image/png.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <libdeflate.h>
#include <opencv2/core.hpp>
#include <spng.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace pipe::image {

namespace {

uint32_t be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }

struct Span {
  const uint8_t* data;
  size_t size;
};

// Filter 2 (up): dst = src + prev, bytewise.
void unfilter_up(uint8_t* __restrict dst, const uint8_t* __restrict src, const uint8_t* __restrict prev, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  for (; i + 16 <= n; i += 16) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(prev + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_add_epi8(s, p));
  }
#endif
  for (; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
}

#ifdef __SSE2__
// The last whole pixel of a block (bytes 16 − bpp .. 15, or 12–14 for RGB's
// 15-byte block), repeated across the 16 lanes.
__m128i tiled_pixel(__m128i x, int bpp) {
  switch (bpp) {
    case 1: {  // byte 15
      __m128i b = _mm_unpackhi_epi8(x, x);
      return _mm_unpackhi_epi64(_mm_shufflehi_epi16(b, 0xFF), _mm_shufflehi_epi16(b, 0xFF));
    }
    case 2: {  // bytes 14–15
      __m128i w = _mm_shufflehi_epi16(x, 0xFF);
      return _mm_unpackhi_epi64(w, w);
    }
    case 3: {  // bytes 12–14
      __m128i t = _mm_and_si128(_mm_srli_si128(x, 12), _mm_cvtsi32_si128(0xFFFFFF));
      t = _mm_or_si128(t, _mm_slli_si128(t, 3));
      t = _mm_or_si128(t, _mm_slli_si128(t, 6));
      return _mm_or_si128(t, _mm_slli_si128(t, 12));
    }
    default:  // bytes 12–15
      return _mm_shuffle_epi32(x, 0xFF);
  }
}
#endif

// Filter 1 (sub): dst[i] = src[i] + dst[i - bpp], a running sum per channel.
void unfilter_sub(uint8_t* __restrict dst, const uint8_t* __restrict src, size_t n, int bpp) {
  size_t i = std::min(n, static_cast<size_t>(bpp));
  std::memcpy(dst, src, i);
#ifdef __SSE2__
  // Blocks of whole pixels (15 bytes for RGB, else 16): a prefix sum with
  // stride bpp inside the block in log steps, plus the previous pixel.  An
  // RGB block writes a 16th byte that the next block (or the tail) rewrites.
  if (i == static_cast<size_t>(bpp) && i + 16 <= n) {
    const size_t block = bpp == 3 ? 15 : 16;
    uint8_t first[16];
    for (int k = 0; k < 16; ++k) first[k] = dst[k % bpp];
    __m128i carry = _mm_loadu_si128(reinterpret_cast<const __m128i*>(first));
    for (; i + 16 <= n; i += block) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      for (int shift = bpp; shift < 16; shift *= 2) {
        switch (shift) {  // _mm_slli_si128 takes an immediate
          case 1: x = _mm_add_epi8(x, _mm_slli_si128(x, 1)); break;
          case 2: x = _mm_add_epi8(x, _mm_slli_si128(x, 2)); break;
          case 3: x = _mm_add_epi8(x, _mm_slli_si128(x, 3)); break;
          case 4: x = _mm_add_epi8(x, _mm_slli_si128(x, 4)); break;
          case 6: x = _mm_add_epi8(x, _mm_slli_si128(x, 6)); break;
          case 8: x = _mm_add_epi8(x, _mm_slli_si128(x, 8)); break;
          case 12: x = _mm_add_epi8(x, _mm_slli_si128(x, 12)); break;
        }
      }
      x = _mm_add_epi8(x, carry);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), x);
      carry = tiled_pixel(x, bpp);
    }
  }
#endif
  for (; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + dst[i - bpp]);
}

uint8_t paeth(int a, int b, int c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

}  // namespace

PngResult decode_png(const uint8_t* d, size_t n, cv::Mat* image, std::string* error) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (n < 8 + 25 || std::memcmp(d, kSignature, 8) != 0 || std::memcmp(d + 12, "IHDR", 4) != 0)
    return PngResult::kUnsupported;
  uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<Span> idat;
  bool ended = false;
  for (size_t at = 8; at + 12 <= n;) {
    uint32_t len = be32(d + at);
    if (len > n - at - 12) {
      *error = "truncated PNG";
      return PngResult::kCorrupt;
    }
    const uint8_t* type = d + at + 4;
    const uint8_t* body = d + at + 8;
    uint32_t crc = libdeflate_crc32(0, type, len + 4);
    if (crc != be32(body + len)) {
      *error = "corrupt PNG (" + std::string(reinterpret_cast<const char*>(type), 4) + " chunk fails its CRC check)";
      return PngResult::kCorrupt;
    }
    if (std::memcmp(type, "IHDR", 4) == 0) {
      if (len != 13) return PngResult::kUnsupported;
      width = be32(body);
      height = be32(body + 4);
      int depth = body[8], color = body[9], interlace = body[12];
      if (depth != 8 || interlace != 0 || body[10] != 0 || body[11] != 0) return PngResult::kUnsupported;
      channels = color == 0 ? 1 : color == 4 ? 2 : color == 2 ? 3 : color == 6 ? 4 : 0;
      if (channels == 0) return PngResult::kUnsupported;  // palette
      if (width == 0 || height == 0 || width > (1u << 24) || height > (1u << 24) ||
          static_cast<uint64_t>(width) * height * channels > (uint64_t(1) << 31))
        return PngResult::kUnsupported;
    } else if (std::memcmp(type, "tRNS", 4) == 0) {
      return PngResult::kUnsupported;  // transparency by colour key: OpenCV's business
    } else if (std::memcmp(type, "IDAT", 4) == 0) {
      if (len > 0) idat.push_back({body, len});
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      ended = true;
      break;
    }
    at += 12 + static_cast<size_t>(len);
  }
  if (!ended || channels == 0) {
    *error = "truncated PNG (no IEND chunk)";
    return PngResult::kCorrupt;
  }
  if (idat.empty() || idat[0].size < 2) return idat.empty() ? (*error = "PNG without image data", PngResult::kCorrupt)
                                                            : PngResult::kUnsupported;
  // The zlib header (deflate, no preset dictionary), then the raw deflate
  // stream across the IDAT chunks; the trailing Adler-32 is not checked
  // (the chunks' CRCs cover the same bytes).
  uint8_t cmf = idat[0].data[0], flg = idat[0].data[1];
  if ((cmf & 0x0F) != 8 || (cmf * 256 + flg) % 31 != 0 || (flg & 0x20)) {
    *error = "corrupt PNG (bad zlib header)";
    return PngResult::kCorrupt;
  }
  const size_t stride = static_cast<size_t>(width) * channels;
  std::vector<uint8_t> raw(static_cast<size_t>(height) * (stride + 1));
  // libdeflate inflates a whole buffer about twice as fast as zlib's
  // streaming inflate, so split IDAT data is joined first.
  const uint8_t* stream = idat[0].data + 2;
  size_t stream_size = idat[0].size - 2;
  thread_local std::vector<uint8_t> joined;
  if (idat.size() > 1) {
    joined.clear();
    joined.insert(joined.end(), stream, stream + stream_size);
    for (size_t k = 1; k < idat.size(); ++k) joined.insert(joined.end(), idat[k].data, idat[k].data + idat[k].size);
    stream = joined.data();
    stream_size = joined.size();
  }
  thread_local std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (!inflater) return PngResult::kUnsupported;
  size_t produced = 0;
  switch (libdeflate_deflate_decompress(inflater.get(), stream, stream_size, raw.data(), raw.size(), &produced)) {
    case LIBDEFLATE_SUCCESS:
      break;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return PngResult::kUnsupported;  // more data than pixels: OpenCV decides
    default:
      *error = "corrupt PNG (bad compressed data)";
      return PngResult::kCorrupt;
  }
  if (produced != raw.size()) {
    *error = "corrupt PNG (image data ends early)";
    return PngResult::kCorrupt;
  }
  // Unfilter row by row into the image.
  cv::Mat out(static_cast<int>(height), static_cast<int>(width), CV_8UC(channels));
  const int bpp = channels;
  const uint8_t* prev = nullptr;
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t* src = raw.data() + y * (stride + 1);
    uint8_t filter = src[0];
    ++src;
    uint8_t* dst = out.ptr<uint8_t>(static_cast<int>(y));
    switch (filter) {
      case 0:
        std::memcpy(dst, src, stride);
        break;
      case 1:
        unfilter_sub(dst, src, stride, bpp);
        break;
      case 2:
        if (prev) unfilter_up(dst, src, prev, stride);
        else std::memcpy(dst, src, stride);
        break;
      case 3:
        for (size_t i = 0; i < stride; ++i) {
          int left = i >= size_t(bpp) ? dst[i - bpp] : 0, up = prev ? prev[i] : 0;
          dst[i] = static_cast<uint8_t>(src[i] + ((left + up) >> 1));
        }
        break;
      case 4:
        for (size_t i = 0; i < stride; ++i) {
          int left = i >= size_t(bpp) ? dst[i - bpp] : 0, up = prev ? prev[i] : 0;
          int upleft = prev && i >= size_t(bpp) ? prev[i - bpp] : 0;
          dst[i] = static_cast<uint8_t>(src[i] + paeth(left, up, upleft));
        }
        break;
      default:
        *error = "corrupt PNG (unknown row filter " + std::to_string(filter) + ")";
        return PngResult::kCorrupt;
    }
    prev = dst;
  }
  *image = out;
  return PngResult::kDecoded;
}

PngResult decode_png_libspng(const uint8_t* d, size_t n, cv::Mat* image, std::string* error) {
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), spng_ctx_free);
  if (!ctx) {
    *error = "cannot decode PNG: out of memory";
    return PngResult::kCorrupt;
  }
  auto fail = [&](int code) {
    *error = std::string("corrupt PNG (") + spng_strerror(code) + ")";
    return PngResult::kCorrupt;
  };
  spng_ihdr ihdr;
  int r = spng_set_png_buffer(ctx.get(), d, n);
  if (r == 0) r = spng_set_chunk_limits(ctx.get(), 1u << 26, 1u << 26);  // text chunks cannot take the memory
  if (r == 0) r = spng_get_ihdr(ctx.get(), &ihdr);
  if (r != 0) return fail(r);
  spng_trns trns;
  bool alpha = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA || ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA ||
               spng_get_trns(ctx.get(), &trns) == 0;
  bool gray = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
  bool wide = ihdr.bit_depth == 16;
  int format = wide ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8;
  cv::Mat rgba(static_cast<int>(ihdr.height), static_cast<int>(ihdr.width), wide ? CV_16UC4 : CV_8UC4);
  r = spng_decode_image(ctx.get(), rgba.data, rgba.total() * rgba.elemSize(), format, SPNG_DECODE_TRNS);
  if (r != 0) return fail(r);
  if (wide) rgba.convertTo(rgba, CV_8U, 1.0 / 257.0);
  // Back to the stored channels: gray keeps R, alpha only when there is some.
  std::vector<int> from = gray ? std::vector<int>{0} : std::vector<int>{0, 1, 2};
  if (alpha) from.push_back(3);
  cv::Mat out(rgba.rows, rgba.cols, CV_8UC(static_cast<int>(from.size())));
  std::vector<int> pairs;
  for (size_t k = 0; k < from.size(); ++k) pairs.insert(pairs.end(), {from[k], static_cast<int>(k)});
  cv::mixChannels(&rgba, 1, &out, 1, pairs.data(), from.size());
  *image = out;
  return PngResult::kDecoded;
}

}  // namespace pipe::image
