// Report rendering: HTML (self-contained, unique ids, expected sections),
// Markdown with PNG files beside it, and the table formats.
#include "engine/posix.h"  // first: <unistd.h> declares ::pipe

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "report/confusion_figure.h"
#include "report/curves_figure.h"
#include "report/document.h"
#include "report/gallery_figure.h"
#include "report/html.h"
#include "report/markdown.h"
#include "report/table_format.h"
#include "tests/temp_folder.h"

using namespace pipe::report;
namespace fs = std::filesystem;
using pipe::testing::slurp;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("pipe_report_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

Report sample_report() {
  Report r;
  r.title = "Report: multiscript/cnn";
  r.subtitle = "run 0123abcd · sample <data> & more";
  r.section("summary", "Summary")
      .text("A test report with a <tag> that must be escaped.")
      .key_values({{"accuracy", "0.9512"}, {"pipeline", "multiscript"}});
  DataTable t;
  t.header = {"class", "precision", "support"};
  t.add({"Latin", Cell::number(0.91), Cell::integer(40)});
  t.add({"Greek | pipe", Cell::number(NAN), Cell::integer(3)});
  r.section("classification-report", "Classification report").table(t, "per class");
  EpochHistory h;
  h.epoch = {1, 2, 3};
  h.train_loss = {1, 0.6, 0.4};
  h.val_loss = {1.1, 0.7, 0.6};
  h.train_accuracy = {0.5, 0.7, 0.8};
  h.val_accuracy = {0.45, 0.65, 0.7};
  ConfusionMatrix m{{5, 1}, {2, 7}};
  r.section("learning-curves", "Learning curves").figure("learning_curves", learning_curves_figure(h), "loss");
  r.section("confusion-matrix", "Confusion matrix")
      .figure("confusion_counts", confusion_figure(m, {"a", "b"}, ConfusionStyle::kCounts))
      .figure("confusion_normalized", confusion_figure(m, {"a", "b"}, ConfusionStyle::kRowNormalized));
  Image img;
  img.height = 4, img.width = 4, img.channels = 1;
  for (int i = 0; i < 16; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 16));
  r.section("samples", "Samples").image("sample", img, "a gradient").note("paired tests refused");
  return r;
}

}  // namespace

TEST_CASE("base64 matches RFC 4648 test vectors", "[html]") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foob") == "Zm9vYg==");
  CHECK(base64("fooba") == "Zm9vYmE=");
  CHECK(base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("inline svg drops the xml declaration and prefixes ids", "[html]") {
  std::string svg = "<?xml version=\"1.0\"?>\n<svg><symbol id=\"glyph0-1\"/><use xlink:href=\"#glyph0-1\"/>"
                    "<g clip-path=\"url(#clip1)\"/></svg>";
  std::string s = inline_svg(svg, "f1-");
  CHECK(s.rfind("<svg", 0) == 0);
  CHECK(s.find("id=\"f1-glyph0-1\"") != std::string::npos);
  CHECK(s.find("xlink:href=\"#f1-glyph0-1\"") != std::string::npos);
  CHECK(s.find("url(#f1-clip1)") != std::string::npos);
}

TEST_CASE("a report renders to self-contained html and to markdown with png files", "[html]") {
  Report r = sample_report();
  fs::path dir = temp_dir("doc");
  if (const char* keep = std::getenv("PIPE_FIGURE_DIR")) dir = fs::path(keep) / "sample_report";
  auto written = write_report(r, dir.string());
  CHECK(written.size() == 6);  // 4 PNG + md + html

  std::string html = slurp(dir / "report.html");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : {"summary", "classification-report", "learning-curves", "confusion-matrix", "samples"})
    CHECK(html.find(std::string("<section id=\"") + id + "\"") != std::string::npos);
  CHECK(html.find("href=\"#confusion-matrix\"") != std::string::npos);  // contents links
  CHECK(html.find("&lt;tag&gt;") != std::string::npos);
  CHECK(html.find("<tag>") == std::string::npos);
  CHECK(html.find("<?xml") == std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("class=\"note\"") != std::string::npos);
  // Nothing loaded from elsewhere.
  CHECK(html.find("src=\"http") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // Every element id is unique across the inline SVGs.
  std::regex id_re("\\sid=\"([^\"]+)\"");
  std::set<std::string> ids;
  int count = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), id_re); it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1]);
    ++count;
  }
  CHECK(count > 20);
  CHECK(ids.size() == static_cast<size_t>(count));

  std::string md = slurp(dir / "report.md");
  CHECK(md.rfind("# Report: multiscript/cnn", 0) == 0);
  CHECK(md.find("## Confusion matrix") != std::string::npos);
  CHECK(md.find("](confusion_counts.png)") != std::string::npos);
  CHECK(md.find("Greek \\| pipe") != std::string::npos);
  for (const char* png : {"learning_curves.png", "confusion_counts.png", "confusion_normalized.png", "sample.png"}) {
    INFO(png);
    std::string bytes = slurp(dir / png);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.compare(1, 3, "PNG") == 0);
  }
  CHECK(r.find("samples") != nullptr);
  CHECK(r.find("nope") == nullptr);
  if (!std::getenv("PIPE_FIGURE_DIR")) fs::remove_all(dir);
}

TEST_CASE("a copied report says whose it is and is otherwise the same", "[html]") {
  Report r = sample_report();
  fs::path from = temp_dir("copy_from"), to = temp_dir("copy_to"), plain = temp_dir("copy_plain");
  write_report(r, from.string());
  std::string note = "This is the report of run a <1>, copied for run a#2.";
  auto written = copy_report(from.string(), to.string(), note);
  CHECK(written.size() == 6);
  // The documents last, after the figures they link to.
  CHECK((written.back() == (to / "report.html").string() || written.back() == (to / "report.md").string()));
  std::string html = slurp(from / "report.html"), copied = slurp(to / "report.html");
  std::string block = "<p class=\"note\">This is the report of run a &lt;1&gt;, copied for run a#2.</p>\n";
  size_t at = copied.find(block);
  REQUIRE(at != std::string::npos);
  CHECK(at == copied.find("<main>\n") + 7);  // above the first section
  CHECK(copied.substr(0, at) + copied.substr(at + block.size()) == html);
  std::string md = slurp(to / "report.md");
  size_t md_note = md.find("> **Note:** This is the report of run a \\<1>, copied for run a#2.\n\n");
  REQUIRE(md_note != std::string::npos);
  CHECK(md_note < md.find("## "));
  CHECK(md_note > md.find("# Report: "));
  CHECK(slurp(to / "confusion_counts.png") == slurp(from / "confusion_counts.png"));
  // No note: the same bytes.
  copy_report(from.string(), plain.string(), "");
  CHECK(slurp(plain / "report.html") == html);
  CHECK(slurp(plain / "report.md") == slurp(from / "report.md"));
  // Nothing to copy is an error that names the folder.
  CHECK_THROWS_WITH(copy_report((from / "none").string(), to.string(), note),
                    Catch::Contains("report.html is missing"));
  for (const auto& d : {from, to, plain}) fs::remove_all(d);
}

TEST_CASE("tables render aligned text, markdown, csv and json", "[table]") {
  DataTable t;
  t.header = {"metric", "a", "b", "Δ b"};
  t.add({"accuracy", Cell::number(0.9), Cell::number(0.95), Cell::delta(0.05)});
  t.add({"loss", Cell::number(0.31), Cell::number(0.25), Cell::delta(-0.06, 4, false)});
  t.add({"name, quoted \"x\"", Cell::number(NAN), Cell::integer(12), Cell::delta(0)});

  std::string text = render_text(t, false);
  CHECK(text.find("\x1b[") == std::string::npos);
  std::istringstream lines(text);
  std::string header, rule, row1;
  std::getline(lines, header), std::getline(lines, rule), std::getline(lines, row1);
  CHECK(display_width(header) == display_width(rule));
  CHECK(row1.find("0.9000") != std::string::npos);
  CHECK(row1.find("+0.0500") != std::string::npos);
  // Numbers right-aligned: the columns end at the same place on every row.
  CHECK(display_width(row1) == display_width(rule));

  std::string colored = render_text(t, true);
  CHECK(colored.find("\x1b[32m+0.0500") != std::string::npos);  // better accuracy: green
  CHECK(colored.find("\x1b[32m-0.0600") != std::string::npos);  // lower loss: green too

  std::string md = render_markdown(t);
  CHECK(md.find("| metric | a | b | Δ b |") == 0);
  CHECK(md.find("| --- | ---: | ---: | ---: |") != std::string::npos);

  std::string csv = render_csv(t);
  CHECK(csv.find("\"name, quoted \"\"x\"\"\",,12,0\n") != std::string::npos);
  CHECK(csv.find("accuracy,0.9,0.95,0.05") != std::string::npos);

  auto j = table_json(t);
  REQUIRE(j.size() == 3);
  CHECK(j[0]["a"] == 0.9);
  CHECK(j[2]["a"].is_null());
  CHECK(j[2]["b"] == 12);
  CHECK(j[0]["metric"] == "accuracy");

  CHECK(parse_table_format("md") == TableFormat::kMarkdown);
  CHECK_THROWS(parse_table_format("xml"));
  Cell ms = Cell::mean_std(0.9, 0.01, 3, 3);
  CHECK(ms.text == "0.900 ± 0.010");
  CHECK(ms.value["n"] == 3);
}
