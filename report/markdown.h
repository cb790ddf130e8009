// The Markdown rendering of a Report: report.md text, with each figure and
// image as a PNG file beside it.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"

namespace pipe::report {

struct ReportFile {
  std::string name;   // "confusion_counts.png"
  std::string bytes;
};

// The Markdown text; the PNG files it links to are appended to `files`.
std::string markdown_document(const Report& report, std::vector<ReportFile>* files);
// A markdown_document() with `note` shown first, below the title.
std::string markdown_with_note(const std::string& markdown, const std::string& note);

}  // namespace pipe::report
