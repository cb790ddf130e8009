#include "stages/image/jpeg.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>

#include "stages/image/decode.h"

namespace pipe::image {

namespace {

struct Messages {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char damage[JMSG_LENGTH_MAX];  // the first warning that means damaged data, or ""
};

[[noreturn]] void on_error(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<Messages*>(cinfo->err)->jump, 1); }

void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace output
  auto* m = reinterpret_cast<Messages*>(cinfo->err);
  ++m->manager.num_warnings;
  switch (m->manager.msg_code) {
    case JWRN_HIT_MARKER:  // "Corrupt JPEG data: premature end of data segment"
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_TOO_MUCH_DATA:
      if (!m->damage[0]) m->manager.format_message(cinfo, m->damage);
      break;
    default:  // harmless: an unknown JFIF revision, extra bytes between segments, ...
      break;
  }
}

void on_output(j_common_ptr) {}  // nothing reaches stderr

std::string sentence(const char* text) {
  std::string s = text;
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z')) s[0] = s[0] - 'A' + 'a';
  return s;
}

uint32_t read16(const uint8_t* p, bool little) { return little ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1]; }
uint32_t read32(const uint8_t* p, bool little) {
  return little ? read16(p, true) | (read16(p + 2, true) << 16) : (read16(p, false) << 16) | read16(p + 2, false);
}

// The EXIF orientation (1..8) of an APP1 "Exif" segment; 1 when absent.
int exif_orientation(j_decompress_ptr cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    const uint8_t* tiff = m->data + 6;
    size_t n = m->data_length - 6;
    bool little = tiff[0] == 'I';
    uint32_t ifd = read32(tiff + 4, little);
    if (ifd > n - 2) return 1;
    uint32_t entries = read16(tiff + ifd, little);
    for (uint32_t k = 0; k < entries && ifd + 2 + 12 * (k + 1) <= n; ++k) {
      const uint8_t* e = tiff + ifd + 2 + 12 * k;
      if (read16(e, little) == 0x0112) {
        int v = static_cast<int>(read16(e + 8, little));
        return v >= 1 && v <= 8 ? v : 1;
      }
    }
  }
  return 1;
}

// As OpenCV's imdecode turns an image by its EXIF orientation.
void apply_orientation(int orientation, cv::Mat* img) {
  if (orientation >= 5) cv::transpose(*img, *img);
  switch (orientation) {
    case 2: case 6: cv::flip(*img, *img, 1); break;
    case 3: case 7: cv::flip(*img, *img, -1); break;
    case 4: case 8: cv::flip(*img, *img, 0); break;
    default: break;
  }
}

// The libjpeg part: no C++ object is created or destroyed between setjmp
// and the calls that may longjmp back, so the jump skips no destructor.
JpegResult run_libjpeg(const uint8_t* data, size_t size, int channels, int scale_denom, uint64_t max_pixels,
                       cv::Mat* image, std::string* error, int* orientation) {
  jpeg_decompress_struct cinfo;
  Messages messages;
  cinfo.err = jpeg_std_error(&messages.manager);
  messages.manager.error_exit = on_error;
  messages.manager.emit_message = on_message;
  messages.manager.output_message = on_output;
  messages.damage[0] = 0;
  char text[JMSG_LENGTH_MAX];
  if (setjmp(messages.jump)) {
    messages.manager.format_message(reinterpret_cast<j_common_ptr>(&cinfo), text);
    jpeg_destroy_decompress(&cinfo);
    *error = "cannot decode JPEG: " + sentence(text);
    return JpegResult::kFailed;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);
  *orientation = exif_orientation(&cinfo);  // the saved markers go with jpeg_finish_decompress
  uint64_t width = cinfo.image_width, height = cinfo.image_height;
  if (width * height > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    *error = too_large_reason(width, height, max_pixels);
    return JpegResult::kFailed;
  }
  if (cinfo.num_components != 1 && cinfo.num_components != 3) {
    jpeg_destroy_decompress(&cinfo);
    return JpegResult::kUnsupported;
  }
  const int out_channels = channels == 0 ? cinfo.num_components : channels;
  cinfo.out_color_space = out_channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned>(scale_denom);
  jpeg_start_decompress(&cinfo);
  image->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width), CV_8UC(out_channels));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image->ptr<uint8_t>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (messages.damage[0]) {
    *error = sentence(messages.damage);
    return JpegResult::kFailed;
  }
  return JpegResult::kDecoded;
}

}  // namespace

JpegResult decode_jpeg(const uint8_t* data, size_t size, int channels, int scale_denom, uint64_t max_pixels,
                       cv::Mat* image, std::string* error) {
  cv::Mat pixels;
  int orientation = 1;
  JpegResult r = run_libjpeg(data, size, channels, scale_denom, max_pixels, &pixels, error, &orientation);
  if (r != JpegResult::kDecoded) return r;
  if (channels != 0) apply_orientation(orientation, &pixels);  // imdecode turns all but IMREAD_UNCHANGED
  *image = pixels;
  return r;
}

}  // namespace pipe::image
