#include "report/document.h"

#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "report/html.h"
#include "report/markdown.h"

namespace pipe::report {

namespace fs = std::filesystem;

Section& Section::text(std::string paragraph) {
  Block b;
  b.kind = Block::Kind::kText;
  b.text = std::move(paragraph);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::note(std::string warning) {
  Block b;
  b.kind = Block::Kind::kNote;
  b.text = std::move(warning);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::key_values(std::vector<std::pair<std::string, std::string>> pairs) {
  Block b;
  b.kind = Block::Kind::kKeyValues;
  b.pairs = std::move(pairs);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::table(DataTable t, std::string caption) {
  Block b;
  b.kind = Block::Kind::kTable;
  b.table = std::move(t);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::figure(std::string name, Figure f, std::string caption) {
  Block b;
  b.kind = Block::Kind::kFigure;
  b.name = std::move(name);
  b.figure = std::move(f);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::image(std::string name, Image img, std::string caption) {
  Block b;
  b.kind = Block::Kind::kImage;
  b.name = std::move(name);
  b.image = std::move(img);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Report::section(std::string id, std::string title) {
  sections.push_back(Section{std::move(id), std::move(title), {}});
  return sections.back();
}

const Section* Report::find(const std::string& id) const {
  for (const auto& s : sections)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

void write_file(const fs::path& path, const std::string& bytes) {
  // Written beside, then renamed: a reader never sees half a report.
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw Error("cannot write report file").at(tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error("cannot write report file: " + ec.message()).at(path.string());
}

}  // namespace

std::vector<std::string> write_report(const Report& report, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the report folder: " + ec.message()).at(dir);
  std::vector<std::string> written;
  std::vector<ReportFile> files;
  std::string md = markdown_document(report, &files);
  for (const auto& f : files) {
    write_file(fs::path(dir) / f.name, f.bytes);
    written.push_back((fs::path(dir) / f.name).string());
  }
  write_file(fs::path(dir) / "report.md", md);
  written.push_back((fs::path(dir) / "report.md").string());
  write_file(fs::path(dir) / "report.html", html_document(report));
  written.push_back((fs::path(dir) / "report.html").string());
  return written;
}

}  // namespace pipe::report
