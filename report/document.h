// Report — the content of a report, independent of its output format:
// sections (with an id for links and tests) holding text, notes, key/value
// lists, tables, figures and plain images.  html.h and markdown.h render it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/figure.h"
#include "report/table_format.h"

namespace pipe::report {

struct Block {
  enum class Kind { kText, kNote, kKeyValues, kTable, kFigure, kImage };
  Kind kind = Kind::kText;
  std::string text;  // the paragraph, or the caption of a figure, table or image
  std::vector<std::pair<std::string, std::string>> pairs;
  DataTable table;
  Figure figure;
  Image image;
  std::string name;  // file stem of a figure or image beside report.md ("confusion_counts")
};

struct Section {
  std::string id;  // HTML id: lowercase letters, digits and '-'
  std::string title;
  std::vector<Block> blocks;

  Section& text(std::string paragraph);
  Section& note(std::string warning);  // stands out: caveats, refused tests
  Section& key_values(std::vector<std::pair<std::string, std::string>> pairs);
  Section& table(DataTable table, std::string caption = "");
  Section& figure(std::string name, Figure figure, std::string caption = "");
  Section& image(std::string name, Image image, std::string caption = "");
};

struct Report {
  std::string title;
  std::string subtitle;  // e.g. "run 3f2a… · multiscript/cnn · 2024-05-01 12:00"
  std::vector<Section> sections;

  Section& section(std::string id, std::string title);
  const Section* find(const std::string& id) const;
};

// Writes report.html (self-contained) and report.md with one PNG per figure
// and image beside it into `dir` (created if missing).  Returns the paths written.
std::vector<std::string> write_report(const Report& report, const std::string& dir);

// Copies the report written into `from` (by write_report) to `to`, with
// `note` (unless empty) first in report.html and report.md — for a report
// that another run reuses, saying whose it is.  Returns the paths written.
std::vector<std::string> copy_report(const std::string& from, const std::string& to, const std::string& note);

}  // namespace pipe::report
