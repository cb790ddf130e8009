// Hostile or mistaken YAML: deep nesting, huge values, aliases that expand
// exponentially ("billion laughs"), huge files and grids.  Each is a clear
// error at its FILE:LINE:COL before memory or time runs away.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/node.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

std::string error_of(const std::string& yaml, std::string* hint = nullptr) {
  try {
    parse_yaml(yaml, "f.yaml");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    if (hint) *hint = e.hint_text();
    return e.line();
  }
  return "";
}

}  // namespace

TEST_CASE("YAML nested deeper than 64 levels is an error at the level that is too deep", "[config][limits]") {
  std::string hint;
  CHECK(error_of(std::string(64, '[') + std::string(64, ']')) == "");
  CHECK(error_of(std::string(65, '[') + std::string(65, ']'), &hint) ==
        "f.yaml:1:65: the YAML nests deeper than 64 levels");
  CHECK(hint == "pipelines and experiments need a few levels; is this the right file?");
  // Far deeper than the stack would allow for the recursive conversion.
  CHECK(error_of(std::string(100000, '[') + std::string(100000, ']')) != "");
}

TEST_CASE("aliases that expand exponentially stop at the value limit", "[config][limits]") {
  // Nine levels of ten aliases each: a billion values if expanded.
  std::string yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  // yaml-cpp shares an anchored value between its aliases, so the position
  // is where the value that is copied once too often was written.
  std::string hint;
  std::string error = error_of(yaml, &hint);
  CHECK(error ==
        "f.yaml:1:50: the YAML expands to more than 200000 values (an alias copies its anchor's value where it is "
        "used)");
  CHECK(hint == "use fewer aliases of large values, or write the values out");
  // A few aliases, as people use them, are fine.
  CHECK(error_of("base: &b { x: 1, y: [1, 2] }\none: *b\ntwo: *b\n") == "");
}

TEST_CASE("a value longer than 1 MB is an error at its position", "[config][limits]") {
  std::string hint;
  CHECK(error_of("a: ok\nb: " + std::string((1 << 20) + 1, 'x') + "\n", &hint) ==
        "f.yaml:2:4: a value of 1048577 bytes is longer than the 1048576 allowed");
  CHECK(hint == "put large data in a file and give its path");
  CHECK(error_of("b: " + std::string(1 << 20, 'x') + "\n") == "");
}

TEST_CASE("a YAML file larger than 16 MB is refused before it is read", "[config][limits]") {
  TempDir dir;
  {
    std::ofstream out(dir / "big.yaml");
    std::string line = "# " + std::string(1000, '-') + "\n";
    for (int i = 0; i < 17000; ++i) out << line;
  }
  try {
    load_yaml_file(dir / "big.yaml");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.line() == dir / "big.yaml: the file is 17051000 bytes, more than the 16777216 a YAML file may have");
    CHECK(e.hint_text() == "a pipeline or experiment file is a few kilobytes; is this the right file?");
  }
}

TEST_CASE("an experiment grid of more than 10000 points is an error at the key that passes it", "[config][limits]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  write_text(dir / "p.yaml", "stages:\n  - { id: a, kind: source, path: data.txt }\n");
  std::string ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
  write_text(dir / "e.yaml", "pipeline: p.yaml\ngrid:\n  a.x: " + ten + "\n  a.y: " + ten + "\n  a.z: " + ten +
                                 "\n  a.w: " + ten + "\n  a.v: " + ten + "\n");
  try {
    expand_runs(dir / "e.yaml", ExpandOptions{});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.line() == dir / "e.yaml:7:8: the grid has more than 10000 points");
    CHECK(e.hint_text() == "split the experiment, or grid fewer keys at once");
  }
  write_text(dir / "s.yaml", "pipeline: p.yaml\ngrid:\n  a.x: " + ten + "\n  a.y: " + ten + "\n  a.z: " + ten +
                                 "\nseeds: " + "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n");
  try {
    expand_runs(dir / "s.yaml", ExpandOptions{});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.line() == dir / "s.yaml:1:1: the experiment describes 11000 runs, more than 10000");
  }
}
