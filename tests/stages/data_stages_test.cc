// The data stages run directly: ingest, clean, split, augment.
#include "engine/posix.h"  // first: see posix.h (zlib.h)

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "stages/augment.h"
#include "stages/clean.h"
#include "stages/image/augmenter.h"
#include "stages/image/dataset.h"
#include "stages/image/recipe.h"
#include "stages/ingest.h"
#include "stages/model_io.h"
#include "stages/preprocess.h"
#include "stages/split.h"
#include "tests/stages/data_fixture.h"

using namespace pipe;
using namespace pipe::data_testing;
using json = nlohmann::json;

namespace {

void write_text(const std::string& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

// folder/a: dark ink on white PNGs; folder/b: light ink on black JPEGs.
void make_two_polarities(const Folder& f, int per_class) {
  for (int i = 0; i < per_class; ++i) {
    cv::imwrite(f.at("src/a/" + std::to_string(i) + ".png"), glyph(40, 3, 0, 255, i));
    cv::imwrite(f.at("src/b/" + std::to_string(i) + ".jpg"), glyph(40, 3, 255, 0, i + 7));
  }
}

image::DatasetView open(const std::string& dir, const std::string& output = "") {
  return image::DatasetView::open(dir + "/" + image::dataset_file_name(output));
}

// The message (with its position) of a stage's configuration error, or ""
// when the YAML is valid; its hint goes to `hint`.
std::string hint;
std::string config_error(const StageKind& kind, const std::string& yaml) {
  Folder f;
  hint.clear();
  try {
    StageRun s(kind, yaml, f.dir("out"));
  } catch (const Error& e) {
    hint = e.hint_text();
    return (e.kind() == ErrorKind::kConfig ? "" : "not a config error: ") + e.line();
  }
  return "";
}

std::string ingest_into(const Folder& f, const std::string& out, const std::string& extra = "") {
  StageRun s(ingest_stage_kind(), "source: { path: " + f.path() + "/src }\ndecode: gray\n" + extra, f.dir(out));
  s.run();
  return f.path() + "/" + out;
}

// A dataset of three classes (10, 20, 30 images), groups of 5 consecutive images.
std::string three_classes(const Folder& f) {
  image::Dataset d;
  d.classes = {"x", "y", "z"};
  int k = 0;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10 * (c + 1); ++i, ++k) {
      image::Sample s;
      s.label = c;
      s.height = s.width = 8;
      s.channels = 1;
      s.pixels.assign(64, static_cast<uint8_t>(k));
      s.path = "p" + std::to_string(k);
      s.group = "w" + std::to_string(k / 5);
      d.samples.push_back(s);
    }
  std::string dir = f.dir("three");
  image::write_dataset(dir + "/dataset.bin", d);
  return dir;
}

}  // namespace

TEST_CASE("ingest: a folder becomes one dataset; bad files are skipped and listed", "[data][ingest]") {
  Folder f;
  make_two_polarities(f, 5);
  write_text(f.at("src/a/broken.png"), "\x89PNG\r\n\x1a\n garbage");
  write_text(f.at("src/b/notes.txt"), "not an image");
  StageRun s(ingest_stage_kind(), "source: { path: " + f.path() + "/src }\ndecode: gray\nmax_bad_fraction: 0.5",
             f.dir("out"));
  s.run();
  image::DatasetView v = open(f.path() + "/out");
  CHECK(v.size() == 10);
  CHECK(v.classes() == std::vector<std::string>{"a", "b"});
  CHECK(v.channels(0) == 1);
  CHECK(s.metrics["images"] == 10);
  CHECK(s.metrics["skipped"] == 2);
  REQUIRE(s.tables["skipped"].size() == 2);
  CHECK(s.tables["skipped"][0]["path"] == "a/broken.png");
  CHECK(s.tables["skipped"][1]["path"] == "b/notes.txt");
  image::Recipe r;
  REQUIRE(image::Recipe::load(f.path() + "/out", &r));
  CHECK(r.decode == image::DecodeMode::kGray);

  StageRun strict(ingest_stage_kind(), "source: { path: " + f.path() + "/src }\nmax_bad_fraction: 0.1", f.dir("out2"));
  CHECK_THROWS_WITH(strict.run(), Catch::Contains("2 of 12 files could not be used") && Catch::Contains("max_bad_fraction"));
}

TEST_CASE("ingest: a manifest path that leaves the root is an error", "[data][ingest]") {
  Folder f;
  make_two_polarities(f, 2);
  cv::imwrite(f.at("elsewhere.png"), glyph(20, 2, 0, 255));
  write_text(f.at("src/manifest.csv"), "path,label\na/0.png,a\n../elsewhere.png,a\n");
  StageRun s(ingest_stage_kind(), "source: { path: " + f.path() + "/src, layout: manifest }", f.dir("out"));
  CHECK_THROWS_WITH(s.run(), Catch::Contains("escapes the dataset root") && Catch::Contains("manifest.csv:3"));
}

TEST_CASE("ingest: IDX sources, class names, labels beside the images", "[data][ingest]") {
  Folder f;
  auto write_idx = [&](const std::string& file, std::vector<uint32_t> dims, const std::vector<uint8_t>& data) {
    std::string bytes = {0, 0, 8, static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int s = 24; s >= 0; s -= 8) bytes += static_cast<char>((d >> s) & 0xFF);
    bytes.append(data.begin(), data.end());
    gzFile g = gzopen(file.c_str(), "wb");
    gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(g);
  };
  std::vector<uint8_t> pixels(4 * 28 * 28, 7);
  write_idx(f.at("idx/t-images-idx3-ubyte.gz"), {4, 28, 28}, pixels);
  write_idx(f.at("idx/t-labels-idx1-ubyte.gz"), {4}, {2, 0, 2, 1});
  StageRun s(ingest_stage_kind(),
             "source: { path: " + f.path() + "/idx, images: t-images-idx3-ubyte.gz, class_names: [zero, one, two] }",
             f.dir("out"));
  s.run();
  image::DatasetView v = open(f.path() + "/out");
  REQUIRE(v.size() == 4);
  CHECK(v.classes() == std::vector<std::string>{"one", "two", "zero"});
  CHECK(v.classes()[v.label(0)] == "two");
  CHECK(v.path(3) == "t-images-idx3-ubyte.gz#3");
  CHECK(v.height(0) == 28);

  CHECK(config_error(ingest_stage_kind(), "source: { path: " + f.path() + "/idx/t-images-idx3-ubyte.gz }") ==
        "stage.yaml:1:17: source.path: give `labels:` for an IDX images file");
  StageRun with_labels(ingest_stage_kind(),
                       "source: { path: " + f.path() + "/idx/t-images-idx3-ubyte.gz, labels: " + f.path() +
                           "/idx/t-labels-idx1-ubyte.gz }",
                       f.dir("o3"));
  with_labels.run();
  CHECK(open(f.path() + "/o3").classes() == std::vector<std::string>{"0", "1", "2"});
  // One fixed class for every row, e.g. a dataset of another source scored as one class.
  StageRun fixed(ingest_stage_kind(),
                 "source: { path: " + f.path() + "/idx, images: t-images-idx3-ubyte.gz, label: digits, limit_per_class: 3 }",
                 f.dir("o4"));
  fixed.run();
  image::DatasetView d = open(f.path() + "/o4");
  CHECK(d.classes() == std::vector<std::string>{"digits"});
  REQUIRE(d.size() == 3);
  CHECK(d.path(2) == "t-images-idx3-ubyte.gz#2");
}

TEST_CASE("ingest: labels from Chars74K file names, writers from baybayin-style names", "[data][ingest]") {
  Folder f;
  for (int cls : {1, 11, 37})
    for (int i = 1; i <= 2; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "en/Sample%03d/img%03d-%03d.png", cls, cls, i);
      cv::imwrite(f.at(name), glyph(16, 1, 0, 255, i));
    }
  for (const char* name : {"ba.0xvU-James.jpg", "ba.1abc-Lutian_Grace.jpg", "ka.9zz-James.jpg"})
    cv::imwrite(f.at(std::string("bay/all/") + name), glyph(28, 2, 0, 255));
  StageRun s(ingest_stage_kind(),
             "sources:\n"
             "  - { path: " + f.path() + "/en, label_from_filename: '^img(\\d+)-', label_map: chars74k, prefix: 'en_' }\n"
             "  - { path: " + f.path() + "/bay, label_from_filename: '^([a-z]+)\\.', group_from_filename: '-([^-]+)\\.jpg$' }\n",
             f.dir("out"));
  s.run();
  image::DatasetView v = open(f.path() + "/out");
  CHECK(v.classes() == std::vector<std::string>{"ba", "en_0", "en_A", "en_a", "ka"});
  REQUIRE(v.size() == 9);
  CHECK(v.group(6) == "James");
  CHECK(v.group(7) == "Lutian_Grace");
  CHECK(v.classes()[v.label(8)] == "ka");
}

TEST_CASE("ingest: exactly one of source and sources", "[data][ingest]") {
  Folder f;
  CHECK(config_error(ingest_stage_kind(), "decode: gray") == "stage.yaml:1:1: no source given");
  CHECK(config_error(ingest_stage_kind(), "source: { path: /tmp }\nsources: [ { path: /tmp } ]") ==
        "stage.yaml:2:10: sources: give either source or sources, not both");
  CHECK(config_error(ingest_stage_kind(), "source: { path: /tmp, lay: folder }") ==
        "stage.yaml:1:23: source: unknown key 'lay'");
  CHECK(hint ==
        "known keys in source: path, layout, manifest, images, labels, class_names, label, prefix, classes, "
        "limit_per_class, label_from_filename, label_map, group_from_filename, split");
}

TEST_CASE("ingest: an error inside a source points at the value at fault", "[data][ingest]") {
  Folder f;
  make_two_polarities(f, 1);
  // The source's path on line 2, the key under test on line 3.
  auto source_with = [&](const std::string& line) {
    return config_error(ingest_stage_kind(), "source:\n  path: " + f.path() + "/src\n" + line);
  };
  CHECK(source_with("  layout: manfest") == "stage.yaml:3:11: source.layout: 'manfest' is not allowed");
  CHECK(hint == "allowed: auto | folder | manifest | idx");
  CHECK(source_with("  limit_per_class: -2") == "stage.yaml:3:20: source.limit_per_class: must be at least 0 (got -2)");
  CHECK(source_with("  label_from_filename: '^img(\\d+'") ==
        "stage.yaml:3:24: source.label_from_filename: not a valid regular expression: ^img(\\d+");
  CHECK(source_with("  group_from_filename: '-\\w+$'") ==
        "stage.yaml:3:24: source.group_from_filename: the expression needs a group: its first group is used");
  CHECK(source_with("  label: english\n  label_map: chars74k") ==
        "stage.yaml:3:10: source.label: gives every image one class, so label_map has nothing to do");
  CHECK(source_with("  classes: { a: [x] }") == "stage.yaml:3:17: source.classes.a: expected the new name of class 'a'");
  CHECK(source_with("  classes: [a, [b]]") == "stage.yaml:3:16: source.classes[1]: expected a class name");
  CHECK(source_with("  split: training") == "stage.yaml:3:10: source.split: 'training' is not allowed");
  CHECK(source_with("  manifest: ../m.csv") ==
        "stage.yaml:3:13: source.manifest: '../m.csv' must be a path inside the source folder");
  CHECK(source_with("  class_names: [zero, one]") == "stage.yaml:3:16: source.class_names: applies to IDX sources only");
  CHECK(source_with("  label_map: [a, b]") ==
        "stage.yaml:3:14: source.label_map: expected a mapping of raw labels to class names, or chars74k");
  CHECK(source_with("  layout: folder") == "");
  // In a list of sources, the index is part of the key.
  CHECK(config_error(ingest_stage_kind(), "sources:\n  - path: " + f.path() + "/src\n  - path: " + f.path() +
                                              "/src\n    limit_per_class: -1") ==
        "stage.yaml:4:22: sources[1].limit_per_class: must be at least 0 (got -1)");
  CHECK(config_error(ingest_stage_kind(), "source: { path: /tmp }\nmax_side: -1") ==
        "stage.yaml:2:11: max_side: must be at least 0 (got -1)");
}

TEST_CASE("ingest: a fixed label per source, classes renamed and merged", "[data][ingest]") {
  Folder f;
  for (int i = 0; i < 3; ++i) {
    cv::imwrite(f.at("multi/english/img00" + std::to_string(i) + ".png"), glyph(20, 2, 0, 255, i));
    cv::imwrite(f.at("multi/arabic/id_" + std::to_string(i) + ".png"), glyph(20, 2, 255, 0, i));
  }
  StageRun fixed(ingest_stage_kind(),
                 "sources:\n"
                 "  - { path: " + f.path() + "/multi/english, label: english }\n"
                 "  - { path: " + f.path() + "/multi/arabic, label: arabic, limit_per_class: 2 }\n",
                 f.dir("fixed"));
  fixed.run();
  image::DatasetView v = open(f.path() + "/fixed");
  CHECK(v.classes() == std::vector<std::string>{"arabic", "english"});
  REQUIRE(v.size() == 5);
  CHECK(v.path(0) == "img000.png");
  CHECK(v.label(0) == 1);
  CHECK(v.label(4) == 0);
  CHECK(fixed.metrics["skipped"] == 0);

  make_two_polarities(f, 2);
  cv::imwrite(f.at("src/c/0.png"), glyph(40, 3, 0, 255, 9));
  StageRun renamed(ingest_stage_kind(), "source: { path: " + f.path() + "/src, classes: { a: ink, c: ink, b: 007 } }",
                   f.dir("renamed"));
  renamed.run();
  image::DatasetView r = open(f.path() + "/renamed");
  CHECK(r.classes() == std::vector<std::string>{"007", "ink"});  // names stay text: 007 is not 7
  CHECK(r.size() == 5);
  CHECK(renamed.tables["classes"] == json::parse(R"([{"class": "007", "images": 2}, {"class": "ink", "images": 3}])"));
}

TEST_CASE("clean: per-class inversions, duplicates across classes, the record grows", "[data][clean]") {
  Folder f;
  make_two_polarities(f, 4);
  cv::imwrite(f.at("src/b/copy.png"), glyph(40, 3, 0, 255, 0));  // the same image as a/0.png
  std::string in = ingest_into(f, "ingest");
  StageRun s(clean_stage_kind(),
             "input: ingest\ninvert: auto\ncrop: content\nsize: 16\npad: 1\nstroke: 2\ndedupe: exact", f.dir("clean"));
  s.bind("input", in);
  s.run();
  image::DatasetView v = open(f.path() + "/clean");
  CHECK(v.size() == 8);
  CHECK(v.height(0) == 16);
  json classes = s.tables["classes"];
  CHECK(classes[0]["class"] == "a");
  CHECK(classes[0]["inverted"] == 4);
  CHECK(classes[1]["inverted"] == 1);  // only the copy of a dark-on-white image
  REQUIRE(s.tables["duplicates"].size() == 1);
  CHECK(s.tables["duplicates"][0]["path"] == "b/copy.png");
  CHECK(s.tables["duplicates"][0]["duplicate_of"] == "a/0.png");
  CHECK(s.tables["duplicates"][0]["cross_class"] == true);
  CHECK(s.metrics["duplicates_cross_class"] == 1);
  CHECK(classes[0]["stroke_width"].get<double>() == Approx(2).margin(0.7));
  image::Recipe r;
  REQUIRE(image::Recipe::load(f.path() + "/clean", &r));
  REQUIRE(r.cleans.size() == 1);
  CHECK(r.cleans[0].height == 16);
  CHECK(r.decode == image::DecodeMode::kGray);
  CHECK(r.clean_version == image::kCleanVersion);
  // Every output has light ink on a dark background.
  for (size_t i = 0; i < v.size(); ++i) CHECK(v.pixels(i)[0] < 30);
}

TEST_CASE("clean: stroke_mode reaches the images and the stored recipe", "[data][clean]") {
  Folder f;
  make_two_polarities(f, 4);
  std::string in = ingest_into(f, "ingest");
  auto clean_with = [&](const std::string& mode) {
    StageRun s(clean_stage_kind(), "input: ingest\ncrop: content\nsize: 16\npad: 1\nstroke: 2\nstroke_mode: " + mode,
               f.dir("clean_" + mode));
    s.bind("input", in);
    s.run();
    return f.path() + "/clean_" + mode;
  };
  std::string redraw = clean_with("redraw"), adjust = clean_with("adjust");
  image::DatasetView a = open(redraw), b = open(adjust);
  REQUIRE(a.size() == b.size());
  size_t differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += std::memcmp(a.pixels(i), b.pixels(i), 16 * 16) != 0;
  CHECK(differing == a.size());
  image::Recipe r;
  REQUIRE(image::Recipe::load(adjust, &r));
  CHECK(r.cleans[0].stroke_mode == "adjust");
}

TEST_CASE("clean: bad settings are configuration errors at the key", "[data][clean]") {
  CHECK(config_error(clean_stage_kind(), "input: x\ncolour: gray") ==
        "stage.yaml:2:1: unknown key 'colour' (did you mean 'color'?)");
  CHECK(config_error(clean_stage_kind(), "input: x\nsize: [28]") ==
        "stage.yaml:2:7: size: expected [height, width] or one number, got [28]");
  CHECK(config_error(clean_stage_kind(), "input: x\nsize: [28, -1]") ==
        "stage.yaml:2:12: size[1]: expected a positive whole number of pixels, got -1");
  CHECK(config_error(clean_stage_kind(), "input: x\nsize: 28\npad: 14") ==
        "stage.yaml:3:6: pad: must leave room for the image");
  CHECK(hint == "0 ≤ 2·pad < each side of size");
  CHECK(config_error(clean_stage_kind(), "input: x\nthreshold: 300") ==
        "stage.yaml:2:12: threshold: must be 0..255, or -1 for Otsu");
  CHECK(config_error(clean_stage_kind(), "input: x\ncolor: rgb\nstroke: 2") == "stage.yaml:3:9: stroke: needs color: gray");
  CHECK(config_error(clean_stage_kind(), "input: x\nadaptive_block: 4") ==
        "stage.yaml:2:17: adaptive_block: must be an odd number ≥ 3 (or 0 for automatic)");
  CHECK(config_error(clean_stage_kind(), "input: x\nsize: none") == "");
}

TEST_CASE("split: stratified counts per split, empty splits written, seeded", "[data][split]") {
  Folder f;
  std::string in = three_classes(f);
  auto run_split = [&](const std::string& out, const std::string& yaml) {
    StageRun s(split_stage_kind(), "input: three\n" + yaml, f.dir(out));
    s.bind("input", in);
    s.run();
    return s;
  };
  StageRun s = run_split("s1", "fractions: { train: 0.8, test: 0.2 }\nseed: 11");
  CHECK(open(f.path() + "/s1", "train").size() == 48);
  CHECK(open(f.path() + "/s1", "val").size() == 0);
  CHECK(open(f.path() + "/s1", "test").size() == 12);
  json counts = s.tables["counts"];
  CHECK(counts[0] == json{{"class", "x"}, {"train", 8}, {"val", 0}, {"test", 2}});
  CHECK(counts[2] == json{{"class", "z"}, {"train", 24}, {"val", 0}, {"test", 6}});
  CHECK(open(f.path() + "/s1", "test").classes().size() == 3);  // every split keeps all class names

  run_split("s2", "fractions: { train: 0.8, test: 0.2 }\nseed: 11");
  run_split("s3", "fractions: { train: 0.8, test: 0.2 }\nseed: 12");
  auto paths = [&](const std::string& dir) {
    image::DatasetView v = open(f.path() + "/" + dir, "test");
    std::vector<std::string> p;
    for (size_t i = 0; i < v.size(); ++i) p.push_back(v.path(i));
    return p;
  };
  CHECK(paths("s1") == paths("s2"));
  CHECK(paths("s1") != paths("s3"));

  StageRun g = run_split("s4", "fractions: { train: 0.6, val: 0.2, test: 0.2 }\ngroup_by: group");
  CHECK(g.metrics["groups_in_two_splits"] == 0);
  CHECK(g.tables["groups"]["train"].get<int>() + g.tables["groups"]["val"].get<int>() +
            g.tables["groups"]["test"].get<int>() == 12);

}

TEST_CASE("split: bad options are errors at the key they blame", "[data][split]") {
  CHECK(config_error(split_stage_kind(), "input: x\nstratify: true") == "stage.yaml:1:1: give fractions, folds or by_folder");
  CHECK(config_error(split_stage_kind(), "input: x\nfractions: { train: 0.8, test: 1.5 }") ==
        "stage.yaml:2:32: fractions.test: must be between 0 and 1 (got 1.5)");
  CHECK(config_error(split_stage_kind(), "input: x\nfractions: { train: 0.8, test: 0.3 }") ==
        "stage.yaml:2:12: fractions: add up to 1.100000, more than 1");
  CHECK(config_error(split_stage_kind(), "input: x\nfractions: { train: 0 }") == "stage.yaml:2:12: fractions: are all 0");
  CHECK(config_error(split_stage_kind(), "input: x\nfolds: 1") == "stage.yaml:2:8: folds: must be at least 2 (0: no folds)");
  CHECK(config_error(split_stage_kind(), "input: x\nfolds: 5\nfold: 5") == "stage.yaml:3:7: fold: must be between 0 and 4");
  CHECK(config_error(split_stage_kind(), "input: x\nfolds: 5\nfractions: { val: 0.1 }") ==
        "stage.yaml:3:19: fractions.val: with folds, val is fold `fold` and train the other folds");
  CHECK(config_error(split_stage_kind(), "input: x\nby_folder: true\nfolds: 3") ==
        "stage.yaml:2:12: by_folder: keeps the existing split; fractions and folds do not apply");
  CHECK(config_error(split_stage_kind(), "input: x\nfolds: 5\nfractions: { test: 0.2 }") == "");
  CHECK(config_error(split_stage_kind(), "input: x\nfractions: { trian: 0.7 }") ==
        "stage.yaml:2:14: fractions: unknown key 'trian' (did you mean 'train'?)");
}

TEST_CASE("augment online: the data passes unchanged with the ops for the loader", "[data][augment]") {
  Folder f;
  std::string in = three_classes(f);
  StageRun s(augment_stage_kind(), "input: three\nonline: true\nops: [ {rotate: 10}, flip_h ]", f.dir("aug"));
  s.bind("input", in);
  s.run();
  image::DatasetView a = open(in), b = open(f.path() + "/aug");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::equal(a.pixels(i), a.pixels(i) + 64, b.pixels(i)));
  image::Augmenter loaded = image::Augmenter::load(f.path() + "/aug/augment.json");
  CHECK(loaded.ops().size() == 2);

}

TEST_CASE("augment: bad ops are errors at the value at fault, before anything runs", "[data][augment]") {
  CHECK(config_error(augment_stage_kind(), "input: x\nops: [ {twirl: 3} ]") == "stage.yaml:2:8: ops[0]: unknown op 'twirl'");
  CHECK(config_error(augment_stage_kind(), "input: x\nops: [ {rotate: 10}, {shift: abc} ]") ==
        "stage.yaml:2:30: ops[1].shift: expected a number, got \"abc\"");
  CHECK(config_error(augment_stage_kind(), "input: x\nops:\n  - rotate: 10\n  - elastic: { alpha: 3, sigma: 0 }") ==
        "stage.yaml:4:33: ops[1].elastic.sigma: must be > 0");
  CHECK(config_error(augment_stage_kind(), "input: x\nops: [ {erasing: {area: [0.5, 0.1]}} ]") ==
        "stage.yaml:2:25: ops[0].erasing.area: expected 0 < min ≤ max");
  CHECK(config_error(augment_stage_kind(), "input: x\ncopies: -1") == "stage.yaml:2:9: copies: must be at least 0 (got -1)");
  CHECK(config_error(augment_stage_kind(), "input: x\nonline: false\nkeep_original: false\ncopies: 0\nops: [flip_h]") ==
        "stage.yaml:4:9: copies: leaves no image: with keep_original: false, make at least one copy");
}

TEST_CASE("augment without ops passes its input through, online or offline", "[data][augment]") {
  Folder f;
  std::string in = three_classes(f);
  auto inode = [](const std::string& file) {
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    return st.st_ino;
  };
  for (const char* yaml : {"online: false\nops: []", "online: false\nops: [ {fill: 3} ]\ncopies: 3",
                           "online: false\nops: []\nkeep_original: false", "online: true\nops: []"}) {
    INFO(yaml);
    Folder out;
    StageRun s(augment_stage_kind(), std::string("input: three\n") + yaml, out.path());
    s.bind("input", in);
    s.run();
    // The same file, not a copy of it.
    CHECK(inode(out.path() + "/dataset.bin") == inode(in + "/dataset.bin"));
    CHECK(s.metrics["images"] == 60);
    CHECK(open(out.path()).size() == 60);
    CHECK(std::filesystem::exists(out.path() + "/augment.json") == (std::string(yaml).find("online: true") == 0));
  }
}

TEST_CASE("augment offline: a fixed rotation list expands the set, labels never change", "[data][augment]") {
  Folder f;
  make_two_polarities(f, 3);
  std::string in = ingest_into(f, "ingest");
  auto run_aug = [&](const std::string& out, int threads) {
    StageRun s(augment_stage_kind(), "input: ingest\nonline: false\nops: [ {rotate: [-20, -10, 10, 20]}, {noise: 0.02} ]",
               f.dir(out), threads);
    s.bind("input", in);
    s.run();
    return s;
  };
  run_aug("aug1", 1);
  run_aug("aug2", 2);
  image::DatasetView src = open(in), a = open(f.path() + "/aug1"), b = open(f.path() + "/aug2");
  REQUIRE(a.size() == 5 * src.size());
  for (size_t i = 0; i < src.size(); ++i)
    for (size_t k = 0; k < 5; ++k) {
      size_t j = i * 5 + k;
      CHECK(a.label(j) == src.label(i));
      CHECK(a.height(j) == src.height(i));
      CHECK(std::equal(a.pixels(j), a.pixels(j) + a.height(j) * a.width(j), b.pixels(j)));  // same for any thread count
    }
  CHECK(std::equal(a.pixels(0), a.pixels(0) + 40 * 40, src.pixels(0)));  // the original comes first
  CHECK_FALSE(std::equal(a.pixels(1), a.pixels(1) + 40 * 40, src.pixels(0)));
  CHECK(a.path(1) == src.path(0) + "#aug1");
}

TEST_CASE("evaluate and predict are told when the model's images came from another clean version", "[data][clean]") {
  ModelInfo model;
  CHECK(preprocess_mismatch(model) == "");  // no record
  image::Recipe recipe;
  recipe.decode = image::DecodeMode::kGray;
  model.preprocess = recipe.to_json();
  CHECK(preprocess_mismatch(model) == "");  // decoding only: no clean ran
  recipe.cleans.push_back(image::CleanOptions());
  recipe.clean_version = image::kCleanVersion;
  model.preprocess = recipe.to_json();
  CHECK(preprocess_mismatch(model) == "");
  recipe.clean_version = 3;
  model.preprocess = recipe.to_json();
  CHECK(preprocess_mismatch(model) ==
        "the model's training images came from clean version 3, new images from clean version 4: they may differ "
        "slightly (run the pipeline again to retrain)");
  recipe.clean_version = 0;  // a record from before versions were kept
  model.preprocess = recipe.to_json();
  CHECK(preprocess_mismatch(model) ==
        "the model's training images came from a clean older than version 4, new images from clean version 4: they "
        "may differ slightly (run the pipeline again to retrain)");
}
