// `pipe samples FILE` on a dataset file that was damaged after it was
// written: a header shape with no channels is an error naming the file, not
// a contact sheet drawn from garbage or an OpenCV abort.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "stages/image/dataset.h"
#include "tests/stages/pipe_cli.h"
#include "tests/temp_folder.h"

TEST_CASE("pipe samples refuses a dataset file whose sample has no channels", "[data][cli]") {
  pipe::testing::TempFolder dir;
  pipe::image::Dataset d;
  d.classes = {"a"};
  pipe::image::Sample s;
  s.label = 0;
  s.height = s.width = 2;
  s.channels = 1;
  s.pixels = {1, 2, 3, 4};
  s.path = "a/1.png";
  d.samples = {s};
  std::string file = dir.at("data.bin");
  pipe::image::write_dataset(file, d);
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The record follows the 64-byte header and the class name "a" (length, text).
  int32_t channels = 0;
  std::memcpy(&bytes[64 + 4 + 1 + 12], &channels, 4);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;

  pipe::testing::CliResult r = pipe::testing::run_pipe(dir.path(), "samples data.bin --out sheet.png");
  CHECK(r.code != 0);
  CHECK(r.err ==
        "pipe: error: data.bin: dataset sample 0 has shape 2x2x0\n"
        "  height and width are at least 1, channels 1 to 4; the file is damaged: re-run the stage that wrote it\n");
  CHECK_FALSE(std::filesystem::exists(dir.at("sheet.png")));
}
