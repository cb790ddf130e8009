#include "engine/posix.h"  // first: see posix.h (zlib.h)
#include "stages/image/png.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace pipe::image {

namespace {

uint32_t be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }

struct Span {
  const uint8_t* data;
  size_t size;
};

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
    uint32_t crc = static_cast<uint32_t>(crc32(0L, type, len + 4));
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
  // stream across the IDAT chunks; the trailing Adler-32 is not checked.
  uint8_t cmf = idat[0].data[0], flg = idat[0].data[1];
  if ((cmf & 0x0F) != 8 || (cmf * 256 + flg) % 31 != 0 || (flg & 0x20)) {
    *error = "corrupt PNG (bad zlib header)";
    return PngResult::kCorrupt;
  }
  const size_t stride = static_cast<size_t>(width) * channels;
  std::vector<uint8_t> raw(static_cast<size_t>(height) * (stride + 1));
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return PngResult::kUnsupported;
  z.next_out = raw.data();
  z.avail_out = static_cast<uInt>(raw.size());
  int status = Z_OK;
  for (size_t k = 0; k < idat.size() && status == Z_OK; ++k) {
    size_t skip = k == 0 ? 2 : 0;
    z.next_in = const_cast<Bytef*>(idat[k].data + skip);
    z.avail_in = static_cast<uInt>(idat[k].size - skip);
    while (z.avail_in > 0 && status == Z_OK) {
      status = inflate(&z, Z_NO_FLUSH);
      if (status == Z_BUF_ERROR && z.avail_out == 0) status = Z_STREAM_END;  // more data than pixels: ignore the rest
    }
  }
  size_t produced = raw.size() - z.avail_out;
  inflateEnd(&z);
  if ((status != Z_STREAM_END && status != Z_OK) || produced != raw.size()) {
    *error = produced != raw.size() ? "corrupt PNG (image data ends early)" : "corrupt PNG (bad compressed data)";
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
        for (size_t i = 0; i < stride; ++i) dst[i] = static_cast<uint8_t>(src[i] + (i >= size_t(bpp) ? dst[i - bpp] : 0));
        break;
      case 2:
        if (prev)
          for (size_t i = 0; i < stride; ++i) dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
        else
          std::memcpy(dst, src, stride);
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

}  // namespace pipe::image
