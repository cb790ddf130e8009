#include <catch2/catch.hpp>

#include "stages/image/decode.h"
#include "tests/image/helpers.h"

using namespace pipe::image;

namespace {

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& m) {
  std::vector<uint8_t> out;
  REQUIRE(cv::imencode(ext, m, out));
  return out;
}

Decoded decode(const std::vector<uint8_t>& b, DecodeMode mode = DecodeMode::kUnchanged, int max_side = 0) {
  return decode_image(b.data(), b.size(), mode, max_side);
}

}  // namespace

TEST_CASE("colour comes out RGB, gray stays one channel", "[decode]") {
  cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 200));  // OpenCV's BGR: red-ish
  Decoded d = decode(encode(".png", bgr));
  REQUIRE(d.image.channels() == 3);
  cv::Vec3b px = d.image.at<cv::Vec3b>(1, 1);
  CHECK(px == cv::Vec3b(200, 20, 10));
  CHECK(decode(encode(".png", bgr), DecodeMode::kGray).image.channels() == 1);
  cv::Mat gray(5, 5, CV_8UC1, cv::Scalar(77));
  Decoded g = decode(encode(".png", gray));
  CHECK(g.image.channels() == 1);
  CHECK(g.image.at<uint8_t>(2, 2) == 77);
  CHECK(decode(encode(".png", gray), DecodeMode::kColor).image.channels() == 3);
}

TEST_CASE("16-bit images become 8-bit", "[decode]") {
  cv::Mat deep(3, 3, CV_16UC1, cv::Scalar(65535));
  deep.at<uint16_t>(0, 0) = 257 * 100;
  Decoded d = decode(encode(".png", deep));
  REQUIRE(d.image.type() == CV_8UC1);
  CHECK(d.image.at<uint8_t>(0, 0) == 100);
  CHECK(d.image.at<uint8_t>(2, 2) == 255);
}

TEST_CASE("corrupt, truncated and non-image bytes are reasons, not crashes", "[decode]") {
  CHECK(decode({}).error == "empty file");
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  CHECK(decode(text).error.find("not an image") != std::string::npos);
  cv::Mat m = pipe::image::testing::glyph(40, 3, 0, 255);
  std::vector<uint8_t> jpg = encode(".jpg", m);
  jpg.resize(jpg.size() / 2);
  CHECK(decode(jpg).error.find("truncated JPEG") != std::string::npos);
  std::vector<uint8_t> png = encode(".png", m);
  png.resize(png.size() / 2);
  CHECK(decode(png).image.empty());
  CHECK_FALSE(decode(png).error.empty());
  std::vector<uint8_t> garbled = encode(".png", m);
  for (size_t i = 40; i < garbled.size() - 20; ++i) garbled[i] = static_cast<uint8_t>(i * 31);
  CHECK(decode(garbled).image.empty());
}

TEST_CASE("max_side shrinks by the smallest whole factor", "[decode]") {
  cv::Mat big(300, 225, CV_8UC1, cv::Scalar(90));
  Decoded d = decode(encode(".png", big), DecodeMode::kGray, 128);
  CHECK(d.image.rows == 100);  // factor 3
  CHECK(d.image.cols == 75);
  CHECK(d.image.at<uint8_t>(50, 30) == 90);
  Decoded jpg = decode(encode(".jpg", big), DecodeMode::kGray, 75);  // factor 4: DCT scaling
  CHECK(jpg.image.rows == 75);
  CHECK(jpg.image.cols == 57);
  CHECK(decode(encode(".png", big), DecodeMode::kGray, 400).image.rows == 300);
  cv::Mat odd(7, 5, CV_8UC1, cv::Scalar(1));
  CHECK(shrink_to_fit(odd, 3).rows == 2);  // factor ceil(7 / 3) = 3: 7 / 3 rows, rounded
  CHECK(shrink_to_fit(odd, 3).cols == 2);
  CHECK(shrink_to_fit(odd, 0).rows == 7);
}

TEST_CASE("image size from the header", "[decode]") {
  cv::Mat m(33, 47, CV_8UC3, cv::Scalar(1, 2, 3));
  uint64_t w = 0, h = 0;
  std::vector<uint8_t> png = encode(".png", m), jpg = encode(".jpg", m);
  CHECK(peek_image_size(png.data(), png.size(), &w, &h));
  CHECK((w == 47 && h == 33));
  CHECK(peek_image_size(jpg.data(), jpg.size(), &w, &h));
  CHECK((w == 47 && h == 33));
  std::vector<uint8_t> tiff = encode(".tiff", m);
  CHECK(peek_image_size(tiff.data(), tiff.size(), &w, &h));
  CHECK((w == 47 && h == 33));
  tiff.resize(8);  // no IFD: the size is unknown, OpenCV's limit stays the backstop
  CHECK_FALSE(peek_image_size(tiff.data(), tiff.size(), &w, &h));
  std::vector<uint8_t> pgm = {'P', '5', ' ', '#', 'x', '\n', '4', '0', '\t', '3', ' ', '2', '5', '5', '\n'};
  CHECK(peek_image_size(pgm.data(), pgm.size(), &w, &h));
  CHECK((w == 40 && h == 3));
}
