#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "stages/image/ingest.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using namespace pipe::image::testing;
namespace fs = std::filesystem;

namespace {

// root/<class>/<n>.png with `per_class` images per class, each a distinct value.
void make_folder(const TempDir& tmp, const std::string& root, const std::vector<std::string>& classes, int per_class) {
  int v = 1;
  for (const auto& c : classes)
    for (int i = 0; i < per_class; ++i)
      write_png(tmp.at(root + "/" + c + "/" + std::to_string(i) + ".png"), cv::Mat(4, 5, CV_8UC1, cv::Scalar(v++)));
}

IngestResult run(const std::vector<SourceSpec>& sources, int threads = 2, DecodeMode mode = DecodeMode::kUnchanged) {
  IngestOptions o;
  o.sources = sources;
  o.decode = mode;
  return ingest(o, threads);
}

SourceSpec folder(const std::string& path) {
  SourceSpec s;
  s.path = path;
  s.layout = "folder";
  return s;
}

}  // namespace

TEST_CASE("a folder source: classes in natural order, files sorted", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "data", {"b", "a", "c10", "c9"}, 3);
  IngestResult r = run({folder(tmp.path() + "/data")});
  CHECK(r.data.classes == std::vector<std::string>{"a", "b", "c9", "c10"});
  REQUIRE(r.data.samples.size() == 12);
  CHECK(r.skipped.empty());
  CHECK(r.data.samples[0].path == "a/0.png");
  CHECK(r.data.samples[0].label == 0);
  CHECK(r.data.samples[3].path == "b/0.png");
  CHECK(r.data.samples[0].pixels[0] == 4);  // "a" was the second folder written: values 4..6
  CHECK(r.source_layouts == std::vector<std::string>{"folder"});
}

TEST_CASE("the output order does not depend on the thread count", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "data", {"x", "y", "z"}, 20);
  IngestResult one = run({folder(tmp.path() + "/data")}, 1);
  IngestResult two = run({folder(tmp.path() + "/data")}, 2);
  REQUIRE(one.data.samples.size() == two.data.samples.size());
  for (size_t i = 0; i < one.data.samples.size(); ++i) {
    CHECK(one.data.samples[i].path == two.data.samples[i].path);
    CHECK(one.data.samples[i].pixels == two.data.samples[i].pixels);
  }
}

TEST_CASE("corrupt, truncated and wrong-type files are skipped and listed", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "data", {"a", "b"}, 4);
  write_bytes(tmp.at("data/a/readme.txt"), "not an image");
  write_bytes(tmp.at("data/b/empty.png"), "");
  std::vector<uint8_t> jpg;
  cv::imencode(".jpg", glyph(64, 4, 0, 255), jpg);
  write_bytes(tmp.at("data/b/cut.jpg"), std::string(jpg.begin(), jpg.begin() + jpg.size() / 2));
  write_bytes(tmp.at("data/a/.hidden.png"), "ignored");
  IngestResult r = run({folder(tmp.path() + "/data")});
  CHECK(r.data.samples.size() == 8);
  CHECK(r.considered == 11);
  REQUIRE(r.skipped.size() == 3);
  std::vector<std::string> paths;
  for (const auto& s : r.skipped) paths.push_back(s.path);
  std::sort(paths.begin(), paths.end());
  CHECK(paths == std::vector<std::string>{"a/readme.txt", "b/cut.jpg", "b/empty.png"});
  for (const auto& s : r.skipped) {
    if (s.path == "b/cut.jpg") CHECK(s.reason.find("truncated") != std::string::npos);
    if (s.path == "b/empty.png") CHECK(s.reason == "empty file");
  }
}

TEST_CASE("a manifest source: paths relative to the manifest, extra columns", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "root/imgs", {"p", "q"}, 2);
  write_bytes(tmp.at("root/lists/m.csv"),
              "label,path,group,split\n"
              "one,../imgs/p/0.png,w1,train\n"
              "two,\"../imgs/q/1.png\",w2,test\n"
              "\n"
              "one,../imgs/p/missing.png,w1,train\n");
  SourceSpec s = folder(tmp.path() + "/root");
  s.layout = "auto";
  s.manifest = "lists/m.csv";
  IngestResult r = run({s});
  CHECK(r.source_layouts == std::vector<std::string>{"manifest"});
  REQUIRE(r.data.samples.size() == 2);
  CHECK(r.data.classes == std::vector<std::string>{"one", "two"});
  CHECK(r.data.samples[0].path == "imgs/p/0.png");
  CHECK(r.data.samples[1].group == "w2");
  CHECK(r.data.samples[1].split == "test");
  REQUIRE(r.skipped.size() == 1);
  CHECK(r.skipped[0].reason == "file not found");
}

TEST_CASE("paths that leave the dataset root are errors", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "root", {"a"}, 1);
  make_folder(tmp, "outside", {"secret"}, 1);
  SourceSpec s = folder(tmp.path() + "/root");
  s.layout = "manifest";

  write_bytes(tmp.at("root/manifest.csv"), "path,label\n../outside/secret/0.png,a\n");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("escapes the dataset root") && Catch::Contains("manifest.csv:2"));

  write_bytes(tmp.at("root/manifest.csv"), "path,label\n" + tmp.path() + "/outside/secret/0.png,a\n");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("absolute path"));

  fs::create_symlink(tmp.path() + "/outside/secret/0.png", tmp.path() + "/root/a/link.png");
  write_bytes(tmp.at("root/manifest.csv"), "path,label\na/link.png,a\n");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("escapes the dataset root"));
  CHECK_THROWS_WITH(run({folder(tmp.path() + "/root")}), Catch::Contains("a/link.png") && Catch::Contains("escapes"));
  fs::remove(tmp.path() + "/root/a/link.png");

  fs::create_directory_symlink(tmp.path() + "/outside/secret", tmp.path() + "/root/sneaky");
  CHECK_THROWS_WITH(run({folder(tmp.path() + "/root")}), Catch::Contains("sneaky") && Catch::Contains("escapes"));
  fs::remove(tmp.path() + "/root/sneaky");

  // A symlink that stays inside is fine.
  fs::create_symlink(tmp.path() + "/root/a/0.png", tmp.path() + "/root/a/same.png");
  CHECK(run({folder(tmp.path() + "/root")}).data.samples.size() == 2);
}

TEST_CASE("a malformed manifest is an error at its line", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "root", {"a"}, 1);
  SourceSpec s = folder(tmp.path() + "/root");
  s.layout = "manifest";
  write_bytes(tmp.at("root/manifest.csv"), "file,class\na/0.png,a\n");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("path and label"));
  write_bytes(tmp.at("root/manifest.csv"), "path,label\na/0.png,a,extra\n");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("manifest.csv:2") && Catch::Contains("expected 2 fields"));
}

TEST_CASE("labels from file names, label maps, groups, prefixes, subsets, limits", "[ingest]") {
  TempDir tmp;
  for (int cls : {1, 11, 37})
    for (int i = 1; i <= 4; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "eng/Sample/img%03d-%03d.png", cls, i);
      write_png(tmp.at(name), cv::Mat(3, 3, CV_8UC1, cv::Scalar(cls)));
    }
  write_png(tmp.at("eng/Sample/other.png"), cv::Mat(3, 3, CV_8UC1, cv::Scalar(0)));
  SourceSpec s = folder(tmp.path() + "/eng");
  s.label_from_filename = "^img(\\d+)-";
  s.label_map = chars74k_label_map();
  s.group_from_filename = "-(\\d+)\\.png$";
  s.prefix = "en_";
  IngestResult r = run({s});
  CHECK(r.data.classes == std::vector<std::string>{"en_0", "en_A", "en_a"});
  CHECK(r.data.samples.size() == 12);
  CHECK(r.data.samples[0].group == "001");
  REQUIRE(r.skipped.size() == 1);
  CHECK(r.skipped[0].reason.find("label_from_filename") != std::string::npos);

  s.classes = {"A", "a"};
  s.limit_per_class = 2;
  r = run({s});
  CHECK(r.data.classes == std::vector<std::string>{"en_A", "en_a"});
  CHECK(r.data.samples.size() == 4);
  CHECK(r.data.samples[1].path == "Sample/img011-003.png");  // evenly spaced: the 1st and 3rd of 4

  s.classes.clear();
  s.label_map = {{"1", "one"}};  // "001" finds "1"
  r = run({s});
  CHECK(r.data.classes == std::vector<std::string>{"en_one"});
  CHECK(r.skipped.size() == 1 + 8);  // other.png, and 8 files whose label is not in the map
}

TEST_CASE("with labels from file names, files may sit directly in the folder", "[ingest]") {
  TempDir tmp;
  for (int cls : {1, 2})
    write_png(tmp.at("flat/img00" + std::to_string(cls) + "-001.png"), cv::Mat(3, 3, CV_8UC1, cv::Scalar(cls)));
  SourceSpec s = folder(tmp.path() + "/flat");
  CHECK_THROWS_WITH(run({s}), Catch::Contains("no class folders"));
  s.label_from_filename = "^img(\\d+)-";
  s.label_map = chars74k_label_map();
  IngestResult r = run({s});
  CHECK(r.data.classes == std::vector<std::string>{"0", "1"});
  CHECK(r.data.samples[1].path == "img002-001.png");
}

TEST_CASE("a fixed label names every image of a source, loose files included", "[ingest]") {
  TempDir tmp;
  for (int i = 0; i < 3; ++i)
    write_png(tmp.at("english/img00" + std::to_string(i) + "-001.png"), cv::Mat(3, 3, CV_8UC1, cv::Scalar(i)));
  make_folder(tmp, "english/extra", {"ignored"}, 1);  // english/extra/ignored/0.png: two levels down, a folder
  write_png(tmp.at("english/sub/one.png"), cv::Mat(3, 3, CV_8UC1, cv::Scalar(9)));
  make_folder(tmp, "arabic", {"letters"}, 2);
  SourceSpec en = folder(tmp.path() + "/english"), ar = folder(tmp.path() + "/arabic");
  en.label = "english";
  ar.label = "arabic";
  IngestResult r = run({en, ar});
  CHECK(r.data.classes == std::vector<std::string>{"arabic", "english"});
  REQUIRE(r.data.samples.size() == 6);
  std::vector<std::string> paths;
  for (const auto& smp : r.data.samples) paths.push_back(smp.path);
  CHECK(paths == std::vector<std::string>{"img000-001.png", "img001-001.png", "img002-001.png", "sub/one.png",
                                          "letters/0.png", "letters/1.png"});
  CHECK(r.data.samples[3].label == 1);  // folder names are ignored
  CHECK(r.data.samples[4].label == 0);
  REQUIRE(r.skipped.size() == 1);
  CHECK(r.skipped[0].path == "extra/ignored");

  // limit_per_class counts the one class; a prefix still applies.
  en.limit_per_class = 2;
  en.prefix = "x_";
  r = run({en});
  CHECK(r.data.classes == std::vector<std::string>{"x_english"});
  CHECK(r.data.samples.size() == 2);

  // A manifest needs no label column then.
  SourceSpec m = folder(tmp.path() + "/arabic");
  m.layout = "manifest";
  m.label = "arabic";
  write_bytes(tmp.at("arabic/manifest.csv"), "path\nletters/1.png\n");
  r = run({m});
  REQUIRE(r.data.samples.size() == 1);
  CHECK(r.data.classes == std::vector<std::string>{"arabic"});
}

TEST_CASE("classes as a mapping keeps and renames, several old names may merge", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "data", {"a", "b", "c", "d"}, 2);
  SourceSpec s = folder(tmp.path() + "/data");
  s.classes = {"a", "b", "d"};
  s.rename = {{"a", "vowel"}, {"b", "consonant"}, {"d", "consonant"}};
  s.prefix = "p_";
  IngestResult r = run({s});
  CHECK(r.data.classes == std::vector<std::string>{"p_consonant", "p_vowel"});
  REQUIRE(r.data.samples.size() == 6);
  CHECK(r.skipped.empty());  // c is left out, not a bad file
  std::vector<int> labels;
  for (const auto& smp : r.data.samples) labels.push_back(smp.label);
  CHECK(labels == std::vector<int>{1, 1, 0, 0, 0, 0});
  CHECK(r.data.samples[4].path == "d/0.png");

  // limit_per_class applies to the renamed classes: at most 3 consonants, evenly spaced.
  s.limit_per_class = 3;
  r = run({s});
  std::vector<std::string> paths;
  for (const auto& smp : r.data.samples) paths.push_back(smp.path);
  CHECK(paths == std::vector<std::string>{"a/0.png", "a/1.png", "b/0.png", "b/1.png", "d/0.png"});
}

TEST_CASE("several sources make one dataset", "[ingest]") {
  TempDir tmp;
  make_folder(tmp, "one", {"x", "y"}, 2);
  make_folder(tmp, "two", {"y", "z"}, 1);
  SourceSpec a = folder(tmp.path() + "/one"), b = folder(tmp.path() + "/two");
  b.split = "test";
  IngestResult r = run({a, b});
  CHECK(r.data.classes == std::vector<std::string>{"x", "y", "z"});
  REQUIRE(r.data.samples.size() == 6);
  CHECK(r.data.samples[4].split == "test");
  CHECK(r.data.samples[4].label == 1);
  CHECK(r.data.samples[5].label == 2);
}

TEST_CASE("natural order of class names", "[ingest]") {
  CHECK(natural_less("2", "10"));
  CHECK_FALSE(natural_less("10", "2"));
  CHECK(natural_less("a2", "a10"));
  CHECK(natural_less("A", "a"));
  CHECK(natural_less("D2", "D21"));
  CHECK_FALSE(natural_less("x", "x"));
}

TEST_CASE("a manifest of many missing files: each skipped and counted", "[ingest][manifest]") {
  TempDir tmp;
  make_folder(tmp, "src", {"a"}, 2);
  auto check_rows = [&](int rows) {
    {
      std::ofstream out(tmp.at("src/manifest.csv"));
      out << "path,label\na/0.png,a\n";
      for (int i = 0; i < rows; ++i) out << "gone/" << i << ".png,b\n";
    }
    SourceSpec s;
    s.path = tmp.path() + "/src";
    s.layout = "manifest";
    IngestResult r = run({s}, 1);
    REQUIRE(r.data.samples.size() == 1);
    REQUIRE(r.skipped.size() == static_cast<size_t>(rows));
    CHECK(r.considered == static_cast<size_t>(rows) + 1);
    CHECK(r.skipped.back().path == "gone/" + std::to_string(rows - 1) + ".png");
    CHECK(r.skipped.back().reason == "file not found");
  };
  check_rows(2000);
  check_rows(100000);
}
